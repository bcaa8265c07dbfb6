"""Pooling layers: `MaxPooling1D/2D/3D`, `AveragePooling1D/2D/3D` and the global poolings.

Windowed pooling is `lax.reduce_window`, as in Keras on JAX. On CPU, when the
windows do not overlap (`strides == pool_size`, the default), it is computed
by strided slices, one per window element, combined elementwise: the same
values, but ~30x faster forward+backward than XLA's CPU `reduce_window`
gradient (select-and-scatter). Max pooling then sends each window's gradient
to its first maximum, exactly as `reduce_window`'s gradient does.
"""

from __future__ import annotations

import functools
import itertools
import math
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from hoarfrost.layers.convolutional import (normalize_data_format, normalize_padding,
                                            normalize_tuple)
from hoarfrost.layers.layer import InputSpec, Layer


def pool_output_length(length: int | None, pool_size: int, padding: str,
                       stride: int) -> int | None:
    """Keras's output length of a pooling along one axis (None stays None)."""
    if length is None:
        return None
    if padding == "valid":
        return (length - pool_size) // stride + 1
    return (length + stride - 1) // stride


def _lowest(dtype):
    dtype = jnp.dtype(dtype)
    if jnp.issubdtype(dtype, jnp.floating):
        return -jnp.inf
    if jnp.issubdtype(dtype, jnp.integer):
        return jnp.iinfo(dtype).min
    return False


def pool_reduce_window(x, mode: str, pool_size, strides, padding: str):
    """Max or average pooling of channels-last `x` with `lax.reduce_window` (as Keras)."""
    window = (1,) + tuple(pool_size) + (1,)
    steps = (1,) + tuple(strides) + (1,)
    # Concrete (numpy) identities let lax pick reduce_window_max/sum, which have gradients.
    if mode == "max":
        return lax.reduce_window(x, np.array(_lowest(x.dtype), x.dtype), lax.max, window,
                                 steps, padding.upper())
    zero = np.zeros((), x.dtype)
    total = lax.reduce_window(x, zero, lax.add, window, steps, padding.upper())
    if padding == "valid":
        return total / math.prod(pool_size)
    ones = jnp.ones((1,) + x.shape[1:-1] + (1,), x.dtype)
    return total / lax.reduce_window(ones, zero, lax.add, window, steps, padding.upper())


