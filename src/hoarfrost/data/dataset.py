"""`Dataset`: the part of `tf.data.Dataset` that Keras programs call, on NumPy.

A `Dataset` is a recipe, not a container: each `iter(dataset)` runs the
pipeline again from its source (files are read as the elements are drawn, so
a directory is never held in memory unless `.cache()` asks for it).
Elements are NumPy arrays, Python strings, or tuples / lists / dicts of them.
The methods do what `tf.data` does with the same arguments, including when
`shuffle` reshuffles and what `cardinality()` reports; a `tf.data` method
hoarfrost does not implement raises an `AttributeError` that names it.

`fit`, `evaluate` and `predict` accept a `Dataset` of `(x, y)` or
`(x, y, sample_weight)` batches as `x`, as Keras accepts a `tf.data.Dataset`.
"""

from __future__ import annotations

import itertools
from typing import Any, Callable, Iterator

import numpy as np

from hoarfrost.prefetching import Closing as _Closing
from hoarfrost.prefetching import prefetched as _prefetched

AUTOTUNE = -1
INFINITE_CARDINALITY = -1
UNKNOWN_CARDINALITY = -2

# `tf.data.Dataset` methods a ported program may reach for that hoarfrost does not implement.
_TF_DATA_METHODS = frozenset({
    "apply", "bucket_by_sequence_length", "choose_from_datasets", "counter", "element_spec",
    "flat_map", "from_generator", "from_tensors", "get_single_element", "group_by_window",
    "ignore_errors", "interleave", "list_files", "load", "options", "random", "range",
    "ragged_batch", "rebatch", "reduce", "rejection_resample", "sample_from_datasets", "save",
    "scan", "shard", "snapshot", "sparse_batch", "take_while", "unique", "window",
    "with_options", "distribute", "experimental_distribute_dataset",
})


def _is_structure(element) -> bool:
    return isinstance(element, (tuple, list, dict))


def _leaves(element) -> list:
    if isinstance(element, dict):
        return [leaf for key in element for leaf in _leaves(element[key])]
    if isinstance(element, (tuple, list)):
        return [leaf for item in element for leaf in _leaves(item)]
    return [element]


def _map_structure(fn: Callable, *elements):
    first = elements[0]
    if isinstance(first, dict):
        return {key: _map_structure(fn, *(e[key] for e in elements)) for key in first}
    if isinstance(first, (tuple, list)):
        return type(first)(_map_structure(fn, *parts) for parts in zip(*elements))
    return fn(*elements)


def _to_numpy(value):
    """A NumPy array (or a Python string, kept) from an element's leaf."""
    if isinstance(value, (str, bytes, np.ndarray)):
        return value
    return np.asarray(value)


def _stack(component: int, *values):
    if isinstance(values[0], (str, bytes)):
        return np.array(values, dtype=object)
    arrays = [np.asarray(v) for v in values]
    for index, array in enumerate(arrays[1:], start=1):
        if array.shape != arrays[0].shape:
            raise ValueError(
                f"Cannot batch tensors with different shapes in component {component}: the "
                f"first element had shape {arrays[0].shape} and element {index} had shape "
                f"{array.shape}. Resize them to one shape first, or use padded_batch().")
    return np.stack(arrays)


def _batch(elements: list):
    counter = itertools.count()
    return _map_structure(lambda *values: _stack(next(counter), *values), *elements)


def _padded(component: int, pad_value, *values):
    if isinstance(values[0], (str, bytes)):
        return np.array(values, dtype=object)
    arrays = [np.asarray(v) for v in values]
    if len({a.ndim for a in arrays}) > 1:
        raise ValueError(f"padded_batch: component {component} has elements of different ranks "
                         f"{sorted({a.ndim for a in arrays})}.")
    shape = tuple(max(sizes) for sizes in zip(*(a.shape for a in arrays)))
    dtype = np.result_type(*arrays)
    out = np.full((len(arrays),) + shape, 0 if pad_value is None else pad_value, dtype=dtype)
    for row, array in enumerate(arrays):
        out[(row,) + tuple(slice(0, n) for n in array.shape)] = array
    return out


