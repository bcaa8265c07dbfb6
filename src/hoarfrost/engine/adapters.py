"""Where batches come from: device-resident arrays, streamed arrays, or iterables.

An adapter turns user data into *chunks*: a few batches that one compiled
call runs (`data`, a row permutation `perm`, the first row `offset`, the
number of `steps` and the `batch_size`). Arrays that fit in device memory go
to the device once per `fit` and are shuffled there; larger arrays and Python
iterables are streamed, with the next chunk prepared on a background thread
while the device works on the current one.
"""

from __future__ import annotations

import inspect
import random
import warnings
from typing import Callable, Iterator, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from hoarfrost.distribution import SINGLE_DEVICE, Distribution
from hoarfrost.engine.data import batch_plan, num_samples
from hoarfrost.host import to_device
from hoarfrost.prefetching import prefetched
from hoarfrost.py_dataset import PyDataset

# Arrays above this many bytes are streamed rather than copied to the device.
DEVICE_DATA_LIMIT = 2 * 1024**3


class Chunk(NamedTuple):
    data: object  # (x, y, sample_weight) on the device; y and weights may be None
    perm: object  # int32 row indices into data
    offset: int
    steps: int
    batch_size: int


def is_iterable_input(x) -> bool:
    """True for generators, iterators and dataset-like objects (not array structures)."""
    if x is None or isinstance(x, (np.ndarray, jax.Array, list, tuple, dict)) or hasattr(x, "shape"):
        return False
    return inspect.isgenerator(x) or hasattr(x, "__next__") or hasattr(x, "__iter__")


def _nbytes(tree) -> int:
    return sum(int(np.asarray(a).nbytes) for a in jax.tree.leaves(tree))


class ArrayAdapter:
    """Batches of in-memory arrays, shuffled per epoch, `steps_per_execution` at a time.

    With a distribution over several processes, `batch_size` is what each
    process feeds per step (global batch `batch_size * num_processes`, as
    Keras 3 on JAX). With `auto_shard_dataset` (the default) every process
    holds the same arrays and takes its rows of each global batch; without it
    each process passes its own shard, streamed from the host.
    """

    def __init__(self, data, batch_size: int, steps_per_execution: int, shuffle: bool,
                 device_limit: int | None = None, distribution: Distribution = SINGLE_DEVICE,
                 steps: int | None = None):
        self.num = num_samples(data[0], "x")
        self.steps_per_execution = steps_per_execution
        # `steps` (steps_per_epoch, validation_steps, evaluate/predict's steps): that many
        # batches per call of `chunks`, the pass over the data going on across calls
        # (Keras's EpochIterator); None: every batch, a fresh pass each time.
        self.steps_per_epoch = steps
        self._order = None  # the current pass's row order (steps given), once started
        self._seen = 0  # batches of the current pass already run
        self.distribution = distribution
        self.local = distribution.feeds_local_data
        self.shards = distribution.num_data_shards
        if self.local:
            _check_same_count_everywhere(self.num)
            # Plan in this process's rows; each chunk stacks every process's rows.
            self.plan = batch_plan(self.num, batch_size, steps_per_execution)
        else:
            self.plan = batch_plan(self.num, batch_size * self.shards, steps_per_execution)
        self.batch_size = batch_size * self.shards
        self.shuffle = shuffle
        self.steps = sum(count for _, count, _ in self.plan)
        self.display_steps = steps or self.steps  # what the progress bar counts to
        limit = DEVICE_DATA_LIMIT if device_limit is None else device_limit
        self.resident = _nbytes(data) <= limit and not self.local
        self.host = data
        self.device = distribution.place_data(data) if self.resident else None
        self._identity = to_device(np.arange(self.num, dtype=np.int32))
        self._seed_checked = False  # several processes: they shuffle with one seed
        self._perms: dict = {}  # (steps, size) -> interleaved rows of a stacked chunk
        self._row_ids: dict = {}  # count -> 0 .. count-1

    def chunks(self, seed=None) -> Iterator[Chunk]:
        """This epoch's chunks; `seed` (integers) orders the rows when shuffling.

        The permutation is drawn on the host (NumPy, microseconds) and sent
        to the device: an on-device `jax.random.permutation` costs a sort's
        compilation in the first epoch, for the same work.
        """
        if self.steps_per_epoch is None:
            order, plan, ran_out = self._order_for(seed), self.plan, False
        else:
            if self._order is None:  # a new pass over the data
                self._order, self._seen = self._order_for(seed), 0
            batches = self._batches()
            take = min(self.steps_per_epoch, len(batches) - self._seen)
            order, plan = self._order, _regroup(batches[self._seen:self._seen + take],
                                                self.steps_per_execution)
            self._seen += take
            ran_out = take < self.steps_per_epoch
            if self._seen >= len(batches):
                self._order = None  # the next call starts a new pass (reshuffled)
        yield from self._plan_chunks(order, plan)
        if ran_out:
            warn_ran_out_of_data()

    def reset(self) -> None:
        """Start the next `chunks` at the beginning of a new pass (Keras's `reset`)."""
        self._order, self._seen = None, 0

    def _order_for(self, seed):
        """This pass's row order: a permutation when shuffling, else the identity (a
        device array when the data lives there)."""
        if not self.shuffle:
            return self._identity if self.resident else np.arange(self.num)
        seed = np.asarray(seed, np.uint32).ravel()
        if self.local:  # each process shuffles its own shard
            seed = np.append(seed, np.uint32(self.distribution.data_shard_id))
        elif self.distribution.is_multi_process and not self._seed_checked:
            _check_same_seed_everywhere(seed)  # each takes its rows of one shared order
            self._seed_checked = True
        order = np.random.default_rng(seed).permutation(self.num).astype(np.int32)
        return to_device(order) if self.resident else order

    def _batches(self) -> list[tuple[int, int]]:
        """Every batch of a pass as (first row, size)."""
        return [(offset + i * size, size) for offset, steps, size in self.plan
                for i in range(steps)]

    def _plan_chunks(self, order, plan) -> Iterator[Chunk]:
        if self.resident:
            for offset, steps, size in plan:
                yield Chunk(self.device, order, offset, steps, size)
            return

        def load(item):
            offset, steps, size = item
            rows = order[offset:offset + steps * size]
            part = jax.tree.map(lambda a: np.asarray(a)[rows], self.host)
            if self.local:
                return Chunk(self.distribution.place_local_batch(part),
                             self._interleave(steps, size), 0, steps, size * self.shards)
            return Chunk(self.distribution.place_batch(part), self._rows(steps * size), 0,
                         steps, size)

        yield from prefetch(map(load, plan))

    def _rows(self, count: int):
        """`0 .. count-1` on the device, made once per count (no eager iota to compile)."""
        if count not in self._row_ids:
            self._row_ids[count] = to_device(np.arange(count, dtype=np.int32))
        return self._row_ids[count]

    def _interleave(self, steps: int, size: int):
        """Rows of a stacked chunk, global batch by global batch.

        The chunk holds shard 0's `steps * size` rows, then shard 1's, ...;
        global batch `k` is every shard's `k`-th local batch, in shard order.
        """
        if (steps, size) not in self._perms:
            rows = np.arange(self.shards * steps * size, dtype=np.int32)
            self._perms[steps, size] = to_device(
                rows.reshape(self.shards, steps, size).transpose(1, 0, 2).ravel())
        return self._perms[steps, size]


