"""Shape-only layers: `Flatten`, `Reshape`, `Permute`, `RepeatVector`,
`ZeroPadding1D`, `ZeroPadding2D`, `Cropping1D`, `Cropping2D`, `UpSampling1D`
and `UpSampling2D`."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp

from hoarfrost.config import standardize_data_format
from hoarfrost.layers.layer import InputSpec, Layer
from hoarfrost.symbolic import KerasTensor


class Flatten(Layer):
    """Flattens every axis but the batch axis: `(n, 28, 28)` -> `(n, 784)`."""

    def __init__(self, data_format: str | None = None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = standardize_data_format(data_format, "Flatten")
        self.built = True

    def call(self, inputs):
        if self.data_format == "channels_first" and inputs.ndim > 2:
            inputs = jnp.moveaxis(inputs, 1, -1)
        return jnp.reshape(inputs, (inputs.shape[0], -1))

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format}


class Reshape(Layer):
    """Reshapes each sample to `target_shape` (one entry may be -1).

    Example:
        >>> Reshape((3, 4))(jnp.ones((2, 12))).shape
        (2, 3, 4)
    """

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        self.target_shape = tuple(int(d) for d in target_shape)
        if sum(d == -1 for d in self.target_shape) > 1:
            raise ValueError(
                f"Reshape: at most one axis of target_shape may be -1, got {self.target_shape}."
            )
        self.built = True

    def call(self, inputs):
        sample = inputs.shape[1:]
        known = math.prod(d for d in self.target_shape if d != -1)
        size = math.prod(sample)
        if (-1 in self.target_shape and size % known) or (-1 not in self.target_shape and size != known):
            raise ValueError(
                f'Reshape layer "{self.name}": can not reshape samples of shape '
                f"{tuple(sample)} ({size} values) to {self.target_shape}."
            )
        return jnp.reshape(inputs, (inputs.shape[0],) + self.target_shape)

    def get_config(self):
        return {**super().get_config(), "target_shape": list(self.target_shape)}


def _data_format(layer_name: str, data_format) -> str:
    """Keras's `standardize_data_format`: None means `config.image_data_format()`."""
    return standardize_data_format(data_format, layer_name)


def _int_pair(layer_name: str, value, argument: str, allow_zero: bool = True) -> tuple:
    """Keras's `standardize_tuple(value, 2)`: an int or two ints."""
    if isinstance(value, int) and not isinstance(value, bool):
        pair = (value, value)
    else:
        try:
            pair = tuple(int(v) for v in value)
        except (TypeError, ValueError):
            pair = ()
        if len(pair) != 2:
            raise ValueError(
                f"{layer_name}: `{argument}` must be an int or a tuple of 2 integers, "
                f"got {value!r}."
            )
    if any(v < 0 or (v == 0 and not allow_zero) for v in pair):
        raise ValueError(
            f"{layer_name}: `{argument}` must hold integers {'>= 0' if allow_zero else '> 0'}, "
            f"got {value!r}."
        )
    return pair


def _pairs_2d(layer_name: str, value, argument: str) -> tuple:
    """An int, two ints (symmetric per axis) or two pairs ((top, bottom), (left, right))."""
    if isinstance(value, int) and not isinstance(value, bool):
        return (_int_pair(layer_name, value, argument),) * 2
    if not hasattr(value, "__len__") or len(value) != 2:
        raise ValueError(
            f"{layer_name}: `{argument}` must be an int, a tuple of 2 ints or a tuple of 2 "
            f"tuples of 2 ints ((top, bottom), (left, right)); got {value!r}."
        )
    return (_int_pair(layer_name, value[0], f"1st entry of {argument}"),
            _int_pair(layer_name, value[1], f"2nd entry of {argument}"))


def _spatial_axes(data_format: str, rank: int = 2) -> tuple[int, ...]:
    first = 2 if data_format == "channels_first" else 1
    return tuple(range(first, first + rank))


