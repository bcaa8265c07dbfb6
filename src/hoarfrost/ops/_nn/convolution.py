"""Pooling and convolutions in Keras's layouts: inputs `(batch, *spatial, channels)`
("channels_last") or `(batch, channels, *spatial)`, kernels `(*spatial, in, out)`."""

from __future__ import annotations

import math

import jax.numpy as jnp
from jax import lax

from hoarfrost.ops._operation import compiled, keras_op, standardize_data_format, tensor

__all__ = ["adaptive_average_pool", "adaptive_max_pool", "average_pool", "conv", "conv_transpose",
    "depthwise_conv", "max_pool", "separable_conv"]


def _spatial(value, num_spatial_dims: int) -> tuple:
    return (value,) * num_spatial_dims if isinstance(value, int) else tuple(value)


def _with_batch_and_channels(value: tuple, data_format: str) -> tuple:
    return (1,) + value + (1,) if data_format == "channels_last" else (1, 1) + value


def _windows(inputs, pool_size, strides, padding, data_format):
    """Keras's pooling arguments as `lax.reduce_window`'s window, strides and padding."""
    padding = padding.lower()
    if padding not in ("same", "valid"):
        raise ValueError(f"Invalid padding {padding!r}, must be 'same' or 'valid'.")
    n = inputs.ndim - 2
    window = _with_batch_and_channels(_spatial(pool_size, n), data_format)
    if strides is not None:
        strides = _with_batch_and_channels(_spatial(strides, n), data_format)
    return window, window if strides is None else strides, padding.upper()


@keras_op()
def max_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    """The maximum of each `pool_size` window, every `strides` (`pool_size` by default)."""
    inputs = tensor(inputs)
    window, strides, padding = _windows(inputs, pool_size, strides, padding,
                                        standardize_data_format(data_format))
    return lax.reduce_window(inputs, -jnp.inf, lax.max, window, strides, padding)


@keras_op()
def average_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    """The mean of each `pool_size` window ("same" padding averages the valid entries only)."""
    inputs = tensor(inputs)
    window, strides, padding = _windows(inputs, pool_size, strides, padding,
                                        standardize_data_format(data_format))
    pooled = lax.reduce_window(inputs, 0.0, lax.add, window, strides, padding)
    if padding == "VALID":
        return pooled / math.prod(window)
    shape = [(a if b != 1 else 1) for a, b in zip(inputs.shape, window)]
    counts = lax.reduce_window(jnp.ones(shape, inputs.dtype), 0.0, lax.add, window, strides,
                               padding)
    return pooled / counts


def _adaptive_pool(inputs, output_size, data_format, initial, reduce_fn, average: bool):
    """Keras's two-pool gather: per spatial axis, windows of two sizes, gathered in order."""
    data_format = standardize_data_format(data_format)
    inputs = tensor(inputs)
    n = inputs.ndim - 2
    if n not in (1, 2, 3):
        raise ValueError(f"adaptive pooling supports 1D/2D/3D inputs, got rank {inputs.ndim}.")
    output_size = _spatial(output_size, n)
    x = jnp.moveaxis(inputs, 1, -1) if data_format == "channels_first" else inputs
    for i, out in enumerate(output_size):
        axis, length = i + 1, x.shape[i + 1]
        small = math.ceil(length / out)
        big = small + 1
        starts = jnp.floor(jnp.arange(out) * length / out).astype(jnp.int32)
        ends = jnp.ceil(jnp.arange(1, out + 1) * length / out).astype(jnp.int32)
        gather = jnp.where(ends - starts == big, starts + length - small + 1, starts)
        pools = []
        for size in (small, big):
            window = [1] * x.ndim
            window[axis] = size
            pooled = lax.reduce_window(x, initial, reduce_fn, window, (1,) * x.ndim, "valid")
            pools.append(pooled / size if average else pooled)
        x = jnp.take(jnp.concatenate(pools, axis=axis), gather.astype(jnp.int32), axis=axis)
    return jnp.moveaxis(x, -1, 1) if data_format == "channels_first" else x


@keras_op()
@compiled
def adaptive_average_pool(inputs, output_size, data_format=None):
    """Average pooling to a fixed `output_size`, whatever the input's spatial size."""
    return _adaptive_pool(inputs, output_size, data_format, 0.0, lax.add, average=True)


@keras_op()
@compiled
def adaptive_max_pool(inputs, output_size, data_format=None):
    """Max pooling to a fixed `output_size`, whatever the input's spatial size."""
    return _adaptive_pool(inputs, output_size, data_format, -jnp.inf, lax.max, average=False)


def _dimension_numbers(num_spatial_dims: int, data_format: str):
    num_dims = num_spatial_dims + 2
    if data_format == "channels_last":
        inputs_spec = (0, num_dims - 1) + tuple(range(1, num_dims - 1))
    else:
        inputs_spec = (0, 1) + tuple(range(2, num_dims))
    kernel_spec = (num_dims - 1, num_dims - 2) + tuple(range(num_dims - 2))
    return lax.ConvDimensionNumbers(lhs_spec=inputs_spec, rhs_spec=kernel_spec,
                                    out_spec=inputs_spec)