def _regroup(batches: list[tuple[int, int]], steps_per_execution: int) -> list:
    """Consecutive batches of one size as plan entries (first row, steps, size) of at
    most `steps_per_execution` steps."""
    plan: list[tuple[int, int, int]] = []
    for offset, size in batches:
        if plan:
            first, steps, last_size = plan[-1]
            if (last_size == size and steps < steps_per_execution
                    and first + steps * size == offset):
                plan[-1] = (first, steps + 1, size)
                continue
        plan.append((offset, 1, size))
    return plan


def warn_ran_out_of_data() -> None:
    """Keras's warning when the data ends before the steps asked for."""
    warnings.warn(
        "Your input ran out of data; interrupting training. Make sure that your dataset or "
        "generator can generate at least `steps_per_epoch * epochs` batches. You may need "
        "to use the `.repeat()` function when building your dataset.", stacklevel=3)


class IterableAdapter:
    """One batch per chunk from a Python iterable of `(x, y)` or `(x, y, sample_weight)`.

    Without `steps_per_epoch`, every epoch iterates the object afresh until it
    ends (a list of batches or a dataset object works; a generator lasts one
    epoch). With it, batches are drawn from one running iterator, so an
    infinite generator feeds every epoch.

    Args:
        iterable: a generator, iterator or re-iterable object.
        steps_per_epoch: batches per epoch, or None.
        convert: checks and converts one batch to NumPy `(x, y, sample_weight)`.
    """

    def __init__(self, iterable, steps_per_epoch: int | None, convert: Callable,
                 distribution: Distribution = SINGLE_DEVICE, shuffle: bool = False):
        self.distribution = distribution
        self.iterable = iterable
        # Keras's fit(shuffle=True) reads a finite PyDataset's batches in a new random order
        # each epoch (Python's `random`, as Keras); other iterables are read as they come.
        self.shuffle = (shuffle and isinstance(iterable, PyDataset)
                        and iterable.num_batches is not None
                        and not distribution.is_multi_process)
        self.steps = steps_per_epoch
        # For the progress bar: a PyDataset (or anything with a length) says how many.
        self.display_steps = steps_per_epoch
        if steps_per_epoch is None and hasattr(iterable, "__len__"):
            self.display_steps = len(iterable)
        self.convert = convert
        self._iterator = None
        self._pending = None
        self._identity: dict[int, jax.Array] = {}

    def _iter(self):
        if self.shuffle:
            return _shuffled_epoch(self.iterable)
        return iter(self.iterable)

    def _split(self, batch):
        if not isinstance(batch, (tuple, list)) or not 1 <= len(batch) <= 3:
            raise ValueError(
                "Each batch from the data iterable must be a tuple (x, y) or "
                f"(x, y, sample_weight); got {type(batch).__name__}"
                + (f" of length {len(batch)}" if hasattr(batch, "__len__") else "") + "."
            )
        return self.convert(*(tuple(batch) + (None, None))[:3])

    def first_batch(self):
        """One converted batch, for shape checks; it is still trained on."""
        if self._pending is None:
            if self._iterator is None:
                self._iterator = self._iter()
            try:
                self._pending = self._split(next(self._iterator))
            except StopIteration:
                raise ValueError("The data iterable produced no batches.") from None
        return self._pending

    def _group(self) -> int:
        """Batches per step: one, or one per process when they all read the same stream."""
        d = self.distribution
        if not d.is_multi_process or d.feeds_local_data:
            return 1
        return d.num_data_shards

    def _epoch(self):
        if self.steps is None and self._pending is None:
            self._iterator = self._iter()
        count, group = 0, self._group()
        while self.steps is None or count < self.steps:
            batches = []
            while len(batches) < group:
                if self._pending is not None:
                    batch, self._pending = self._pending, None
                else:
                    try:
                        raw = next(self._iterator)
                    except StopIteration:
                        if self.steps is not None:  # as Keras: warn, begin again next time
                            warn_ran_out_of_data()
                            self._iterator = self._iter()
                        else:
                            self._iterator = None
                        break
                    try:
                        batch = self._split(raw)
                    except ValueError as error:  # which batch: the first ones trained
                        raise ValueError(f"Batch {count * group + len(batches)} (0-based) of this "
                                         f"epoch of the data iterable: {error}") from error
                batches.append(batch)
            if not batches:
                break
            count += 1
            yield batches[0] if group == 1 else _concat(batches)
            if len(batches) < group:
                break
        if count == 0:
            raise ValueError(
                "The data iterable produced no batch for this epoch (a generator is used up "
                "after one pass). Pass a re-iterable object, or an endless generator with "
                "steps_per_epoch."
            )

    def _chunk(self, batch) -> Chunk:
        size = num_samples(batch[0], "x")
        d = self.distribution
        if d.feeds_local_data:  # this process's batch; all stack
            size *= d.num_data_shards
            data = d.place_local_batch(batch)
        else:  # global rows: split over the batch axis, or replicated if ragged
            data = d.place_batch(batch)
        if size not in self._identity:
            self._identity[size] = to_device(np.arange(size, dtype=np.int32))
        return Chunk(data, self._identity[size], 0, 1, size)

    def reset(self) -> None:
        """Iterate the object afresh at the next `chunks` (Keras's `reset`): a list or
        dataset starts over, a generator goes on where it stopped."""
        if self._pending is None:
            self._iterator = None

    def chunks(self, seed=None) -> Iterator[Chunk]:
        if self._iterator is None and self._pending is None:
            self._iterator = self._iter()
        yield from prefetch(map(self._chunk, self._epoch()))


