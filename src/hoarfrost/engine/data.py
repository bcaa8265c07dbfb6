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
            check_int32_range(a, argument)
            a = a.astype(np.int32)
        elif a.dtype == np.bool_:
            a = a.astype(np.float32)
        return a

    if _is_nested_numbers(tree):  # [1, 2] or [[1, 2], [3, 4]]: one array, not a structure
        return convert(tree)
    return jax.tree.map(convert, tree, is_leaf=_is_leaf)


_INT32 = np.iinfo(np.int32)


def check_int32_range(a: np.ndarray, argument: str) -> None:
    """Refuse 64-bit integers that do not fit in int32 (JAX computes in 32 bits by
    default: 2**32 + 5 would silently become 5)."""
    if a.size == 0:
        return
    low, high = a.min(), a.max()
    if low < _INT32.min or high > _INT32.max:
        bad = high if high > _INT32.max else low
        index = tuple(int(i) for i in np.argwhere(a == bad)[0])
        raise ValueError(
            f"`{argument}` has dtype {a.dtype} and holds {int(bad)} at index {index}, outside "
            f"the int32 range [{_INT32.min}, {_INT32.max}] that JAX computes in (64-bit "
            "integers are converted to int32). Re-encode the values (e.g. as class indices "
            "0..n-1) or pass floats.")


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
            # A finite sum means every value is finite (NaN and infinity make it NaN or
            # infinite); one pass without a temporary, 2-3x faster than `isfinite` on
            # big arrays. A sum that overflows is looked at value by value below.
            with np.errstate(all="ignore"):
                total = np.sum(a, dtype=np.float32 if a.itemsize < 4 else None)
            if np.isfinite(total):
                continue
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
def _is_int(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def check_fit_arguments(epochs, initial_epoch, validation_split, validation_freq) -> None:
    """Refuse `fit` arguments of the wrong type or range before anything runs (Keras fails
    on some of them only later, or with a bare TypeError)."""
    if not _is_int(epochs) or epochs < 0:
        raise ValueError(f"fit(): `epochs` must be an integer >= 0 (the number of epochs); got "
                         f"{epochs!r}" + (f" of type {type(epochs).__name__}"
                                          if not _is_int(epochs) else "") + ".")
    if not _is_int(initial_epoch) or initial_epoch < 0:
        raise ValueError(f"fit(): `initial_epoch` must be an integer >= 0; got "
                         f"{initial_epoch!r}.")
    if (isinstance(validation_split, (bool, np.bool_))
            or not isinstance(validation_split, (int, float, np.integer, np.floating))
            or not 0 <= validation_split < 1):
        raise ValueError(
            "fit(): `validation_split` must be a float in [0, 1) (the fraction of the data "
            f"held out for validation); got {validation_split!r} of type "
            f"{type(validation_split).__name__}.")
    freqs = validation_freq if isinstance(validation_freq, (list, tuple)) else [validation_freq]
    if not freqs or not all(_is_int(f) and f >= 1 for f in freqs):
        raise ValueError(
            "fit(): `validation_freq` must be an integer >= 1 (validate every that many "
            "epochs) or a list of epochs (1-based) to validate after; got "
            f"{validation_freq!r}.")


def should_validate(epoch: int, validation_freq) -> bool:
    """Whether to validate after `epoch` (0-based), as Keras's `_should_eval`."""
    if isinstance(validation_freq, (list, tuple)):
        return epoch + 1 in validation_freq
    return (epoch + 1) % validation_freq == 0


def check_batch_size(batch_size, default: int | None = 32) -> int | None:
    """`batch_size` as a positive int (`default`, Keras's 32, for None)."""
    if batch_size is None:
        return default
    if (isinstance(batch_size, (bool, np.bool_, str)) or int(batch_size) != batch_size
            or batch_size < 1):
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}.")
    return int(batch_size)


def check_data(x, y, sample_weight, method: str, class_weight=None, *, loss_label: str | None,
               layout: Callable[[Any], OutputLayout], per_output: bool = False,
               targets_required: bool = True, batch: bool = False):
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
        batch: the data is one batch of an iterable (for messages).
    """
    if x is None:
        raise ValueError(f"{method}(): `x` is required.")
    x = to_numpy(x, "x")
    y = to_numpy(y, "y")
    sample_weight = to_numpy(sample_weight, "sample_weight")
    if y is None and method != "predict" and targets_required and loss_label is not None:
        raise ValueError(f"{method}(): targets `y` are required with loss {loss_label}.")
    if check_same_count(x, y, sample_weight) == 0:
        what = "this batch" if batch else "`x`"
        raise ValueError(f"{method}(): {what} has no samples (the first axis of `x` has size 0); "
                         "expected at least one.")
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


def check_class_weight(class_weight) -> dict[int, float]:
    """`class_weight` as `{class index: weight}`: keys whole numbers >= 0 (`0`, `"0"`, as
    Keras's `int(key)`), weights finite numbers >= 0."""
    if not hasattr(class_weight, "items"):
        raise ValueError("`class_weight` must be a dict mapping class indices to weights, e.g. "
                         f"{{0: 1.0, 1: 5.0}}; got {type(class_weight).__name__}.")
    cleaned = {}
    for key, value in class_weight.items():
        try:
            index = int(key)
            whole = not isinstance(key, bool) and float(key) == index
        except (TypeError, ValueError):
            whole = False
        if not whole or index < 0:
            raise ValueError(
                "`class_weight` must have integer keys >= 0 (class indices); got the key "
                f"{key!r} of type {type(key).__name__}. Map class names to their indices "
                "first, e.g. {0: 1.0, 1: 5.0}.")
        try:
            weight = float(value)
        except (TypeError, ValueError):
            weight = float("nan")
        if not np.isfinite(weight) or weight < 0:
            raise ValueError(f"`class_weight` must map classes to finite weights >= 0; got "
                             f"{value!r} for class {index}.")
        cleaned[index] = weight
    if not cleaned:
        raise ValueError("`class_weight` is empty; give a weight for each class, or pass None.")
    return cleaned


def class_sample_weights(y, class_weight: dict):
    """Per-sample weights from a `{class: weight}` dict (labels or one-hot targets), as
    Keras's `class_weight_to_sample_weights`: labels are rounded, and a class the dict
    does not name weighs 1."""
    weights = check_class_weight(class_weight)
    labels = np.asarray(y)
    if labels.ndim > 1 and labels.shape[-1] > 1:
        labels = labels.argmax(-1)
    labels = np.round(labels.reshape(len(labels), -1)[:, 0]).astype(np.int64)
    return np.asarray([weights.get(int(label), 1.0) for label in labels], np.float32)


def inputs_only(iterable):
    """Batches of inputs from an iterable of `x` or `(x, ...)` (for predict)."""

    class Inputs:
        def __iter__(self):
            for batch in iterable:
                yield (batch[0] if isinstance(batch, tuple) else batch,)

    return Inputs()