def _channels(inputs, data_format: str) -> int:
    return inputs.shape[-1] if data_format == "channels_last" else inputs.shape[1]


def _check_padding(padding: str) -> str:
    padding = padding.lower()
    if padding not in ("valid", "same"):
        raise ValueError(f"`padding` must be 'valid' or 'same', got {padding!r}.")
    return padding


@keras_op()
def conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    """N-D convolution; a kernel `(*spatial, in / groups, out)` convolves channel groups."""
    data_format = standardize_data_format(data_format)
    padding = _check_padding(padding)
    kernel = tensor(kernel)
    inputs = tensor(inputs, dtype=kernel.dtype)
    n = inputs.ndim - 2
    channels, kernel_in = _channels(inputs, data_format), kernel.shape[-2]
    if channels % kernel_in:
        raise ValueError("conv: the number of input channels must be divisible by the kernel's "
                         f"in_channels, got {channels} and {kernel_in}.")
    result = lax.conv_general_dilated(
        inputs, kernel, _spatial(strides, n), padding.upper(),
        rhs_dilation=_spatial(dilation_rate, n),
        dimension_numbers=_dimension_numbers(n, data_format),
        feature_group_count=channels // kernel_in)
    if result.size == 0 and inputs.size != 0:
        raise ValueError("conv: the convolution's output is empty: the input is too small for "
                         "the kernel size, strides, dilation rate and padding.")
    return result


def _check_in_channels(inputs, kernel, data_format, kernel_axis):
    channels, kernel_in = _channels(inputs, data_format), kernel.shape[kernel_axis]
    if channels != kernel_in:
        raise ValueError("The number of input channels must match the kernel's input channels, "
                         f"got input channels={channels}, kernel input channels={kernel_in}, "
                         f"data_format={data_format!r}.")


@keras_op()
def depthwise_conv(inputs, kernel, strides=1, padding="valid", data_format=None,
                   dilation_rate=1):
    """Depthwise convolution: a kernel `(*spatial, in, multiplier)` per input channel."""
    data_format = standardize_data_format(data_format)
    padding = _check_padding(padding)
    inputs, kernel = tensor(inputs), tensor(kernel)
    _check_in_channels(inputs, kernel, data_format, -2)
    n = inputs.ndim - 2
    groups = _channels(inputs, data_format)
    kernel = jnp.reshape(kernel, kernel.shape[:-2] + (1, groups * kernel.shape[-1]))
    return lax.conv_general_dilated(
        inputs, kernel, _spatial(strides, n), padding.upper(),
        rhs_dilation=_spatial(dilation_rate, n),
        dimension_numbers=_dimension_numbers(n, data_format), feature_group_count=groups)


@keras_op()
def separable_conv(inputs, depthwise_kernel, pointwise_kernel, strides=1, padding="valid",
                   data_format=None, dilation_rate=1):
    """A depthwise convolution followed by a 1x1 (pointwise) convolution."""
    data_format = standardize_data_format(data_format)
    inputs, depthwise_kernel = tensor(inputs), tensor(depthwise_kernel)
    _check_in_channels(inputs, depthwise_kernel, data_format, -2)
    hidden = depthwise_conv(inputs, depthwise_kernel, strides, padding, data_format,
                            dilation_rate)
    return conv(hidden, pointwise_kernel, strides=1, padding="valid", data_format=data_format,
                dilation_rate=dilation_rate)


def _transpose_padding(kernel_size, stride, dilation_rate, padding, output_padding):
    """Keras's conv-transpose padding, as JAX's (left, right) pads of the dilated input."""
    kernel_size = (kernel_size - 1) * dilation_rate + 1
    if padding == "valid":
        if output_padding is None:
            output_padding = max(kernel_size, stride) - kernel_size
        return kernel_size - 1, kernel_size - 1 + output_padding
    if output_padding is None:
        pad_len = stride + kernel_size - 2
    else:
        pad_len = kernel_size + kernel_size % 2 - 2 + output_padding
    left = min(pad_len // 2 + pad_len % 2, kernel_size - 1)
    return left, pad_len - left


@keras_op()
def conv_transpose(inputs, kernel, strides=1, padding="valid", output_padding=None,
                   data_format=None, dilation_rate=1):
    """Transposed convolution; kernel `(*spatial, out, in)`, output sized as Keras's layers."""
    data_format = standardize_data_format(data_format)
    padding = _check_padding(padding)
    inputs, kernel = tensor(inputs), tensor(kernel)
    _check_in_channels(inputs, kernel, data_format, -1)
    n = inputs.ndim - 2

    def per_axis(value, i):
        return value if value is None or isinstance(value, int) else value[i]

    pads = [_transpose_padding(kernel.shape[i], per_axis(strides, i), per_axis(dilation_rate, i),
                               padding, per_axis(output_padding, i)) for i in range(n)]
    return lax.conv_transpose(inputs, kernel, _spatial(strides, n), padding=pads,
                              rhs_dilation=_spatial(dilation_rate, n),
                              dimension_numbers=_dimension_numbers(n, data_format),
                              transpose_kernel=True)