def _rows(batch) -> list:
    sizes = {len(leaf) for leaf in _leaves(batch)}
    if len(sizes) > 1:
        raise ValueError(f"unbatch(): the components of a batch have different lengths "
                         f"{sorted(sizes)}.")
    count = sizes.pop() if sizes else 0
    return [_map_structure(lambda leaf, i=i: _element(leaf[i]), batch) for i in range(count)]


def _element(value):
    """One slice of an array: a 0-d array for a scalar, as a tensor slice in tf.data."""
    return np.asarray(value) if isinstance(value, np.generic) else value


def _as_array(leaf) -> np.ndarray:
    array = leaf if isinstance(leaf, np.ndarray) else np.asarray(leaf)
    return array.astype(object) if array.dtype.kind in "US" else array


def _slice_structure(tensors):
    """Tuples and dicts are structure; anything else (a list too) is one array, as in tf.data."""
    if isinstance(tensors, dict):
        return {key: _slice_structure(value) for key, value in tensors.items()}
    if isinstance(tensors, tuple):
        return tuple(_slice_structure(value) for value in tensors)
    return _as_array(tensors)


def _slices(tensors) -> tuple[Callable[[int], Any], int]:
    """`(element i, count)` of `from_tensor_slices(tensors)`."""
    arrays = _slice_structure(tensors)
    leaves = _leaves(arrays)
    if not leaves or any(a.ndim == 0 for a in leaves):
        raise ValueError("from_tensor_slices: every component needs a first axis to slice; got "
                         f"shapes {[a.shape for a in leaves]}.")
    counts = [len(a) for a in leaves]
    if len(set(counts)) != 1:
        raise ValueError("from_tensor_slices: the components have different first dimensions "
                         f"{counts}; they must all have the same length.")
    return (lambda i: _map_structure(lambda a: _element(a[i]), arrays)), counts[0]


