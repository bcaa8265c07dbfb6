"""`split_dataset`, as Keras's (its TensorFlow path, which the JAX backend takes)."""

from __future__ import annotations

import random
import time
import warnings

import numpy as np

from hoarfrost.data.dataset import AUTOTUNE, Dataset, _map_structure


def _samples(dataset) -> list:
    if isinstance(dataset, (list, tuple)):
        kind = type(dataset).__name__
        if len(dataset) == 0:
            raise ValueError(f"Received an empty {kind} dataset. Please provide a non-empty "
                             f"{kind} of arrays.")
        first = None
        for i, element in enumerate(dataset):
            if not isinstance(element, np.ndarray):
                raise ValueError(f"Expected a {kind} of `numpy.ndarray` objects, Received: "
                                 f"{type(element)} at index {i}.")
            if first is None:
                first = element.shape
            elif element.shape[0] != first[0]:
                raise ValueError(
                    f"Received a {kind} of NumPy arrays with different lengths. Mismatch found "
                    f"at index {i}, Expected shape={first} Received shape={element.shape}. "
                    f"Please provide a {kind} of NumPy arrays of the same length.")
        source = zip(*dataset)
    elif isinstance(dataset, np.ndarray):
        source = iter(dataset)
    elif isinstance(dataset, Dataset):
        # As Keras: only a dataset made by `.batch()` itself counts as batched.
        source = iter(dataset.unbatch() if getattr(dataset, "_batch_size", None) else dataset)
    else:
        raise TypeError("The `dataset` argument must be either a hoarfrost Dataset object, or "
                        f"a list/tuple of arrays. Received: dataset={dataset} of type "
                        f"{type(dataset)}")
    samples, started, warned = [], time.time(), False
    shape = None
    for i, sample in enumerate(source):
        if i == 0:
            shape = np.shape(sample) if isinstance(sample, np.ndarray) else None
        elif shape is not None and np.shape(sample) != shape:
            raise ValueError(f"All `dataset` samples must have same shape, Expected shape: "
                             f"{shape} Received shape: {np.shape(sample)} at index {i - 1}.")
        if not warned and i % 10 == 0 and time.time() - started > 10:
            warnings.warn("The dataset is taking longer than 10 seconds to iterate over. This "
                          "may be due to the size of the dataset. Keep in mind that the "
                          "`split_dataset` utility is only for small in-memory dataset "
                          "(e.g. < 10,000 samples).", ResourceWarning)
            warned = True
        samples.append(sample)
    if not samples:
        raise ValueError("Received an empty dataset. Argument `dataset` must be a non-empty "
                         "list/tuple of `numpy.ndarray` objects or Dataset objects.")
    return samples


def _rescale(left_size, right_size, total: int) -> tuple[int, int]:
    left_type, right_type = type(left_size), type(right_size)
    if (left_size is not None and left_type not in (int, float)) and (
            right_size is not None and right_type not in (int, float)):
        raise TypeError("Invalid `left_size` and `right_size` Types. Expected: integer or float "
                        f"or None, Received: type(left_size)={left_type} and "
                        f"type(right_size)={right_type}")
    if left_size is not None and left_type not in (int, float):
        raise TypeError(f"Invalid `left_size` Type. Expected: int or float or None, Received: "
                        f"type(left_size)={left_type}.")
    if right_size is not None and right_type not in (int, float):
        raise TypeError(f"Invalid `right_size` Type. Expected: int or float or None, Received: "
                        f"type(right_size)={right_type}.")
    if left_size == 0 and right_size == 0:
        raise ValueError("Both `left_size` and `right_size` are zero. At least one of the "
                         "split sizes must be non-zero.")
    if (left_type is int and (left_size <= 0 or left_size >= total)
            or left_type is float and (left_size <= 0 or left_size >= 1)):
        raise ValueError(f"`left_size` should be either a positive integer smaller than {total}, "
                         "or a float within the range `[0, 1]`. Received: left_size="
                         f"{left_size}")
    if (right_type is int and (right_size <= 0 or right_size >= total)
            or right_type is float and (right_size <= 0 or right_size >= 1)):
        raise ValueError(f"`right_size` should be either a positive integer and smaller than "
                         f"{total} or a float within the range `[0, 1]`. Received: right_size="
                         f"{right_size}")
    if right_type is left_type is float and right_size + left_size > 1:
        raise ValueError("The sum of `left_size` and `right_size` is greater than 1. It must be "
                         "less than or equal to 1.")
    left = round(left_size * total) if left_type is float else left_size
    right = round(right_size * total) if right_type is float else right_size
    if left is None:
        left = total - right
    elif right is None:
        right = total - left
    if left + right > total:
        raise ValueError(f"The sum of `left_size` and `right_size` should be smaller than the "
                         f"{total}. Received: left_size + right_size = {left + right}and "
                         f"total_length = {total}")
    for split, side in ((left, "left"), (right, "right")):
        if split == 0:
            raise ValueError(f"With `dataset` of length={total}, `left_size`={float(left)} and "
                             f"`right_size`={float(right)}.Resulting {side} side dataset split "
                             "will be empty. Adjust any of the aforementioned parameters")
    return int(left), int(right)


def _restore(samples: list, structured: bool):
    if not structured:
        return samples
    return _map_structure(lambda *leaves: np.array(leaves), *samples)


def split_dataset(dataset, left_size=None, right_size=None, shuffle: bool = False, seed=None,
                  preferred_backend: str | None = None):
    """Split a dataset into a left and a right `Dataset` (e.g. train / test), as Keras.

    Args:
        dataset: a `Dataset`, or a list / tuple of arrays of the same length,
            or an array.
        left_size: a fraction in (0, 1) or a number of samples for the left
            split; None: what `right_size` leaves.
        right_size: the same for the right split (taken from the end).
        shuffle: shuffle the samples first (Python's `random` with `seed`, as
            Keras, so a seed gives Keras's split).
        seed: the shuffle's seed.
        preferred_backend: None or 'tensorflow' / 'jax' (all give hoarfrost
            `Dataset`s); 'torch' is not supported.

    Returns:
        `(left, right)` `Dataset`s; batched like `dataset` if it was made by
        `.batch()`.

    Example:
        >>> left, right = split_dataset(np.random.random((1000, 4)), left_size=0.8)
        >>> len(left), len(right)
        (800, 200)
    """
    if preferred_backend not in (None, "tensorflow", "jax", "numpy"):
        raise ValueError("split_dataset: hoarfrost returns its own Dataset objects; "
                         f"preferred_backend={preferred_backend!r} is not supported.")
    if right_size is None and left_size is None:
        raise ValueError("At least one of the `left_size` or `right_size` must be specified. "
                         "Received: left_size=None and right_size=None")
    samples = _samples(dataset)
    if shuffle:
        if seed is None:
            seed = random.randint(0, int(1e6))
        random.Random(seed).shuffle(samples)  # Keras reseeds the global stream; same order
    left, right = _rescale(left_size, right_size, len(samples))
    structured = isinstance(dataset, (list, tuple)) or isinstance(dataset, Dataset)
    splits = []
    for part in (samples[:left], samples[-right:]):
        restored = _restore(list(part), structured)
        if isinstance(restored, list) and not structured:
            restored = np.array(restored)
        elif isinstance(restored, list):
            restored = tuple(restored)
        ds = Dataset.from_tensor_slices(restored)
        batch_size = getattr(dataset, "_batch_size", None) if isinstance(dataset, Dataset) \
            else None
        if batch_size:
            ds = ds.batch(batch_size)
        splits.append(ds.prefetch(AUTOTUNE))
    return splits[0], splits[1]
