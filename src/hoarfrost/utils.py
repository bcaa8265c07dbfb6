"""Utilities with Keras's names: `to_categorical`, `set_random_seed`, ..."""

from __future__ import annotations

import numpy as np

from hoarfrost.naming import clear_session
from hoarfrost.py_dataset import PyDataset, Sequence
from hoarfrost.random import set_random_seed
from hoarfrost.sequence_utils import pad_sequences


def to_categorical(x, num_classes: int | None = None) -> np.ndarray:
    """One-hot encode integer class labels.

    Args:
        x: integer labels, any shape (a trailing axis of size 1 is dropped).
        num_classes: the number of classes; defaults to `max(x) + 1`.

    Example:
        >>> to_categorical([0, 2], num_classes=3)
        array([[1., 0., 0.],
               [0., 0., 1.]], dtype=float32)
    """
    x = np.asarray(x)
    if x.size and not np.all(np.equal(np.mod(x, 1), 0)):
        raise ValueError("to_categorical: labels must be integers.")
    x = x.astype(np.int64)
    if x.ndim > 1 and x.shape[-1] == 1:
        x = x.reshape(x.shape[:-1])
    if num_classes is None:
        num_classes = int(x.max()) + 1 if x.size else 0
    if x.size and (x.min() < 0 or x.max() >= num_classes):
        raise ValueError(
            f"to_categorical: labels must be in [0, {num_classes}), got values from "
            f"{int(x.min())} to {int(x.max())}."
        )
    out = np.zeros(x.shape + (num_classes,), dtype=np.float32)
    np.put_along_axis(out, x[..., None], 1.0, axis=-1)
    return out


def normalize(x, axis: int = -1, order: int = 2) -> np.ndarray:
    """Scale `x` to unit `order`-norm along `axis`."""
    x = np.asarray(x, dtype=np.float32)
    norm = np.linalg.norm(x, ord=order, axis=axis, keepdims=True)
    return x / np.where(norm == 0, 1, norm)


def unpack_x_y_sample_weight(data):
    """`(x, y, sample_weight)` from a batch `x`, `(x,)`, `(x, y)` or `(x, y, sample_weight)`
    (missing entries are None), as Keras's: for `train_step` and friends.

    Example:
        >>> x, y, sample_weight = unpack_x_y_sample_weight((np.ones(2), np.zeros(2)))
        >>> sample_weight is None
        True
    """
    if isinstance(data, list):
        data = tuple(data)
    if not isinstance(data, tuple):
        return (data, None, None)
    if len(data) in (1, 2, 3):
        return tuple(data) + (None,) * (3 - len(data))
    raise ValueError("Data is expected to be in format `x`, `(x,)`, `(x, y)`, or "
                     f"`(x, y, sample_weight)`, found a tuple of {len(data)} entries: {data}")


def pack_x_y_sample_weight(x, y=None, sample_weight=None):
    """The batch `fit` hands a step: `x` alone (`(x,)` when `x` is a tuple or list),
    `(x, y)`, or `(x, y, sample_weight)`, as Keras's."""
    if y is None:
        return (x,) if isinstance(x, (tuple, list)) else x
    if sample_weight is None:
        return (x, y)
    return (x, y, sample_weight)


def register_keras_serializable(package: str = "Custom", name: str | None = None):
    """Register a custom class so `load_model` can rebuild it by name."""
    from hoarfrost.saving.serialization import register_keras_serializable as register
    return register(package=package, name=name)


def plot_history(history, path="history.png", **kwargs) -> str:
    """Plot a `History`: one panel per metric, training against validation, by epoch.

    Needs matplotlib (`pip install hoarfrost[plot]`); see `hoarfrost.plotting.plot_history`.
    """
    from hoarfrost.plotting import plot_history as plot
    return plot(history, path, **kwargs)


def plot_model(model, to_file="model.png", show_shapes: bool = True, **kwargs) -> str:
    """Draw a model's layer graph (frozen layers coloured apart) to an image file.

    Needs matplotlib (`pip install hoarfrost[plot]`); no graphviz. See
    `hoarfrost.plotting.plot_model` for the options.
    """
    from hoarfrost.plotting import plot_model as plot
    return plot(model, to_file, show_shapes=show_shapes, **kwargs)


__all__ = ["to_categorical", "normalize", "set_random_seed", "clear_session",
           "unpack_x_y_sample_weight", "pack_x_y_sample_weight",
           "register_keras_serializable", "plot_history", "plot_model", "PyDataset", "Sequence",
           "pad_sequences"]
