"""What fit, evaluate and predict accept: input checks, class weights, batch plans."""

from __future__ import annotations

import math
from typing import Any, Callable

import jax
import numpy as np

from hoarfrost.engine.compile_utils import OutputLayout, standardize


def _is_leaf(x) -> bool:
    return hasattr(x, "shape") and hasattr(x, "dtype")


def _is_nested_numbers(tree) -> bool:
    """A non-empty (nested) list or tuple of Python scalars only."""
    if not isinstance(tree, (list, tuple)) or not tree:
        return False
    return all(np.isscalar(v) or _is_nested_numbers(v) for v in tree)


def to_numpy(tree, argument: str):
    """Arrays of a structure (array, list, tuple, dict) as NumPy, floats as float32."""
    if tree is None:
        return None

    def convert(a):
        try:
            a = np.asarray(a)
        except Exception as exc:  # ragged lists and the like
            raise ValueError(f"`{argument}` could not be converted to an array: {exc}") from exc
        if a.dtype == object:
            raise ValueError(
                f"`{argument}` holds Python objects (dtype=object); expected numeric arrays."
            )
        if a.dtype.kind not in "biuf":
            raise ValueError(
                f"`{argument}` has dtype {a.dtype}; expected numbers (float, int or bool). "
                "Encode strings and categories as numbers first."
            )
        if np.issubdtype(a.dtype, np.floating) and a.dtype != np.float32:
            a = a.astype(np.float32)
        elif np.issubdtype(a.dtype, np.integer) and a.dtype.itemsize > 4:
            a = a.astype(np.int32)
        elif a.dtype == np.bool_:
            a = a.astype(np.float32)
        return a

    if _is_nested_numbers(tree):  # [1, 2] or [[1, 2], [3, 4]]: one array, not a structure
        return convert(tree)
    return jax.tree.map(convert, tree, is_leaf=_is_leaf)


def num_samples(tree, argument: str) -> int:
    """The shared first-axis size of every array in `tree`."""
    sizes = {np.shape(a)[0] if np.ndim(a) else None for a in jax.tree.leaves(tree)}
    if None in sizes:
        raise ValueError(f"`{argument}` must have a batch (first) axis; got a scalar.")
    if len(sizes) != 1:
        raise ValueError(f"The arrays in `{argument}` have different sample counts: {sorted(sizes)}.")
    return sizes.pop()


def check_same_count(x, y, sample_weight=None) -> int:
    n = num_samples(x, "x")
    if y is not None:
        ny = num_samples(y, "y")
        if ny != n:
            raise ValueError(
                f"x and y must have the same number of samples: x has {n}, y has {ny}."
            )
    if sample_weight is not None:
        nw = num_samples(sample_weight, "sample_weight")
        if nw != n:
            raise ValueError(
                f"sample_weight must have one weight per sample: x has {n} samples, "
                f"sample_weight has {nw}."
            )
    return n


def check_finite(tree, argument: str) -> None:
    """Refuse NaN or infinity in float data, naming where it is."""
    for a in jax.tree.leaves(tree):
        if np.issubdtype(a.dtype, np.floating):
            bad = ~np.isfinite(a)
            if bad.any():
                index = np.argwhere(bad)[0]
                sample = int(index[0])
                kind = "NaN" if np.isnan(a[tuple(index)]) else "infinity"
                raise ValueError(
                    f"`{argument}` contains {kind} (first at sample {sample}, index "
                    f"{tuple(int(i) for i in index)}; {int(bad.sum())} values in all). "
                    "Clean or impute the data before training."
                )


def take(tree, start: int, stop: int):
    return jax.tree.map(lambda a: a[start:stop], tree)


def split_validation(x, y, sample_weight, validation_split: float):
    """Hold out the last `validation_split` of the samples, before shuffling (Keras)."""
    if not 0 < validation_split < 1:
        raise ValueError(f"validation_split must be in [0, 1), got {validation_split!r}.")
    n = num_samples(x, "x")
    split = int(math.floor(n * (1.0 - validation_split)))
    if split == 0 or split == n:
        raise ValueError(
            f"validation_split={validation_split} of {n} samples leaves an empty training or "
            "validation set."
        )
    train = (take(x, 0, split), take(y, 0, split) if y is not None else None,
             take(sample_weight, 0, split) if sample_weight is not None else None)
    val = (take(x, split, n), take(y, split, n) if y is not None else None,
           take(sample_weight, split, n) if sample_weight is not None else None)
    return train, val