def _window_taps(x, pool_size) -> list:
    """Element k (row-major) of every window, for windows that tile `x` exactly."""
    out = [n // k for n, k in zip(x.shape[1:-1], pool_size)]
    taps = []
    for offset in itertools.product(*(range(k) for k in pool_size)):
        limit = tuple(o + (m - 1) * k + 1 for o, m, k in zip(offset, out, pool_size))
        taps.append(lax.slice(x, (0,) + offset + (0,), (x.shape[0],) + limit + (x.shape[-1],),
                              (1,) + tuple(pool_size) + (1,)))
    return taps


@functools.partial(jax.custom_vjp, nondiff_argnums=(1,))
def _tiled_max(x, pool_size):
    """Max over windows that tile `x`; the gradient goes to each window's first maximum.

    That is `reduce_window`'s gradient, but kept as a small index per window
    (int8) instead of the input, and scattered back by one elementwise pass.
    """
    return _tiled_max_fwd(x, pool_size)[0]


def _tiled_max_fwd(x, pool_size):
    taps = _window_taps(x, pool_size)
    index_dtype = jnp.int8 if len(taps) <= 127 else jnp.int32
    best, index = taps[0], jnp.zeros(taps[0].shape, index_dtype)
    for k, tap in enumerate(taps[1:], 1):
        index = jnp.where(tap > best, jnp.asarray(k, index_dtype), index)
        best = jnp.maximum(best, tap)
    return best, index


def _tiled_max_bwd(pool_size, index, grad):
    rank = len(pool_size)
    # (n, o1, 1, o2, 1, ..., c) against the window offsets (1, 1, k1, 1, k2, ..., 1).
    spread = lambda a: jnp.expand_dims(a, tuple(2 + 2 * i for i in range(rank)))  # noqa: E731
    offsets = np.arange(math.prod(pool_size), dtype=index.dtype).reshape(
        (1,) + tuple(d for k in pool_size for d in (1, k)) + (1,))
    d_x = jnp.where(spread(index) == offsets, spread(grad), jnp.zeros((), grad.dtype))
    shape = (grad.shape[0],) + tuple(o * k for o, k in zip(grad.shape[1:-1], pool_size))
    return (d_x.reshape(shape + grad.shape[-1:]),)


_tiled_max.defvjp(_tiled_max_fwd, _tiled_max_bwd)


def pool_tiled(x, mode: str, pool_size, padding: str):
    """Non-overlapping pooling (`strides == pool_size`) of channels-last `x` by window taps."""
    spatial = x.shape[1:-1]
    pads = [(0, 0)] * len(spatial)
    if padding == "same":
        pads = [tuple(p) for p in lax.padtype_to_pads(spatial, pool_size, pool_size, "SAME")]
    else:  # drop the incomplete windows at the end of each axis
        x = x[(slice(None),) + tuple(slice(0, n - n % k) for n, k in zip(spatial, pool_size))]
    if any(p != (0, 0) for p in pads):
        fill = _lowest(x.dtype) if mode == "max" else 0
        x = jnp.pad(x, [(0, 0)] + pads + [(0, 0)], constant_values=fill)
    if mode == "max":
        return _tiled_max(x, tuple(pool_size))
    total = functools.reduce(jnp.add, _window_taps(x, pool_size))
    if padding == "valid" or all(p == (0, 0) for p in pads):
        return total / math.prod(pool_size)
    counts = np.ones((1,), np.float32)
    for n, (lo, hi), k in zip(spatial, pads, pool_size):
        valid = np.pad(np.ones(n, np.float32), (lo, hi)).reshape(-1, k).sum(-1)
        counts = np.multiply.outer(counts, valid)
    return total / jnp.asarray(counts.reshape(counts.shape[1:] + (1,)), x.dtype)


def pool(x, mode: str, pool_size, strides, padding: str, data_format: str = "channels_last",
         lowering: str | None = None):
    """Max or average pooling in Keras's layouts, lowered for the default backend.

    Args:
        mode: "max" or "average".
        lowering: "reduce_window", "tiled" (needs `strides == pool_size`)
            or None: reshape on CPU when the windows do not overlap.
    """
    pool_size, strides = tuple(pool_size), tuple(strides)
    if lowering is None:
        lowering = ("tiled" if jax.default_backend() == "cpu" and strides == pool_size
                    else "reduce_window")
    return _pool(x, mode, pool_size, strides, padding, data_format, lowering)


@functools.partial(jax.jit, static_argnums=(1, 2, 3, 4, 5, 6))
def _pool(x, mode, pool_size, strides, padding, data_format, lowering):
    if data_format == "channels_first":
        x = jnp.moveaxis(x, 1, -1)
    if lowering == "tiled":
        out = pool_tiled(x, mode, pool_size, padding)
    else:
        out = pool_reduce_window(x, mode, pool_size, strides, padding)
    return jnp.moveaxis(out, -1, 1) if data_format == "channels_first" else out


class _Pooling(Layer):
    """Windowed max/average pooling over `rank` spatial axes (not exported)."""

    rank = 2
    mode = "max"

    def __init__(self, pool_size=2, strides=None, padding: str = "valid", data_format=None,
                 **kwargs):
        super().__init__(**kwargs)
        owner = type(self).__name__
        self.pool_size = normalize_tuple(pool_size, self.rank, "pool_size", owner)
        self.strides = normalize_tuple(pool_size if strides is None else strides, self.rank,
                                       "strides", owner)
        self.padding = normalize_padding(padding, owner)
        self.data_format = normalize_data_format(data_format, owner)
        self.input_spec = InputSpec(ndim=self.rank + 2)
        self.built = True

    def _spatial(self, shape) -> tuple:
        return tuple(shape[1:-1] if self.data_format == "channels_last" else shape[2:])

    def call(self, inputs):
        for n, k, s in zip(self._spatial(inputs.shape), self.pool_size, self.strides):
            if pool_output_length(n, k, self.padding, s) <= 0:
                raise ValueError(
                    f'{type(self).__name__} layer "{self.name}": the output would be empty: '
                    f"input shape {tuple(inputs.shape)} is smaller than pool_size="
                    f"{self.pool_size} with padding='valid'.")
        return pool(inputs, self.mode, self.pool_size, self.strides, self.padding,
                    self.data_format)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "pool_size": self.pool_size, "padding": self.padding,
                "strides": self.strides, "data_format": self.data_format}


