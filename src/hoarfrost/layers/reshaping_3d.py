"""The volumetric shape-only layers: `ZeroPadding3D`, `Cropping3D` and `UpSampling3D`
(the 1D and 2D ones are in `reshaping.py`)."""

from __future__ import annotations

import jax.numpy as jnp

from hoarfrost.layers.layer import InputSpec, Layer
from hoarfrost.layers.reshaping import (
    _Cropping,
    _data_format,
    _int_pair,
    _spatial_axes,
    _ZeroPadding,
)

_ORDINALS = ("1st", "2nd", "3rd")


def _pairs_3d(layer_name: str, value, argument: str) -> tuple:
    """An int, three ints (symmetric per axis) or three `(before, after)` pairs."""
    if isinstance(value, int) and not isinstance(value, bool):
        if value < 0:
            raise ValueError(f"{layer_name}: `{argument}` cannot be negative, got {value}.")
        return ((value, value),) * 3
    if not hasattr(value, "__len__") or len(value) != 3:
        raise ValueError(
            f"{layer_name}: `{argument}` must be an int, a tuple of 3 ints or a tuple of 3 "
            f"tuples of 2 ints ((before, after) per spatial axis); got {value!r}."
        )
    return tuple(_int_pair(layer_name, v, f"{_ORDINALS[i]} entry of {argument}")
                 for i, v in enumerate(value))


def _int_triple(layer_name: str, value, argument: str) -> tuple:
    """Keras's `standardize_tuple(value, 3)`: an int or three positive ints."""
    if isinstance(value, int) and not isinstance(value, bool):
        triple = (value,) * 3
    else:
        try:
            triple = tuple(int(v) for v in value)
        except (TypeError, ValueError):
            triple = ()
    if len(triple) != 3 or any(v <= 0 for v in triple):
        raise ValueError(f"{layer_name}: `{argument}` must be a positive int or a tuple of 3 "
                         f"positive ints, got {value!r}.")
    return triple


class ZeroPadding3D(_ZeroPadding):
    """Pads the three spatial axes of volumes with zeros.

    Args:
        padding: an int (all sides), three ints (symmetric per axis) or
            `((before1, after1), (before2, after2), (before3, after3))`.
        data_format: `"channels_last"` (default, `(batch, d1, d2, d3,
            channels)`) or `"channels_first"` (`(batch, channels, d1, d2, d3)`).

    Example:
        >>> ZeroPadding3D(((1, 0), (0, 2), 1))(jnp.ones((1, 2, 2, 2, 3))).shape
        (1, 3, 4, 4, 3)
    """

    def __init__(self, padding=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        super().__init__(padding, data_format, 3, _pairs_3d, **kwargs)


class Cropping3D(_Cropping):
    """Crops the three spatial axes of volumes.

    Args:
        cropping: an int (all sides), three ints (symmetric per axis) or
            `((before1, after1), (before2, after2), (before3, after3))`.
        data_format: `"channels_last"` (default) or `"channels_first"`.

    Example:
        >>> Cropping3D(((1, 0), 0, (1, 1)))(jnp.ones((1, 3, 3, 4, 2))).shape
        (1, 2, 3, 2, 2)
    """

    def __init__(self, cropping=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        super().__init__(cropping, data_format, 3, _pairs_3d, **kwargs)


class UpSampling3D(Layer):
    """Upsamples volumes by repeating each of the three spatial axes `size` times.

    Args:
        size: the factors for the three spatial axes (an int for all three).
        data_format: `"channels_last"` (default) or `"channels_first"`.

    Example:
        >>> UpSampling3D((2, 1, 3))(jnp.ones((1, 2, 2, 2, 1))).shape
        (1, 4, 2, 6, 1)
    """

    def __init__(self, size=(2, 2, 2), data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = _data_format("UpSampling3D", data_format)
        self.size = _int_triple("UpSampling3D", size, "size")
        self.input_spec = InputSpec(ndim=5)
        self.built = True

    def call(self, inputs):
        for axis, factor in zip(_spatial_axes(self.data_format, 3), self.size):
            inputs = jnp.repeat(inputs, factor, axis=axis)
        return inputs

    def compute_output_shape(self, input_shape):
        shape = list(input_shape)
        for axis, factor in zip(_spatial_axes(self.data_format, 3), self.size):
            if shape[axis] is not None:
                shape[axis] *= factor
        return tuple(shape)

    def get_config(self):
        return {**super().get_config(), "size": self.size, "data_format": self.data_format}