def _count(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an integer, got {value!r}.")
    return int(value)


def _add(a: int, b: int) -> int:
    if INFINITE_CARDINALITY in (a, b):
        return INFINITE_CARDINALITY
    if UNKNOWN_CARDINALITY in (a, b):
        return UNKNOWN_CARDINALITY
    return a + b


class Dataset:
    """A lazy, re-iterable pipeline of NumPy elements with `tf.data`'s methods.

    Build one with `Dataset.from_tensor_slices(...)`, `Dataset.zip(...)`, or the
    `hoarfrost.utils.*_dataset_from_*` functions; transform it with `map`,
    `batch`, `shuffle`, ... Each method returns a new `Dataset`; iterating it
    yields NumPy arrays (strings as Python `str`).

    `len(dataset)` works when the number of elements is known and finite, as
    with `tf.data`; otherwise `len` raises `TypeError` and `cardinality()`
    returns `INFINITE_CARDINALITY` (-1) or `UNKNOWN_CARDINALITY` (-2).

    Example:
        >>> ds = Dataset.from_tensor_slices((np.arange(5), np.arange(5) * 10))
        >>> [y.tolist() for _, y in ds.batch(2)]
        [[0, 10], [20, 30], [40]]
    """

    def __init__(self, iterate: Callable[[], Iterator], cardinality: int):
        # Private: use the constructors (from_tensor_slices, zip) and the methods.
        self._iterate = iterate
        self._cardinality = int(cardinality)

    @staticmethod
    def _make(iterate: Callable[[], Iterator], cardinality: int) -> "Dataset":
        # Only a dataset whose length is known has `__len__`, so code that asks
        # `hasattr(x, "__len__")` before `len(x)` (as fit's progress bar does) is right.
        cls = _SizedDataset if cardinality >= 0 else Dataset
        return cls(iterate, cardinality)

    # --- sources ---------------------------------------------------------------------------
    @staticmethod
    def from_tensor_slices(tensors, name: str | None = None) -> "Dataset":
        """Elements are the slices of `tensors` along their first axis.

        Args:
            tensors: an array (or list), or a tuple / dict of them with the
                same first dimension.
            name: accepted for compatibility (tf.data's op name); unused.
        """
        item, count = _slices(tensors)
        return Dataset._make(lambda: (item(i) for i in range(count)), count)

    @staticmethod
    def zip(*datasets, name: str | None = None) -> "Dataset":
        """Elements are tuples (or the dict / nested structure given) of the datasets' elements.

        `Dataset.zip((a, b))` and `Dataset.zip(a, b)` both yield `(a_i, b_i)`;
        it stops at the shortest dataset.
        """
        structure = datasets[0] if len(datasets) == 1 and _is_structure(datasets[0]) else datasets
        members = _leaves(structure)
        for member in members:
            if not isinstance(member, Dataset):
                raise TypeError("Dataset.zip expects Dataset objects (or a tuple / dict of "
                                f"them); got {type(member).__name__}.")
        counts = [m._cardinality for m in members]
        if UNKNOWN_CARDINALITY in counts:
            cardinality = UNKNOWN_CARDINALITY
        elif all(c == INFINITE_CARDINALITY for c in counts):
            cardinality = INFINITE_CARDINALITY
        else:
            cardinality = min(c for c in counts if c >= 0)

        def iterate():
            iterators = [iter(m) for m in members]
            try:
                while True:
                    try:
                        values = iter([next(it) for it in iterators])
                    except StopIteration:
                        return
                    yield _map_structure(lambda _: next(values), structure)
            finally:
                for it in iterators:
                    _Closing(it).__exit__()

        return Dataset._make(iterate, cardinality)

    # --- iteration ------------------------------------------------------------------------
    def __iter__(self) -> Iterator:
        return iter(self._iterate())

    def as_numpy_iterator(self) -> Iterator:
        """An iterator over the elements with every leaf a NumPy array (strings stay `str`)."""
        return (_map_structure(_to_numpy, element) for element in self)

    def cardinality(self) -> int:
        """The number of elements, or `INFINITE_CARDINALITY` (-1) / `UNKNOWN_CARDINALITY` (-2)."""
        return self._cardinality

    def __bool__(self) -> bool:
        return True  # never by length, as tf.data

    def __repr__(self) -> str:
        count = {INFINITE_CARDINALITY: "infinite", UNKNOWN_CARDINALITY: "unknown"}.get(
            self._cardinality, self._cardinality)
        return f"<Dataset cardinality={count}>"

    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        hint = ""
        if name in _TF_DATA_METHODS:
            hint = (f" (tf.data.Dataset.{name} is not implemented by hoarfrost's Dataset; it "
                    "has from_tensor_slices, zip, map, filter, batch, padded_batch, unbatch, "
                    "shuffle, repeat, take, skip, cache, prefetch, concatenate, enumerate, "
                    "cardinality and as_numpy_iterator)")
        raise AttributeError(f"'Dataset' object has no attribute '{name}'{hint}")

    # --- transformations -------------------------------------------------------------------
    def map(self, map_func: Callable, num_parallel_calls: int | None = None,
            deterministic: bool | None = None, name: str | None = None) -> "Dataset":
        """Apply `map_func` to each element (a tuple element is passed as positional arguments).

        Elements keep their order; `num_parallel_calls` and `deterministic`
        are tf.data's performance hints and change nothing here (the function
        runs on the iterating thread; put a `prefetch` after the map to
        overlap it with training).
        """
        if not callable(map_func):
            raise TypeError(f"map_func must be callable, got {type(map_func).__name__}.")
        source = self

        def call(element):
            return map_func(*element) if isinstance(element, tuple) else map_func(element)

        return Dataset._make(lambda: (call(e) for e in source), self._cardinality)

    def filter(self, predicate: Callable, name: str | None = None) -> "Dataset":
        """Keep the elements for which `predicate` (called as in `map`) is true."""
        source = self

        def keep(element) -> bool:
            result = predicate(*element) if isinstance(element, tuple) else predicate(element)
            result = np.asarray(result)
            if result.shape != () or result.dtype != np.bool_:
                raise ValueError("filter: the predicate must return a scalar boolean; got "
                                 f"{result.dtype} of shape {result.shape}.")
            return bool(result)

        cardinality = (self._cardinality if self._cardinality == INFINITE_CARDINALITY
                       else UNKNOWN_CARDINALITY)
        return Dataset._make(lambda: (e for e in source if keep(e)), cardinality)

    def batch(self, batch_size: int, drop_remainder: bool = False,
              num_parallel_calls: int | None = None, deterministic: bool | None = None,
              name: str | None = None) -> "Dataset":
        """Stack `batch_size` consecutive elements along a new first axis.

        The last batch is smaller unless `drop_remainder`. Strings are stacked
        into `dtype=object` arrays.
        """
        batch_size = _count(batch_size, "batch_size")
        if batch_size <= 0:
            raise ValueError(f"batch_size must be positive, got {batch_size}.")
        batched = self._batched(batch_size, drop_remainder, _batch)
        batched._batch_size = batch_size  # what split_dataset reads, as on tf.data's BatchDataset
        return batched

    def padded_batch(self, batch_size: int, padded_shapes=None, padding_values=None,
                     drop_remainder: bool = False, name: str | None = None) -> "Dataset":
        """`batch`, padding each component to the largest shape in the batch.

        Args:
            batch_size: elements per batch.
            padded_shapes: only `None` (pad every dimension to the batch's
                largest) is supported.
            padding_values: `None` (zeros) or one scalar for every component.
            drop_remainder: drop a last, smaller batch.
        """
        batch_size = _count(batch_size, "batch_size")
        if batch_size <= 0:
            raise ValueError(f"batch_size must be positive, got {batch_size}.")
        if padded_shapes is not None:
            raise NotImplementedError("padded_batch: padded_shapes is not supported by "
                                      "hoarfrost (every dimension is padded to the batch's "
                                      f"largest); got padded_shapes={padded_shapes!r}.")
        if padding_values is not None and np.ndim(padding_values) != 0:
            raise NotImplementedError("padded_batch: padding_values must be None or one scalar "
                                      f"in hoarfrost; got {padding_values!r}.")

        def pad(elements):
            counter = itertools.count()
            return _map_structure(lambda *v: _padded(next(counter), padding_values, *v),
                                  *elements)

        return self._batched(batch_size, drop_remainder, pad)

    def _batched(self, batch_size: int, drop_remainder: bool, combine: Callable) -> "Dataset":
        source = self

        def iterate():
            with _Closing(iter(source)) as it:
                while True:
                    elements = list(itertools.islice(it, batch_size))
                    if not elements or (drop_remainder and len(elements) < batch_size):
                        return
                    yield combine(elements)

        count = self._cardinality
        if count >= 0:
            count = count // batch_size if drop_remainder else -(-count // batch_size)
        return Dataset._make(iterate, count)

    def unbatch(self, name: str | None = None) -> "Dataset":
        """Split each element along its first axis into separate elements."""
        source = self

        def iterate():
            for batch in source:
                yield from _rows(batch)

        cardinality = (INFINITE_CARDINALITY if self._cardinality == INFINITE_CARDINALITY
                       else UNKNOWN_CARDINALITY)
        return Dataset._make(iterate, cardinality)

    def shuffle(self, buffer_size: int, seed: int | None = None,
                reshuffle_each_iteration: bool = True, name: str | None = None) -> "Dataset":
        """Randomly shuffle the elements with a buffer of `buffer_size`, as tf.data does.

        The buffer holds the next `buffer_size` elements; each output is drawn
        uniformly from it and replaced by the next input. A buffer at least
        the dataset's size gives a uniform shuffle. With
        `reshuffle_each_iteration` (the default) each pass (epoch) draws a
        new order; `seed` makes the sequence of orders reproducible. Without
        a seed one is drawn from NumPy's global generator, which
        `hoarfrost.utils.set_random_seed` seeds.
        """
        buffer_size = _count(buffer_size, "buffer_size")
        if buffer_size == AUTOTUNE:
            raise ValueError("shuffle: buffer_size must be given (tf.data does not accept "
                             "AUTOTUNE here either).")
        if buffer_size <= 0:
            raise ValueError(f"shuffle: buffer_size must be positive, got {buffer_size}.")
        base_seed = int(np.random.randint(2**31 - 1)) if seed is None else int(seed)
        passes = itertools.count()
        source = self

        def iterate():
            rng = np.random.default_rng(
                [base_seed, next(passes) if reshuffle_each_iteration else 0])
            buffer: list = []
            with _Closing(iter(source)) as it:
                for element in it:
                    if len(buffer) < buffer_size:
                        buffer.append(element)
                        continue
                    index = int(rng.integers(buffer_size))
                    yield buffer[index]
                    buffer[index] = element
            for index in rng.permutation(len(buffer)):
                yield buffer[index]

        return Dataset._make(iterate, self._cardinality)

    def repeat(self, count: int | None = None, name: str | None = None) -> "Dataset":
        """Repeat the dataset `count` times (`None` or -1: for ever)."""
        if count is not None:
            count = _count(count, "count")
        forever = count is None or count < 0
        source = self

        def iterate():
            passes = itertools.count() if forever else range(count)
            for _ in passes:
                empty = True
                for element in source:
                    empty = False
                    yield element
                if empty:
                    return  # an empty dataset repeated is empty (tf.data)

        if forever:
            cardinality = 0 if self._cardinality == 0 else INFINITE_CARDINALITY
        elif self._cardinality >= 0:
            cardinality = self._cardinality * count
        else:
            cardinality = self._cardinality
        return Dataset._make(iterate, cardinality)

    def take(self, count: int, name: str | None = None) -> "Dataset":
        """The first `count` elements (-1: all)."""
        count = _count(count, "count")
        if count < 0:
            return Dataset._make(self._iterate, self._cardinality)
        source = self

        def iterate():
            if count == 0:
                return
            with _Closing(iter(source)) as it:
                yield from itertools.islice(it, count)

        if self._cardinality >= 0:
            cardinality = min(self._cardinality, count)
        elif self._cardinality == INFINITE_CARDINALITY:
            cardinality = count
        else:
            cardinality = UNKNOWN_CARDINALITY
        return Dataset._make(iterate, cardinality)

    def skip(self, count: int, name: str | None = None) -> "Dataset":
        """All but the first `count` elements (-1: skip everything)."""
        count = _count(count, "count")
        source = self

        def iterate():
            if count < 0:
                return
            with _Closing(iter(source)) as it:
                yield from itertools.islice(it, count, None)

        if count < 0:
            cardinality = 0
        elif self._cardinality >= 0:
            cardinality = max(self._cardinality - count, 0)
        else:
            cardinality = self._cardinality
        return Dataset._make(iterate, cardinality)

    def concatenate(self, dataset: "Dataset", name: str | None = None) -> "Dataset":
        """This dataset's elements, then `dataset`'s."""
        if not isinstance(dataset, Dataset):
            raise TypeError(f"concatenate expects a Dataset, got {type(dataset).__name__}.")
        first = self

        def iterate():
            yield from first
            yield from dataset

        return Dataset._make(iterate, _add(self._cardinality, dataset._cardinality))

    def enumerate(self, start: int = 0, name: str | None = None) -> "Dataset":
        """Elements `(index, element)`, counting from `start`."""
        source = self
        return Dataset._make(
            lambda: ((np.asarray(i, np.int64), e) for i, e in enumerate(source, start)),
            self._cardinality)

    def cache(self, filename: str = "", name: str | None = None) -> "Dataset":
        """Keep the elements in memory after the first complete pass; later passes replay them.

        A pass that stops early keeps nothing (as tf.data). A `filename`
        (tf.data's on-disk cache) is not supported.
        """
        if filename:
            raise NotImplementedError(f"cache: only the in-memory cache (filename='') is "
                                      f"supported by hoarfrost; got filename={filename!r}.")
        store: dict = {}
        source = self

        def iterate():
            if "elements" in store:
                yield from store["elements"]
                return
            elements = []
            for element in source:
                elements.append(element)
                yield element
            store["elements"] = elements

        return Dataset._make(iterate, self._cardinality)

    def prefetch(self, buffer_size: int, name: str | None = None) -> "Dataset":
        """Produce up to `buffer_size` elements ahead on a background thread.

        `AUTOTUNE` (-1) prefetches 2. The elements and their order are unchanged.
        """
        buffer_size = _count(buffer_size, "buffer_size")
        if buffer_size < AUTOTUNE:
            raise ValueError(f"prefetch: buffer_size must be AUTOTUNE (-1) or >= 0, got "
                             f"{buffer_size}.")
        if buffer_size == 0:
            return Dataset._make(self._iterate, self._cardinality)
        depth = 2 if buffer_size == AUTOTUNE else buffer_size
        source = self
        return Dataset._make(lambda: _prefetched(lambda: iter(source), depth), self._cardinality)


class _SizedDataset(Dataset):
    """A `Dataset` whose number of elements is known: it has `len()`."""

    def __len__(self) -> int:
        return self._cardinality