class _ZeroPadding(Layer):
    """ZeroPadding2D and ZeroPadding3D: zeros before and after each spatial axis."""

    def __init__(self, padding, data_format, rank: int, pairs, **kwargs):
        super().__init__(**kwargs)
        name = type(self).__name__
        self._rank = rank
        self.data_format = _data_format(name, data_format)
        self.padding = pairs(name, padding, "padding")
        self.input_spec = InputSpec(ndim=rank + 2)
        self.built = True

    def call(self, inputs):
        if self.data_format == "channels_first":
            widths = ((0, 0), (0, 0)) + self.padding
        else:
            widths = ((0, 0),) + self.padding + ((0, 0),)
        return jnp.pad(inputs, widths)

    def compute_output_shape(self, input_shape):
        shape = list(input_shape)
        for axis, (before, after) in zip(_spatial_axes(self.data_format, self._rank),
                                         self.padding):
            if shape[axis] is not None:
                shape[axis] += before + after
        return tuple(shape)

    def get_config(self):
        return {**super().get_config(), "padding": self.padding, "data_format": self.data_format}


class _Cropping(Layer):
    """Cropping2D and Cropping3D: rows cut before and after each spatial axis."""

    def __init__(self, cropping, data_format, rank: int, pairs, **kwargs):
        super().__init__(**kwargs)
        name = type(self).__name__
        self._rank = rank
        self.data_format = _data_format(name, data_format)
        self.cropping = pairs(name, cropping, "cropping")
        self.input_spec = InputSpec(ndim=rank + 2)
        self.built = True

    def _check(self, shape):
        for axis, crop in zip(_spatial_axes(self.data_format, self._rank), self.cropping):
            if shape[axis] is not None and sum(crop) >= shape[axis]:
                raise ValueError(
                    f'{type(self).__name__} layer "{self.name}": the cropping {self.cropping} '
                    f"must be smaller than the spatial size of the input; got input shape "
                    f"{tuple(shape)} ({self.data_format})."
                )

    def call(self, inputs):
        self._check(inputs.shape)
        index = [slice(None)] * (self._rank + 2)
        for axis, (before, after) in zip(_spatial_axes(self.data_format, self._rank),
                                         self.cropping):
            index[axis] = slice(before, inputs.shape[axis] - after)
        return inputs[tuple(index)]

    def compute_output_shape(self, input_shape):
        self._check(input_shape)
        shape = list(input_shape)
        for axis, (before, after) in zip(_spatial_axes(self.data_format, self._rank),
                                         self.cropping):
            if shape[axis] is not None:
                shape[axis] -= before + after
        return tuple(shape)

    def compute_output_spec(self, inputs, **kwargs):
        # From the shape, not by tracing at placeholder sizes: an unknown
        # spatial size (None) must not be taken as too small to crop.
        return KerasTensor(self.compute_output_shape(inputs.shape), inputs.dtype)

    def get_config(self):
        return {**super().get_config(), "cropping": self.cropping,
                "data_format": self.data_format}


class Permute(Layer):
    """Permutes the non-batch axes: `dims` is a permutation of `1..rank-1`.

    Example:
        >>> Permute((2, 1))(jnp.ones((4, 3, 5))).shape
        (4, 5, 3)
    """

    def __init__(self, dims, **kwargs):
        super().__init__(**kwargs)
        self.dims = tuple(int(d) for d in dims)
        if sorted(self.dims) != list(range(1, len(self.dims) + 1)):
            raise ValueError(
                "Permute: `dims` must be a permutation of the consecutive axes starting "
                f"from 1 (the batch axis stays first), got dims={tuple(dims)}."
            )
        self.input_spec = InputSpec(ndim=len(self.dims) + 1)
        self.built = True

    def call(self, inputs):
        return jnp.transpose(inputs, (0,) + self.dims)

    def compute_output_shape(self, input_shape):
        return (input_shape[0],) + tuple(input_shape[d] for d in self.dims)

    def get_config(self):
        return {**super().get_config(), "dims": self.dims}