def batch_plan(num: int, batch_size: int, steps_per_execution: int) -> list[tuple[int, int, int]]:
    """Chunks of an epoch as (first sample, steps, batch size).

    Full batches run `steps_per_execution` at a time; the ragged last batch
    runs alone with its own (smaller) size.
    """
    full, rest = divmod(num, batch_size)
    plan = []
    step = 0
    while step < full:
        count = min(steps_per_execution, full - step)
        plan.append((step * batch_size, count, batch_size))
        step += count
    if rest:
        plan.append((full * batch_size, 1, rest))
    return plan


# --- what fit / evaluate / predict accept -------------------------------------------------
def check_batch_size(batch_size, default: int | None = 32) -> int | None:
    """`batch_size` as a positive int (`default`, Keras's 32, for None)."""
    if batch_size is None:
        return default
    if int(batch_size) != batch_size or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}.")
    return int(batch_size)


def check_data(x, y, sample_weight, method: str, class_weight=None, *, loss_label: str | None,
               layout: Callable[[Any], OutputLayout], per_output: bool = False,
               targets_required: bool = True):
    """`(x, y, sample_weight)` as checked NumPy, targets laid out per output.

    Args:
        method: the calling method, for messages (`"fit"`, ...).
        class_weight: `{class: weight}`, folded into the sample weights.
        loss_label: how to name the compiled loss when `y` is missing; None when
            compile() was given no loss (the model adds its own: `y` may be absent).
        layout: gives the model's `OutputLayout` for inputs `x` (called only
            when targets come one per output).
        per_output: the model's outputs are a structure (a functional model),
            so targets are always laid out per output.
        targets_required: whether `y` must be given (not for a model's own step, which
            may train without targets, e.g. a GAN).
    """
    if x is None:
        raise ValueError(f"{method}(): `x` is required.")
    x = to_numpy(x, "x")
    y = to_numpy(y, "y")
    sample_weight = to_numpy(sample_weight, "sample_weight")
    if y is None and method != "predict" and targets_required and loss_label is not None:
        raise ValueError(f"{method}(): targets `y` are required with loss {loss_label}.")
    check_same_count(x, y, sample_weight)
    check_finite(x, "x")
    if y is not None:
        check_finite(y, "y")
    if sample_weight is not None:
        check_finite(sample_weight, "sample_weight")
    if y is not None and (per_output or isinstance(y, (list, tuple, dict))
                          or isinstance(sample_weight, (list, tuple, dict))):
        outputs = layout(x)  # one array per output, in output order
        y = standardize(y, outputs, "y")
        sample_weight = standardize(sample_weight, outputs, "sample_weight")
        if class_weight is not None and outputs.count > 1:
            raise ValueError(
                f"{method}(): `class_weight` works for one output; this model has "
                f"{outputs.describe()}. Pass `sample_weight` per output instead.")
    if class_weight is not None:
        if sample_weight is not None:
            raise ValueError(
                f"{method}(): `class_weight` and `sample_weight` cannot be given together "
                "(as in Keras); multiply the class weights into `sample_weight` instead.")
        sample_weight = class_sample_weights(y, class_weight)
    return x, y, sample_weight


def class_sample_weights(y, class_weight: dict):
    """Per-sample weights from a `{class: weight}` dict (labels or one-hot targets), as
    Keras's `class_weight_to_sample_weights`: labels are rounded, and a class the dict
    does not name weighs 1."""
    labels = np.asarray(y)
    if labels.ndim > 1 and labels.shape[-1] > 1:
        labels = labels.argmax(-1)
    labels = np.round(labels.reshape(len(labels), -1)[:, 0]).astype(np.int64)
    weights = {int(key): float(value) for key, value in class_weight.items()}
    return np.asarray([weights.get(int(label), 1.0) for label in labels], np.float32)


def inputs_only(iterable):
    """Batches of inputs from an iterable of `x` or `(x, ...)` (for predict)."""

    class Inputs:
        def __iter__(self):
            for batch in iterable:
                yield (batch[0] if isinstance(batch, tuple) else batch,)

    return Inputs()