def _shuffled_epoch(dataset: PyDataset):
    """One epoch of `dataset` in a shuffled batch order (Keras's `PyDatasetAdapter`)."""
    indices = list(range(dataset.num_batches))
    random.shuffle(indices)
    dataset.on_epoch_begin()
    for index in indices:
        yield dataset[index]
    dataset.on_epoch_end()


def _concat(batches):
    """One batch from several `(x, y, sample_weight)` batches (None stays None)."""
    return jax.tree.map(
        lambda *parts: None if parts[0] is None else np.concatenate([np.asarray(p) for p in parts]),
        *batches, is_leaf=lambda a: a is None)


def _check_same_count_everywhere(num: int) -> None:
    """Each process feeding its own shard must run as many steps as the others."""
    from jax.experimental import multihost_utils  # only multi-process runs need it
    counts = np.asarray(multihost_utils.process_allgather(np.int64(num))).ravel().tolist()
    if len(set(counts)) > 1:
        raise ValueError(
            f"auto_shard_dataset=False: every process must pass the same number of samples "
            f"(each runs the same number of steps); got {counts} by process (this is process "
            f"{jax.process_index()}, with {num}).")


def _check_same_seed_everywhere(seed: np.ndarray) -> None:
    """With `auto_shard_dataset` every process takes its rows of one shuffled order, so
    all must shuffle alike: different seeds would train some rows twice and skip others."""
    from jax.experimental import multihost_utils  # only multi-process runs need it
    seeds = np.asarray(multihost_utils.process_allgather(seed)).reshape(-1, seed.size)
    if any(not np.array_equal(s, seeds[0]) for s in seeds[1:]):
        raise ValueError(
            "fit(shuffle=True) over several processes with auto_shard_dataset=True: the "
            "processes shuffle with different random seeds (this is process "
            f"{jax.process_index()}), so they would take rows of different orders, training "
            "some samples twice and others never. Set the same seed on every process "
            "(hoarfrost.utils.set_random_seed(n)), or leave it unset and call "
            "hoarfrost.distribution.initialize(), which agrees on one; or pass "
            "shuffle=False.")


def prefetch(items: Iterator, depth: int = 2) -> Iterator:
    """Produce the next items on a background thread while the caller works."""
    return prefetched(lambda: items, depth)