class RepeatVector(Layer):
    """Repeats a `(batch, features)` input `n` times: `(batch, n, features)`.

    Example:
        >>> RepeatVector(3)(jnp.ones((2, 4))).shape
        (2, 3, 4)
    """

    def __init__(self, n: int, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(n, int) or isinstance(n, bool):
            raise TypeError(f"RepeatVector: expected an integer `n`, got {type(n).__name__}.")
        if n <= 0:
            raise ValueError(f"RepeatVector: `n` must be a positive integer, got n={n}.")
        self.n = n
        self.input_spec = InputSpec(ndim=2)
        self.built = True

    def call(self, inputs):
        return jnp.repeat(inputs[:, None, :], self.n, axis=1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.n, input_shape[1])

    def get_config(self):
        return {**super().get_config(), "n": self.n}


class ZeroPadding2D(_ZeroPadding):
    """Pads the two spatial axes of images with zeros.

    Args:
        padding: an int (all sides), two ints (symmetric height and width
            padding) or `((top, bottom), (left, right))`.
        data_format: `"channels_last"` (default, `(batch, rows, cols,
            channels)`) or `"channels_first"` (`(batch, channels, rows, cols)`).

    Example:
        >>> ZeroPadding2D(((1, 0), (2, 2)))(jnp.ones((1, 3, 3, 2))).shape
        (1, 4, 7, 2)
    """

    def __init__(self, padding=(1, 1), data_format=None, **kwargs):
        super().__init__(padding, data_format, 2, _pairs_2d, **kwargs)


class Cropping2D(_Cropping):
    """Crops the two spatial axes of images.

    Args:
        cropping: an int (all sides), two ints (symmetric height and width
            cropping) or `((top, bottom), (left, right))`.
        data_format: `"channels_last"` (default) or `"channels_first"`.

    Example:
        >>> Cropping2D(((1, 0), (1, 1)))(jnp.ones((1, 4, 5, 2))).shape
        (1, 3, 3, 2)
    """

    def __init__(self, cropping=((0, 0), (0, 0)), data_format=None, **kwargs):
        super().__init__(cropping, data_format, 2, _pairs_2d, **kwargs)


_RESIZE_METHODS = ("nearest", "bilinear", "bicubic", "lanczos3", "lanczos5")


class UpSampling2D(Layer):
    """Upsamples images by repeating (`nearest`) or interpolating their rows
    and columns.

    `nearest` repeats each row `size[0]` times and each column `size[1]`
    times. The other methods resize with `jax.image.resize` (no
    antialiasing), exactly what Keras 3 does on its JAX backend, so outputs
    are equal to Keras's (half-pixel centres, edges clamped).

    Args:
        size: the upsampling factors for rows and columns (an int for both).
        data_format: `"channels_last"` (default) or `"channels_first"`.
        interpolation: `"nearest"` (default), `"bilinear"`, `"bicubic"`,
            `"lanczos3"` or `"lanczos5"`.

    Example:
        >>> UpSampling2D(2)(jnp.ones((1, 2, 3, 1))).shape
        (1, 4, 6, 1)
    """

    def __init__(self, size=(2, 2), data_format=None, interpolation: str = "nearest", **kwargs):
        super().__init__(**kwargs)
        self.data_format = _data_format("UpSampling2D", data_format)
        self.size = _int_pair("UpSampling2D", size, "size", allow_zero=False)
        self.interpolation = str(interpolation).lower()
        if self.interpolation not in _RESIZE_METHODS:
            raise ValueError(
                f"UpSampling2D: `interpolation` must be one of {', '.join(_RESIZE_METHODS)}; "
                f"got {interpolation!r}."
            )
        self.input_spec = InputSpec(ndim=4)
        self.built = True

    def call(self, inputs):
        rows, cols = _spatial_axes(self.data_format)
        if self.interpolation == "nearest":
            outputs = jnp.repeat(inputs, self.size[0], axis=rows)
            return jnp.repeat(outputs, self.size[1], axis=cols)
        shape = list(inputs.shape)
        shape[rows] *= self.size[0]
        shape[cols] *= self.size[1]
        return jax.image.resize(inputs, tuple(shape), method=self.interpolation, antialias=False)

    def compute_output_shape(self, input_shape):
        shape = list(input_shape)
        for axis, factor in zip(_spatial_axes(self.data_format), self.size):
            if shape[axis] is not None:
                shape[axis] *= factor
        return tuple(shape)

    def get_config(self):
        return {**super().get_config(), "size": self.size, "data_format": self.data_format,
                "interpolation": self.interpolation}


class ZeroPadding1D(Layer):
    """Pads the time axis of sequences with zeros.

    Args:
        padding: an int (both ends) or `(before, after)`.
        data_format: `"channels_last"` (default, `(batch, steps, features)`)
            or `"channels_first"` (`(batch, features, steps)`).

    Example:
        >>> ZeroPadding1D((1, 2))(jnp.ones((1, 3, 2))).shape
        (1, 6, 2)
    """

    def __init__(self, padding=1, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = _data_format("ZeroPadding1D", data_format)
        self.padding = _int_pair("ZeroPadding1D", padding, "padding")
        self.input_spec = InputSpec(ndim=3)
        self.built = True

    def _axis(self) -> int:
        return 2 if self.data_format == "channels_first" else 1

    def call(self, inputs):
        widths = [(0, 0)] * 3
        widths[self._axis()] = self.padding
        return jnp.pad(inputs, widths)

    def compute_output_shape(self, input_shape):
        shape = list(input_shape)
        if shape[self._axis()] is not None:
            shape[self._axis()] += sum(self.padding)
        return tuple(shape)

    def get_config(self):
        return {**super().get_config(), "padding": self.padding, "data_format": self.data_format}


class Cropping1D(Layer):
    """Crops the time axis of `(batch, steps, features)` sequences.

    Args:
        cropping: an int (both ends) or `(before, after)`; default `(1, 1)`.

    Example:
        >>> Cropping1D((1, 2))(jnp.ones((1, 5, 2))).shape
        (1, 2, 2)
    """

    def __init__(self, cropping=(1, 1), **kwargs):
        super().__init__(**kwargs)
        self.cropping = _int_pair("Cropping1D", cropping, "cropping")
        self.input_spec = InputSpec(ndim=3)
        self.built = True

    def _check(self, shape):
        if shape[1] is not None and sum(self.cropping) >= shape[1]:
            raise ValueError(
                f'Cropping1D layer "{self.name}": the cropping {self.cropping} must be smaller '
                f"than the input length; got input shape {tuple(shape)}."
            )

    def call(self, inputs):
        self._check(inputs.shape)
        return inputs[:, self.cropping[0]:inputs.shape[1] - self.cropping[1], :]

    def compute_output_shape(self, input_shape):
        self._check(input_shape)
        length = None if input_shape[1] is None else input_shape[1] - sum(self.cropping)
        return (input_shape[0], length, input_shape[2])

    def compute_output_spec(self, inputs, **kwargs):
        # From the shape: an unknown length (None) must not be taken as too short.
        return KerasTensor(self.compute_output_shape(inputs.shape), inputs.dtype)

    def get_config(self):
        return {**super().get_config(), "cropping": self.cropping}


class UpSampling1D(Layer):
    """Repeats each timestep `size` times: `(batch, steps, features)` ->
    `(batch, steps * size, features)`.

    Example:
        >>> UpSampling1D(3)(jnp.ones((1, 2, 4))).shape
        (1, 6, 4)
    """

    def __init__(self, size: int = 2, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(size, int) or isinstance(size, bool):
            raise TypeError(
                f"UpSampling1D: expected an integer `size`, got {type(size).__name__}.")
        if size <= 0:
            raise ValueError(f"UpSampling1D: `size` must be a positive integer, got size={size}.")
        self.size = size
        self.input_spec = InputSpec(ndim=3)
        self.built = True

    def call(self, inputs):
        return jnp.repeat(inputs, self.size, axis=1)

    def compute_output_shape(self, input_shape):
        length = None if input_shape[1] is None else input_shape[1] * self.size
        return (input_shape[0], length, input_shape[2])

    def get_config(self):
        return {**super().get_config(), "size": self.size}
