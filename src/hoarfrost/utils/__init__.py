"""Utilities with Keras's names: `to_categorical`, `set_random_seed`, the data loaders, the
custom-object scope and serialization functions, `Config`, `standardize_dtype`, ..."""

from __future__ import annotations

import jax
import numpy as np

from hoarfrost.config import (disable_interactive_logging, enable_interactive_logging,
                              is_interactive_logging_enabled)
from hoarfrost.data.audio_dataset import audio_dataset_from_directory
from hoarfrost.data.image_dataset import image_dataset_from_directory
from hoarfrost.data.image_utils import array_to_img, img_to_array, load_img, save_img
from hoarfrost.data.split import split_dataset
from hoarfrost.data.text_dataset import text_dataset_from_directory
from hoarfrost.data.timeseries_dataset import timeseries_dataset_from_array
from hoarfrost.file_utils import get_file
from hoarfrost.naming import clear_session
from hoarfrost.object_registration import (CustomObjectScope, custom_object_scope,
                                           get_custom_objects, get_registered_name,
                                           get_registered_object, register_keras_serializable)
from hoarfrost.progbar import Progbar
from hoarfrost.py_dataset import PyDataset, Sequence
from hoarfrost.random import set_random_seed
from hoarfrost.sequence_utils import pad_sequences
from hoarfrost.saving.serialization_lib import deserialize_keras_object, serialize_keras_object
from hoarfrost.symbolic import is_keras_tensor
from hoarfrost.utils import legacy
from hoarfrost.utils.config import Config
from hoarfrost.utils.dtype_utils import standardize_dtype


def to_categorical(x, num_classes: int | None = None) -> np.ndarray:
    """One-hot encode integer class labels.

    Args:
        x: integer labels, any shape (a trailing axis of size 1 is dropped).
        num_classes: the number of classes; defaults to `max(x) + 1`.

    Example:
        >>> to_categorical([0, 2], num_classes=3)
        array([[1., 0., 0.],
               [0., 0., 1.]])

    As Keras's: NumPy (and list) labels give a float64 NumPy array, a JAX array
    gives a float32 JAX array (Keras's `one_hot` of a backend tensor).
    """
    is_jax = isinstance(x, jax.Array)
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
    out = np.zeros(x.shape + (num_classes,), dtype=np.float32 if is_jax else np.float64)
    np.put_along_axis(out, x[..., None], 1.0, axis=-1)
    return jax.numpy.asarray(out) if is_jax else out


def normalize(x, axis: int = -1, order: int = 2):
    """Scale `x` to unit `order`-norm along `axis` (a zero vector stays zero).

    A NumPy array comes back as a NumPy array in its floating dtype (float64
    for integers), as in Keras; anything else (a list, a JAX array) as a JAX
    array, divided by `max(norm, 1e-7)` as Keras's `ops.nn.normalize`.
    """
    if isinstance(x, np.ndarray):
        norm = np.linalg.norm(x, order, axis, keepdims=True)
        return x / np.where(norm == 0, 1, norm)
    import jax.numpy as jnp
    x = jnp.asarray(x, dtype=jnp.result_type(float))
    norm = jnp.linalg.norm(x, ord=order, axis=axis, keepdims=True)
    return x / jnp.maximum(norm, 1e-7)


def pack_x_y_sample_weight(x, y=None, sample_weight=None):
    """Pack data into the tuple `fit` takes: `x`, `(x, y)` or `(x, y, sample_weight)`.

    A lone `x` that is a tuple or list is wrapped as `(x,)`, as in Keras.
    """
    if y is None:
        return x if not isinstance(x, (tuple, list)) else (x,)
    if sample_weight is None:
        return (x, y)
    return (x, y, sample_weight)


def unpack_x_y_sample_weight(data):
    """`(x, y, sample_weight)` from `x`, `(x,)`, `(x, y)` or `(x, y, sample_weight)` (None-filled).

    For overriding `train_step` / `test_step` the way Keras programs do.
    """
    if isinstance(data, list):
        data = tuple(data)
    if not isinstance(data, tuple):
        return (data, None, None)
    if len(data) in (1, 2, 3):
        return tuple(data) + (None,) * (3 - len(data))
    raise ValueError("Data is expected to be in format `x`, `(x,)`, `(x, y)`, or "
                     f"`(x, y, sample_weight)`, found: {data}")


def get_source_inputs(tensor):
    """The `Input` tensors a symbolic tensor is computed from, in first-seen order.

    A tensor that is not symbolic is returned as it is (as Keras).
    """
    if not is_keras_tensor(tensor):
        return tensor
    node = tensor.node
    if node is None:
        return [tensor]
    if not node.input_tensors:  # an Input: the graph starts here
        return list(node.output_tensors)
    sources = []
    for parent in node.input_tensors:
        for source in get_source_inputs(parent):
            if all(source is not seen for seen in sources):
                sources.append(source)
    return sources


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


def model_to_dot(model, *args, **kwargs):
    """Keras's `model_to_dot`: raises ImportError without pydot, as Keras does (see
    `hoarfrost.plotting.model_to_dot`)."""
    from hoarfrost.plotting import model_to_dot as to_dot
    return to_dot(model, *args, **kwargs)


__all__ = ["to_categorical", "normalize", "set_random_seed", "clear_session",
           "register_keras_serializable", "plot_history", "plot_model", "model_to_dot",
           "PyDataset", "Sequence",
           "pad_sequences", "image_dataset_from_directory", "text_dataset_from_directory",
           "audio_dataset_from_directory", "timeseries_dataset_from_array", "split_dataset",
           "load_img", "img_to_array", "array_to_img", "save_img", "get_file", "Progbar",
           "pack_x_y_sample_weight", "unpack_x_y_sample_weight", "get_source_inputs",
           "is_keras_tensor", "Config", "CustomObjectScope", "custom_object_scope",
           "get_custom_objects", "get_registered_name", "get_registered_object",
           "serialize_keras_object", "deserialize_keras_object", "standardize_dtype",
           "enable_interactive_logging", "disable_interactive_logging",
           "is_interactive_logging_enabled", "legacy"]