_POOL_ARGS = """
    Args:
        pool_size: the window size: an int or a tuple of one int per spatial axis.
        strides: the window step; None (default) means `pool_size`.
        padding: "valid" (no padding; output `floor((size - pool) / stride) + 1`)
            or "same" (output `ceil(size / stride)`{same}).
        data_format: "channels_last" (default) or "channels_first".
        **kwargs: `name`, `trainable`, `input_shape`, `dtype`.
"""


class MaxPooling1D(_Pooling):
    """Max pooling over the steps of `(batch, steps, channels)`."""

    rank, mode = 1, "max"

    def __init__(self, pool_size=2, strides=None, padding: str = "valid", data_format=None,
                 **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class MaxPooling2D(_Pooling):
    """Max pooling over the height and width of `(batch, height, width, channels)`.

    Example:
        >>> MaxPooling2D()(jnp.ones((2, 28, 28, 8))).shape
        (2, 14, 14, 8)
    """

    rank, mode = 2, "max"

    def __init__(self, pool_size=(2, 2), strides=None, padding: str = "valid", data_format=None,
                 **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class AveragePooling1D(_Pooling):
    """Average pooling over the steps of `(batch, steps, channels)`."""

    rank, mode = 1, "average"

    def __init__(self, pool_size=2, strides=None, padding: str = "valid", data_format=None,
                 **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class AveragePooling2D(_Pooling):
    """Average pooling over the height and width of `(batch, height, width, channels)`."""

    rank, mode = 2, "average"

    def __init__(self, pool_size=(2, 2), strides=None, padding: str = "valid", data_format=None,
                 **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class MaxPooling3D(_Pooling):
    """Max pooling over the depth, height and width of `(batch, d, h, w, channels)`."""

    rank, mode = 3, "max"

    def __init__(self, pool_size=(2, 2, 2), strides=None, padding: str = "valid",
                 data_format=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class AveragePooling3D(_Pooling):
    """Average pooling over the depth, height and width of `(batch, d, h, w, channels)`."""

    rank, mode = 3, "average"

    def __init__(self, pool_size=(2, 2, 2), strides=None, padding: str = "valid",
                 data_format=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


_MAX_DOC = _POOL_ARGS.format(same="")
_AVG_DOC = _POOL_ARGS.format(same="; windows that overlap the padding average only "
                                  "the real elements, as in Keras")
for _cls, _doc in ((MaxPooling1D, _MAX_DOC), (MaxPooling2D, _MAX_DOC), (MaxPooling3D, _MAX_DOC),
                   (AveragePooling1D, _AVG_DOC), (AveragePooling2D, _AVG_DOC),
                   (AveragePooling3D, _AVG_DOC)):
    _cls.__doc__ = _cls.__doc__.rstrip() + "\n" + _doc


class _GlobalPooling(Layer):
    """Max/average over every spatial axis (not exported)."""

    rank = 2

    def __init__(self, data_format=None, keepdims: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.data_format = normalize_data_format(data_format, type(self).__name__)
        self.keepdims = bool(keepdims)
        self.input_spec = InputSpec(ndim=self.rank + 2)
        self.built = True

    @property
    def _axes(self) -> tuple[int, ...]:
        first = 1 if self.data_format == "channels_last" else 2
        return tuple(range(first, first + self.rank))

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "data_format": self.data_format,
                "keepdims": self.keepdims}


_GLOBAL_ARGS = """
    Args:
        data_format: "channels_last" (default) or "channels_first".
        keepdims: keep the spatial axes with size 1 instead of dropping them.
        **kwargs: `name`, `trainable`, `input_shape`, `dtype`.
"""


class GlobalAveragePooling1D(_GlobalPooling):
    """The mean over the steps of `(batch, steps, channels)` -> `(batch, channels)`.

    A mask `(batch, steps)` (propagated from e.g. `Embedding(mask_zero=True)`,
    or given as `mask=`) averages only the unmasked steps, as in Keras; the
    output carries no mask.
    """

    rank = 1
    _supports_masking = True

    def compute_mask(self, inputs, mask=None):
        return None

    def call(self, inputs, mask=None):
        axis = self._axes[0]
        if mask is None:
            return jnp.mean(inputs, axis=axis, keepdims=self.keepdims)
        keep = jnp.expand_dims(jnp.asarray(mask).astype(bool), 2 if axis == 1 else 1)
        total = jnp.sum(jnp.where(keep, inputs, 0), axis=axis, keepdims=self.keepdims)
        return total / jnp.sum(keep.astype(inputs.dtype), axis=axis, keepdims=self.keepdims)


class GlobalAveragePooling2D(_GlobalPooling):
    """The mean over height and width: `(batch, h, w, channels)` -> `(batch, channels)`."""

    def call(self, inputs):
        return jnp.mean(inputs, axis=self._axes, keepdims=self.keepdims)


class GlobalMaxPooling1D(_GlobalPooling):
    """The maximum over the steps of `(batch, steps, channels)` -> `(batch, channels)`.

    As in Keras 3, a mask is not used (padded steps take part in the maximum)
    and is dropped.
    """

    rank = 1

    def call(self, inputs):
        return jnp.max(inputs, axis=self._axes, keepdims=self.keepdims)


class GlobalMaxPooling2D(_GlobalPooling):
    """The maximum over height and width: `(batch, h, w, channels)` -> `(batch, channels)`."""

    def call(self, inputs):
        return jnp.max(inputs, axis=self._axes, keepdims=self.keepdims)


class GlobalAveragePooling3D(_GlobalPooling):
    """The mean over depth, height and width: `(batch, d, h, w, channels)` -> `(batch, channels)`."""

    rank = 3

    def call(self, inputs):
        return jnp.mean(inputs, axis=self._axes, keepdims=self.keepdims)


class GlobalMaxPooling3D(_GlobalPooling):
    """The maximum over depth, height and width: `(batch, d, h, w, channels)` -> `(batch, channels)`."""

    rank = 3

    def call(self, inputs):
        return jnp.max(inputs, axis=self._axes, keepdims=self.keepdims)


for _cls in (GlobalAveragePooling1D, GlobalAveragePooling2D, GlobalAveragePooling3D,
             GlobalMaxPooling1D, GlobalMaxPooling2D, GlobalMaxPooling3D):
    _cls.__doc__ = _cls.__doc__.rstrip() + "\n" + _GLOBAL_ARGS


# Keras's aliases.
MaxPool1D, MaxPool2D, MaxPool3D = MaxPooling1D, MaxPooling2D, MaxPooling3D
AvgPool1D, AvgPool2D, AvgPool3D = AveragePooling1D, AveragePooling2D, AveragePooling3D
GlobalAvgPool1D, GlobalAvgPool2D, GlobalAvgPool3D = (GlobalAveragePooling1D, GlobalAveragePooling2D,
                                                     GlobalAveragePooling3D)
GlobalMaxPool1D, GlobalMaxPool2D, GlobalMaxPool3D = (GlobalMaxPooling1D, GlobalMaxPooling2D,
                                                     GlobalMaxPooling3D)
