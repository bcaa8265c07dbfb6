"""Convolution layers: `Conv1D/2D/3D`, `DepthwiseConv1D/2D`, `SeparableConv1D/2D` and
`Conv1D/2D/3DTranspose`.

Kernels are stored in Keras's layout and `get_weights()` order, so Keras weights
load unchanged: `(*kernel_size, in_channels // groups, filters)` (transposed
convolution: `(*kernel_size, filters, in_channels)`), then `bias`.

How the convolution is computed is an internal choice. On accelerators it is
`lax.conv_general_dilated`. On CPU it is an im2col lowering: the kernel's
window offsets are taken as strided slices of the (padded) input and
contracted with the kernel by one matmul (an `einsum` per group, or shifted
multiply-adds for depthwise kernels). XLA's CPU convolution is slow for the
kernel gradient, catastrophically so inside `lax.scan`, which `fit` uses to
run many steps per call: in the small MNIST CNN the im2col step is ~10x faster
there. Its gradient is written out (`_patch_matmul`) rather than left to
autodiff. Both lowerings agree within float32 rounding.
"""

from __future__ import annotations

import functools
import itertools
import math
from typing import Any, Sequence

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from hoarfrost import activations, constraints, initializers, regularizers
from hoarfrost.config import standardize_data_format
from hoarfrost.layers.layer import InputSpec, Layer

# The CPU lowering materialises the input patches; above this many elements
# (256 MB in float32) it falls back to XLA's convolution to bound memory.
IM2COL_MAX_ELEMENTS = 1 << 26


# --- argument normalisation --------------------------------------------------
def normalize_tuple(value, n: int, name: str, owner: str, allow_zero: bool = False) -> tuple:
    """An int or a sequence of `n` ints as a tuple of `n` ints (Keras's `standardize_tuple`)."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        values = (int(value),) * n
    else:
        try:
            values = tuple(value)
        except TypeError:
            values = None
        if (values is None or len(values) != n
                or not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool)
                           for v in values)):
            raise ValueError(f"{owner}: `{name}` must be an integer or a tuple of {n} "
                             f"integers, got {value!r}.")
        values = tuple(int(v) for v in values)
    lowest = 0 if allow_zero else 1
    if any(v < lowest for v in values):
        raise ValueError(f"{owner}: `{name}` must hold integers >= {lowest}, got {value!r}.")
    return values


def normalize_padding(value, owner: str, allow_causal: bool = False) -> str:
    """`'valid'` or `'same'` (or `'causal'` where allowed), case-insensitive."""
    allowed = ("valid", "same", "causal") if allow_causal else ("valid", "same")
    padding = value.lower() if isinstance(value, str) else value
    if padding not in allowed:
        raise ValueError(f"{owner}: `padding` must be one of {', '.join(map(repr, allowed))}, "
                         f"got {value!r}.")
    return padding


def normalize_data_format(value, owner: str) -> str:
    """`'channels_last'` or `'channels_first'`; None is `config.image_data_format()`."""
    return standardize_data_format(value, owner)


def conv_output_length(length: int | None, kernel_size: int, padding: str, stride: int,
                       dilation: int = 1) -> int | None:
    """Keras's output length of a convolution along one axis (None stays None)."""
    if length is None:
        return None
    extent = (kernel_size - 1) * dilation + 1
    if padding == "valid":
        return (length - extent) // stride + 1
    return (length + stride - 1) // stride  # "same" and "causal" (already padded) alike


# --- the convolution and its two lowerings ----------------------------------
def _spatial_dimension_numbers(rank: int) -> tuple[str, str, str]:
    spatial = "DHW"[-rank:] if rank <= 3 else None
    if spatial is None:
        raise ValueError(f"Convolutions of rank {rank} are not supported (1, 2 or 3).")
    return f"N{spatial}C", f"{spatial}IO", f"N{spatial}C"


def _explicit_padding(spatial: Sequence[int], kernel_size: Sequence[int], strides, dilation,
                      padding) -> list[tuple[int, int]]:
    if not isinstance(padding, str):
        return [tuple(p) for p in padding]
    extent = [(k - 1) * d + 1 for k, d in zip(kernel_size, dilation)]
    return [tuple(p) for p in lax.padtype_to_pads(tuple(spatial), extent, tuple(strides),
                                                   padding.upper())]


def conv_xla(x, kernel, strides, padding, dilation, groups: int = 1, lhs_dilation=None):
    """`lax.conv_general_dilated` on channels-last `x` and a Keras-layout kernel."""
    rank = x.ndim - 2
    pads = _explicit_padding(x.shape[1:-1], kernel.shape[:rank], strides, dilation, padding)
    return lax.conv_general_dilated(
        x, kernel, tuple(strides), pads, lhs_dilation=lhs_dilation, rhs_dilation=tuple(dilation),
        dimension_numbers=_spatial_dimension_numbers(rank), feature_group_count=groups)


def _window_slices(x, window, strides, dilation) -> list:
    """One strided slice of channels-last `x` per window offset (row-major order)."""
    out_spatial = [conv_output_length(n, k, "valid", s, d)
                   for n, k, s, d in zip(x.shape[1:-1], window, strides, dilation)]
    slices = []
    for offset in itertools.product(*(range(k) for k in window)):
        start = [0] + [o * d for o, d in zip(offset, dilation)] + [0]
        limit = ([x.shape[0]] + [b + (n - 1) * s + 1 for b, n, s in zip(start[1:], out_spatial,
                                                                         strides)]
                 + [x.shape[-1]])
        slices.append(lax.slice(x, start, limit, [1] + list(strides) + [1]))
    return slices


def _scatter_windows(parts, spatial, window, strides, dilation):
    """The transpose of `_window_slices`: each window's part added back where it was taken.

    Stride 1 adds each part into its region in place (no padded copies); other
    strides pad each part with interior zeros, as autodiff of `lax.slice` does.
    """
    n, channels = parts[0].shape[0], parts[0].shape[-1]
    offsets = list(itertools.product(*(range(k) for k in window)))
    zero = np.zeros((), parts[0].dtype)
    if all(s == 1 for s in strides):
        out = jnp.zeros((n, *spatial, channels), parts[0].dtype)
        for offset, part in zip(offsets, parts):
            start = (0,) + tuple(o * d for o, d in zip(offset, dilation)) + (0,)
            region = lax.dynamic_slice(out, start, part.shape)
            out = lax.dynamic_update_slice(out, region + part, start)
        return out
    total = None
    for offset, part in zip(offsets, parts):
        config = [(0, 0, 0)]
        for o, d, s, m, size in zip(offset, dilation, strides, part.shape[1:-1], spatial):
            low = o * d
            config.append((low, size - low - (m - 1) * s - 1, s - 1))
        padded = lax.pad(part, zero, config + [(0, 0, 0)])
        total = padded if total is None else total + padded
    return total


@functools.partial(jax.custom_vjp, nondiff_argnums=(2, 3))
def _patch_matmul(x, kernel, strides, dilation):
    """A "valid" convolution of channels-last `x` as one matmul of its window patches.

    The gradient is written out rather than left to autodiff: the kernel's from
    the patches kept by the forward pass, the input's as one matmul with the
    kernel followed by `_scatter_windows`, which XLA:CPU runs ~20% faster per
    training step (the small MNIST CNN) than the pads autodiff produces.
    """
    return _patch_matmul_fwd(x, kernel, strides, dilation)[0]


def _patch_matmul_fwd(x, kernel, strides, dilation):
    rank = x.ndim - 2
    slices = _window_slices(x, kernel.shape[:rank], strides, dilation)
    patches = slices[0] if len(slices) == 1 else jnp.concatenate(slices, axis=-1)
    out = jnp.matmul(patches, kernel.reshape(-1, kernel.shape[-1]))
    # A zero-size array carries x's shape and dtype without keeping x alive.
    return out, (patches, kernel, jnp.zeros((0,) + x.shape[1:], x.dtype))


def _patch_matmul_bwd(strides, dilation, residuals, grad):
    patches, kernel, x_like = residuals
    rank = grad.ndim - 2
    window, channels, filters = kernel.shape[:rank], kernel.shape[-2], kernel.shape[-1]
    flat_grad = grad.reshape(-1, filters)
    contract_rows = (((0,), (0,)), ((), ()))
    d_kernel = lax.dot_general(patches.reshape(-1, patches.shape[-1]), flat_grad, contract_rows)
    d_patches = lax.dot_general(grad, kernel.reshape(-1, filters),
                                (((grad.ndim - 1,), (1,)), ((), ())))
    parts = [d_patches[..., i * channels:(i + 1) * channels] for i in range(math.prod(window))]
    d_x = _scatter_windows(parts, x_like.shape[1:-1], window, strides, dilation)
    return d_x.astype(x_like.dtype), d_kernel.reshape(kernel.shape).astype(kernel.dtype)


_patch_matmul.defvjp(_patch_matmul_fwd, _patch_matmul_bwd)


def conv_im2col(x, kernel, strides, padding, dilation, groups: int = 1, lhs_dilation=None):
    """The same convolution as `conv_xla`, as strided slices and a matmul.

    `x` is channels-last `(n, *spatial, channels)`, `kernel` is
    `(*window, channels // groups, filters)`; `padding` is "valid", "same" or
    explicit `(low, high)` pairs; `lhs_dilation` inserts `d - 1` zeros between
    input elements (transposed convolution).
    """
    rank = x.ndim - 2
    window = kernel.shape[:rank]
    lhs_dilation = tuple(lhs_dilation or (1,) * rank)
    dilated = [(n - 1) * d + 1 for n, d in zip(x.shape[1:-1], lhs_dilation)]
    pads = _explicit_padding(dilated, window, strides, dilation, padding)
    if any(p != (0, 0) for p in pads) or any(d != 1 for d in lhs_dilation):
        x = lax.pad(x, np.zeros((), x.dtype),
                    [(0, 0, 0)] + [(lo, hi, d - 1) for (lo, hi), d in zip(pads, lhs_dilation)]
                    + [(0, 0, 0)])
    if groups == 1:
        return _patch_matmul(x, kernel, tuple(strides), tuple(dilation))
    slices = _window_slices(x, window, strides, dilation)
    taps, group_in, filters = len(slices), kernel.shape[-2], kernel.shape[-1]
    group_out = filters // groups
    if group_in == 1:  # depthwise: per-channel multiply-adds, no patches at all
        taps_kernel = kernel.reshape(taps, groups, group_out)
        out = sum(s[..., :, None] * taps_kernel[i] for i, s in enumerate(slices))
        return out.reshape(out.shape[:-2] + (filters,))
    patches = jnp.stack(slices, axis=-2)
    patches = patches.reshape(patches.shape[:-1] + (groups, group_in))
    out = jnp.einsum("...kgc,kcgo->...go", patches,
                     kernel.reshape(taps, group_in, groups, group_out))
    return out.reshape(out.shape[:-2] + (filters,))


def _im2col_elements(x_shape, kernel_shape, strides, padding, dilation, lhs_dilation) -> int:
    rank = len(x_shape) - 2
    lhs_dilation = tuple(lhs_dilation or (1,) * rank)
    dilated = [(n - 1) * d + 1 for n, d in zip(x_shape[1:-1], lhs_dilation)]
    pads = _explicit_padding(dilated, kernel_shape[:rank], strides, dilation, padding)
    out = [conv_output_length(n + lo + hi, k, "valid", s, d) for n, (lo, hi), k, s, d in
           zip(dilated, pads, kernel_shape[:rank], strides, dilation)]
    return x_shape[0] * math.prod(out) * math.prod(kernel_shape[:rank]) * x_shape[-1]


def conv(x, kernel, strides, padding, dilation, groups: int = 1, data_format="channels_last",
         lhs_dilation=None, lowering: str | None = None):
    """An N-d convolution in Keras's layouts, lowered for the default backend.

    Compiled as one function (so eager calls dispatch once, not op by op).

    Args:
        x: `(n, *spatial, c)` (channels_last) or `(n, c, *spatial)`.
        kernel: `(*window, c // groups, filters)`.
        padding: "valid", "same" or explicit `(low, high)` pairs per axis.
        lowering: "xla", "im2col" or None: im2col on CPU (unless the patches
            exceed `IM2COL_MAX_ELEMENTS`), XLA's convolution elsewhere.
    """
    strides, dilation = tuple(strides), tuple(dilation)
    lhs_dilation = None if lhs_dilation is None else tuple(lhs_dilation)
    padding = padding if isinstance(padding, str) else tuple(tuple(p) for p in padding)
    if lowering is None:
        shape = tuple(x.shape)
        if data_format == "channels_first":
            shape = shape[:1] + shape[2:] + shape[1:2]
        # A symbolic size (`jax.export`) may be any size: XLA's convolution then.
        small = not any(jax.export.is_symbolic_dim(d) for d in shape) and _im2col_elements(
            shape, kernel.shape, strides, padding, dilation, lhs_dilation) <= IM2COL_MAX_ELEMENTS
        lowering = "im2col" if jax.default_backend() == "cpu" and small else "xla"
    return _conv(x, kernel, strides, padding, dilation, groups, data_format, lhs_dilation,
                 lowering)


@functools.partial(jax.jit, static_argnums=(2, 3, 4, 5, 6, 7, 8))
def _conv(x, kernel, strides, padding, dilation, groups, data_format, lhs_dilation, lowering):
    if data_format == "channels_first":
        x = jnp.moveaxis(x, 1, -1)
    fn = conv_im2col if lowering == "im2col" else conv_xla
    out = fn(x, kernel, strides, padding, dilation, groups, lhs_dilation)
    return jnp.moveaxis(out, -1, 1) if data_format == "channels_first" else out


# --- layers ----------------------------------------------------------------------
class _BaseConv(Layer):
    """Shared machinery of the convolution layers (not exported)."""

    rank = 2

    def __init__(self, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, activation=None, use_bias: bool = True,
                 bias_initializer="zeros", bias_regularizer=None, activity_regularizer=None,
                 bias_constraint=None, allow_causal: bool = False, **kwargs):
        super().__init__(**kwargs)
        owner = type(self).__name__
        self.kernel_size = normalize_tuple(kernel_size, self.rank, "kernel_size", owner)
        self.strides = normalize_tuple(strides, self.rank, "strides", owner)
        self.dilation_rate = normalize_tuple(dilation_rate, self.rank, "dilation_rate", owner)
        self.padding = normalize_padding(padding, owner, allow_causal)
        self.data_format = normalize_data_format(data_format, owner)
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(f"{owner}: `strides > 1` is not supported together with "
                             f"`dilation_rate > 1`, got strides={self.strides} and "
                             f"dilation_rate={self.dilation_rate}.")
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.bias_initializer = initializers.get(bias_initializer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self.bias_constraint = constraints.get(bias_constraint)
        self.bias = None
        self.input_spec = InputSpec(ndim=self.rank + 2)

    @property
    def _channel_axis(self) -> int:
        return -1 if self.data_format == "channels_last" else 1

    def _input_channels(self, input_shape) -> int:
        if len(input_shape) != self.rank + 2:
            raise ValueError(
                f'Input of layer "{self.name}" is incompatible with the layer: expected '
                f"ndim={self.rank + 2}, found ndim={len(input_shape)}. Full shape received: "
                f"{tuple(input_shape)}")
        channels = input_shape[self._channel_axis]
        if channels is None:
            raise ValueError(
                f'{type(self).__name__} layer "{self.name}": the channel axis '
                f"({self._channel_axis}, data_format={self.data_format!r}) of the input must "
                f"be known, got input shape {tuple(input_shape)}.")
        self.input_spec = InputSpec(ndim=self.rank + 2, axes={self._channel_axis: channels})
        return int(channels)

    def _spatial(self, shape) -> tuple:
        return tuple(shape[1:-1] if self.data_format == "channels_last" else shape[2:])

    def _check_output_size(self, input_shape) -> None:
        if self.padding != "valid":
            return  # "same" and "causal" never shrink a non-empty axis to nothing
        for n, k, s, d in zip(self._spatial(input_shape), self.kernel_size, self.strides,
                              self.dilation_rate):
            if n is not None and conv_output_length(n, k, "valid", s, d) <= 0:
                raise ValueError(
                    f'{type(self).__name__} layer "{self.name}": the output would be empty: '
                    f"input shape {tuple(input_shape)} is smaller than the window "
                    f"(kernel_size={self.kernel_size}, dilation_rate={self.dilation_rate}) "
                    f"with padding='valid'.")

    def _add_bias(self, filters: int) -> None:
        if self.use_bias:
            self.bias = self.add_weight(
                shape=(filters,), initializer=self.bias_initializer,
                regularizer=self.bias_regularizer, constraint=self.bias_constraint, name="bias")

    def _cast(self, inputs):
        """Inputs in the weights' dtype (uint8 images work, as in Keras)."""
        return inputs if inputs.dtype == self.dtype else inputs.astype(self.dtype)

    def _finish(self, outputs):
        if self.bias is not None:
            bias = self.bias.value
            if self.data_format == "channels_first":
                bias = bias.reshape((-1,) + (1,) * self.rank)
            outputs = outputs + bias
        outputs = self.activation(outputs)
        if self.activity_regularizer is not None:
            self.add_loss(self.activity_regularizer(outputs) / outputs.shape[0])
        return outputs

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "bias_constraint": constraints.serialize(self.bias_constraint),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
        }


def _positive(value, name: str, owner: str) -> int:
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value <= 0:
        raise ValueError(f"{owner}: `{name}` must be a positive integer, got {value!r}.")
    return int(value)


class _Conv(_BaseConv):
    """An N-d convolution `activation(conv(inputs, kernel) + bias)` (base of Conv1D/Conv2D)."""

    def __init__(self, filters: int, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, groups: int = 1, activation=None, use_bias: bool = True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(kernel_size, strides, padding, data_format, dilation_rate, activation,
                         use_bias, bias_initializer, bias_regularizer, activity_regularizer,
                         bias_constraint, allow_causal=self.rank == 1, **kwargs)
        owner = type(self).__name__
        self.filters = _positive(filters, "filters", owner)
        self.groups = _positive(groups, "groups", owner)
        if self.filters % self.groups:
            raise ValueError(f"{owner}: `filters` must be divisible by `groups`, got "
                             f"filters={self.filters} and groups={self.groups}.")
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)

    def build(self, input_shape):
        channels = self._input_channels(input_shape)
        if channels % self.groups:
            raise ValueError(
                f'{type(self).__name__} layer "{self.name}": the number of input channels must '
                f"be divisible by groups={self.groups}, but the input has {channels} channels "
                f"(input shape {tuple(input_shape)}).")
        self._check_output_size(input_shape)
        self.kernel = self.add_weight(
            shape=self.kernel_size + (channels // self.groups, self.filters),
            initializer=self.kernel_initializer, regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint, name="kernel")
        self._add_bias(self.filters)
        self.built = True

    def call(self, inputs):
        inputs = self._cast(inputs)
        padding = self.padding
        if padding == "causal":
            axis = 1 if self.data_format == "channels_last" else 2
            widths = [(0, 0)] * inputs.ndim
            widths[axis] = (self.dilation_rate[0] * (self.kernel_size[0] - 1), 0)
            inputs = jnp.pad(inputs, widths)
            padding = "valid"
        outputs = conv(inputs, self.kernel.value, self.strides, padding, self.dilation_rate,
                       self.groups, self.data_format)
        return self._finish(outputs)

    def get_config(self):
        return {
            **super().get_config(),
            "filters": self.filters,
            "groups": self.groups,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
        }


class Conv1D(_Conv):
    """1D convolution over `(batch, steps, channels)` (temporal convolution).

    Args:
        filters: the number of output channels.
        kernel_size: the window length (an int or a 1-tuple).
        strides: the window step.
        padding: "valid" (no padding), "same" (output length `ceil(steps /
            strides)`) or "causal" (left padding only: output `t` never sees
            input after `t`).
        data_format: "channels_last" (default) or "channels_first"
            (`(batch, channels, steps)`).
        dilation_rate: the spacing of the window's taps (with `strides=1`).
        groups: split the channels into this many independent groups; both
            the input channels and `filters` must be divisible by it.
        activation: name or function; None means linear.
        use_bias: whether to add a bias vector.
        kernel_initializer, bias_initializer: initializers (Keras defaults
            `glorot_uniform` and `zeros`).
        kernel_regularizer, bias_regularizer, activity_regularizer: penalties
            added to the loss (weights' only while trainable).
        kernel_constraint, bias_constraint: projections after each update
            (not serialised by `get_config`).
        **kwargs: `name`, `trainable`, `input_shape`, `dtype`.

    Example:
        >>> Conv1D(4, 3, padding="causal")(jnp.ones((2, 10, 3))).shape
        (2, 10, 4)
    """

    rank = 1


class Conv2D(_Conv):
    """2D convolution over images `(batch, height, width, channels)`.

    The kernel has shape `(kh, kw, in_channels // groups, filters)`, as in
    Keras. On CPU it runs as im2col + matmul (see the module docstring).

    Args:
        filters: the number of output channels.
        kernel_size: an int or a `(kh, kw)` tuple.
        strides: an int or a `(sh, sw)` tuple.
        padding: "valid" (no padding) or "same" (output `ceil(size / stride)`).
        data_format: "channels_last" (default) or "channels_first".
        dilation_rate: the spacing of the window's taps (with `strides=1`).
        groups: split the channels into this many independent groups.
        activation: name or function; None means linear.
        use_bias: whether to add a bias vector.
        kernel_initializer, bias_initializer: initializers (Keras defaults
            `glorot_uniform` and `zeros`).
        kernel_regularizer, bias_regularizer, activity_regularizer: penalties
            added to the loss (weights' only while trainable).
        kernel_constraint, bias_constraint: projections after each update
            (not serialised by `get_config`).
        **kwargs: `name`, `trainable`, `input_shape`, `dtype`.

    Example:
        >>> Conv2D(8, 3, activation="relu")(jnp.ones((2, 28, 28, 1))).shape
        (2, 26, 26, 8)
    """

    rank = 2


class Conv3D(_Conv):
    """3D convolution over volumes `(batch, depth, height, width, channels)`.

    The kernel has shape `(kd, kh, kw, in_channels // groups, filters)`, as in
    Keras. Arguments as `Conv2D`, with 3-tuples (`padding` "valid" or "same").

    Example:
        >>> Conv3D(4, 3)(jnp.ones((1, 5, 6, 7, 2))).shape
        (1, 3, 4, 5, 4)
    """

    rank = 3


class _DepthwiseConv(_BaseConv):
    """Depthwise convolution over `rank` spatial axes (base of DepthwiseConv1D/2D)."""

    def __init__(self, kernel_size, strides=1, padding="valid", depth_multiplier: int = 1,
                 data_format=None, dilation_rate=1, activation=None, use_bias: bool = True,
                 depthwise_initializer="glorot_uniform", bias_initializer="zeros",
                 depthwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(kernel_size, strides, padding, data_format, dilation_rate, activation,
                         use_bias, bias_initializer, bias_regularizer, activity_regularizer,
                         bias_constraint, **kwargs)
        self.depth_multiplier = _positive(depth_multiplier, "depth_multiplier",
                                          type(self).__name__)
        self.depthwise_initializer = initializers.get(depthwise_initializer)
        self.depthwise_regularizer = regularizers.get(depthwise_regularizer)
        self.depthwise_constraint = constraints.get(depthwise_constraint)

    def build(self, input_shape):
        channels = self._input_channels(input_shape)
        self._check_output_size(input_shape)
        self.kernel = self.add_weight(
            shape=self.kernel_size + (channels, self.depth_multiplier),
            initializer=self.depthwise_initializer, regularizer=self.depthwise_regularizer,
            constraint=self.depthwise_constraint, name="kernel")
        self._add_bias(channels * self.depth_multiplier)
        self.built = True

    def call(self, inputs):
        kernel = self.kernel.value
        channels = kernel.shape[-2]
        kernel = kernel.reshape(kernel.shape[:-2] + (1, channels * self.depth_multiplier))
        outputs = conv(self._cast(inputs), kernel, self.strides, self.padding,
                       self.dilation_rate, channels, self.data_format)
        return self._finish(outputs)

    def get_config(self):
        return {
            **super().get_config(),
            "depth_multiplier": self.depth_multiplier,
            "depthwise_initializer": initializers.serialize(self.depthwise_initializer),
            "depthwise_regularizer": regularizers.serialize(self.depthwise_regularizer),
            "depthwise_constraint": constraints.serialize(self.depthwise_constraint),
        }


_DEPTHWISE_DOC = """
    The kernel (`kernel`, as in Keras 3) has shape `(*kernel_size, channels,
    depth_multiplier)`; output channel `c * depth_multiplier + m` is channel
    `c` filtered by `kernel[..., c, m]`.

    Args:
        kernel_size, strides, padding, data_format, dilation_rate, activation,
            use_bias: as in `Conv{rank}D` ("valid" or "same" padding).
        depth_multiplier: output channels per input channel.
        depthwise_initializer, depthwise_regularizer, depthwise_constraint:
            for the kernel; bias_* for the bias (of size channels *
            depth_multiplier).
        **kwargs: `name`, `trainable`, `input_shape`, `dtype`.
"""


class DepthwiseConv1D(_DepthwiseConv):
    """Depthwise 1D convolution: each input channel gets its own `depth_multiplier` filters."""

    rank = 1


class DepthwiseConv2D(_DepthwiseConv):
    """Depthwise 2D convolution: each input channel gets its own `depth_multiplier` filters."""

    rank = 2


for _cls in (DepthwiseConv1D, DepthwiseConv2D):
    _cls.__doc__ += "\n" + _DEPTHWISE_DOC.format(rank=_cls.rank)


class _SeparableConv(_BaseConv):
    """Depthwise then pointwise convolution over `rank` spatial axes (not exported)."""

    def __init__(self, filters: int, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, depth_multiplier: int = 1, activation=None,
                 use_bias: bool = True, depthwise_initializer="glorot_uniform",
                 pointwise_initializer="glorot_uniform", bias_initializer="zeros",
                 depthwise_regularizer=None, pointwise_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, depthwise_constraint=None, pointwise_constraint=None,
                 bias_constraint=None, **kwargs):
        super().__init__(kernel_size, strides, padding, data_format, dilation_rate, activation,
                         use_bias, bias_initializer, bias_regularizer, activity_regularizer,
                         bias_constraint, **kwargs)
        owner = type(self).__name__
        self.filters = _positive(filters, "filters", owner)
        self.depth_multiplier = _positive(depth_multiplier, "depth_multiplier", owner)
        self.depthwise_initializer = initializers.get(depthwise_initializer)
        self.pointwise_initializer = initializers.get(pointwise_initializer)
        self.depthwise_regularizer = regularizers.get(depthwise_regularizer)
        self.pointwise_regularizer = regularizers.get(pointwise_regularizer)
        self.depthwise_constraint = constraints.get(depthwise_constraint)
        self.pointwise_constraint = constraints.get(pointwise_constraint)

    def build(self, input_shape):
        channels = self._input_channels(input_shape)
        self._check_output_size(input_shape)
        self.depthwise_kernel = self.add_weight(
            shape=self.kernel_size + (channels, self.depth_multiplier),
            initializer=self.depthwise_initializer, regularizer=self.depthwise_regularizer,
            constraint=self.depthwise_constraint, name="depthwise_kernel")
        self.pointwise_kernel = self.add_weight(
            shape=(1,) * self.rank + (channels * self.depth_multiplier, self.filters),
            initializer=self.pointwise_initializer, regularizer=self.pointwise_regularizer,
            constraint=self.pointwise_constraint, name="pointwise_kernel")
        self._add_bias(self.filters)
        self.built = True

    def call(self, inputs):
        depthwise = self.depthwise_kernel.value
        channels = depthwise.shape[-2]
        depthwise = depthwise.reshape(depthwise.shape[:-2]
                                      + (1, channels * self.depth_multiplier))
        hidden = conv(self._cast(inputs), depthwise, self.strides, self.padding, self.dilation_rate,
                      channels, self.data_format)
        pointwise = self.pointwise_kernel.value
        pointwise = pointwise.reshape(pointwise.shape[-2:])
        if self.data_format == "channels_first":
            outputs = jnp.moveaxis(jnp.matmul(jnp.moveaxis(hidden, 1, -1), pointwise), -1, 1)
        else:
            outputs = jnp.matmul(hidden, pointwise)
        return self._finish(outputs)

    def get_config(self):
        return {
            **super().get_config(),
            "filters": self.filters,
            "depth_multiplier": self.depth_multiplier,
            "depthwise_initializer": initializers.serialize(self.depthwise_initializer),
            "pointwise_initializer": initializers.serialize(self.pointwise_initializer),
            "depthwise_regularizer": regularizers.serialize(self.depthwise_regularizer),
            "depthwise_constraint": constraints.serialize(self.depthwise_constraint),
            "pointwise_regularizer": regularizers.serialize(self.pointwise_regularizer),
            "pointwise_constraint": constraints.serialize(self.pointwise_constraint),
        }


_SEPARABLE_DOC = """
    Weights, in Keras's order: `depthwise_kernel` `(*kernel_size, channels,
    depth_multiplier)`, `pointwise_kernel` `({ones}channels * depth_multiplier,
    filters)`, `bias` `(filters,)`.

    Args:
        filters: the number of output channels.
        kernel_size, strides, padding, data_format, dilation_rate, activation,
            use_bias: as in `Conv{rank}D` (they apply to the depthwise step;
            "valid" or "same" padding).
        depth_multiplier: depthwise output channels per input channel.
        depthwise_*, pointwise_*, bias_*: initializer, regularizer and
            constraint of each weight.
        **kwargs: `name`, `trainable`, `input_shape`, `dtype`.
"""


class SeparableConv1D(_SeparableConv):
    """Depthwise separable 1D convolution: a depthwise then a pointwise (size 1) convolution.

    Example:
        >>> SeparableConv1D(4, 3)(jnp.ones((2, 10, 3))).shape
        (2, 8, 4)
    """

    rank = 1


class SeparableConv2D(_SeparableConv):
    """Depthwise separable 2D convolution: a depthwise then a pointwise (1x1) convolution."""

    rank = 2


for _cls in (SeparableConv1D, SeparableConv2D):
    _cls.__doc__ += "\n" + _SEPARABLE_DOC.format(rank=_cls.rank, ones="1, " * _cls.rank)


def transpose_padding(kernel_size: int, stride: int, dilation: int, padding: str,
                      output_padding: int | None) -> tuple[int, int]:
    """Keras's `(low, high)` padding of the transposed convolution along one axis."""
    extent = (kernel_size - 1) * dilation + 1
    if padding == "valid":
        if output_padding is None:
            output_padding = max(extent, stride) - extent
        return extent - 1, extent - 1 + output_padding
    if output_padding is None:
        total = stride + extent - 2
    else:
        total = extent + extent % 2 - 2 + output_padding
    low = min(total // 2 + total % 2, extent - 1)
    return low, total - low


def transpose_output_length(length: int | None, kernel_size: int, stride: int, dilation: int,
                            padding: str, output_padding: int | None) -> int | None:
    """The output length of `Conv2DTranspose` along one axis (Keras's formula)."""
    if length is None:
        return None
    low, high = transpose_padding(kernel_size, stride, dilation, padding, output_padding)
    extent = (kernel_size - 1) * dilation + 1
    return (length - 1) * stride + 1 + low + high - extent + 1


class _ConvTranspose(_BaseConv):
    """Transposed convolution over `rank` spatial axes (not exported)."""

    def __init__(self, filters: int, kernel_size, strides=1, padding="valid",
                 output_padding=None, data_format=None, dilation_rate=1, activation=None,
                 use_bias: bool = True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None,
                 **kwargs):
        super().__init__(kernel_size, strides, padding, data_format, dilation_rate, activation,
                         use_bias, bias_initializer, bias_regularizer, activity_regularizer,
                         bias_constraint, **kwargs)
        owner = type(self).__name__
        self.filters = _positive(filters, "filters", owner)
        self.output_padding = None
        if output_padding is not None:
            self.output_padding = normalize_tuple(output_padding, self.rank, "output_padding",
                                                  owner, allow_zero=True)
            if any(p >= s for p, s in zip(self.output_padding, self.strides)):
                raise ValueError(f"{owner}: each `output_padding` must be smaller than the "
                                 f"stride, got output_padding={self.output_padding} and "
                                 f"strides={self.strides}.")
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)

    def _pads(self) -> list[tuple[int, int]]:
        output_padding = self.output_padding or (None,) * self.rank
        return [transpose_padding(k, s, d, self.padding, p) for k, s, d, p in
                zip(self.kernel_size, self.strides, self.dilation_rate, output_padding)]

    def build(self, input_shape):
        channels = self._input_channels(input_shape)
        output_padding = self.output_padding or (None,) * self.rank
        for n, k, s, d, p in zip(self._spatial(input_shape), self.kernel_size, self.strides,
                                 self.dilation_rate, output_padding):
            size = transpose_output_length(n, k, s, d, self.padding, p)
            if size is not None and size <= 0:
                raise ValueError(
                    f'{type(self).__name__} layer "{self.name}": the output would be empty for '
                    f"input shape {tuple(input_shape)}.")
        self.kernel = self.add_weight(
            shape=self.kernel_size + (self.filters, channels),
            initializer=self.kernel_initializer, regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint, name="kernel")
        self._add_bias(self.filters)
        self.built = True

    def call(self, inputs):
        # lax.conv_transpose(transpose_kernel=True): flip the window, swap in/out channels,
        # then a stride-1 convolution of the input dilated by the strides.
        kernel = jnp.flip(self.kernel.value, axis=tuple(range(self.rank)))
        kernel = jnp.swapaxes(kernel, -1, -2)
        outputs = conv(self._cast(inputs), kernel, (1,) * self.rank, self._pads(),
                       self.dilation_rate, 1, self.data_format, lhs_dilation=self.strides)
        return self._finish(outputs)

    def get_config(self):
        return {
            **super().get_config(),
            "filters": self.filters,
            "output_padding": self.output_padding,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
        }



_TRANSPOSE_DOC = """
    Used to upsample: with `strides=2, padding="same"` the output is twice
    the input's size. The kernel has Keras's layout `(*kernel_size, filters,
    in_channels)`.

    Args:
        filters: the number of output channels.
        kernel_size, strides, padding, data_format, dilation_rate, activation,
            use_bias, kernel_*, bias_*: as in `Conv{rank}D` (no `groups`;
            "valid" or "same" padding).
        output_padding: an int or a tuple of {rank} (each < the stride)
            added to the end of each spatial axis of the output, or None
            (Keras's default: the output size is `input * stride` for
            "same", `(input - 1) * stride + max(kernel, stride)` for "valid").
        **kwargs: `name`, `trainable`, `input_shape`, `dtype`.
"""


class Conv1DTranspose(_ConvTranspose):
    """Transposed 1D convolution (the gradient of `Conv1D` with respect to its input).

    Example:
        >>> Conv1DTranspose(4, 3, strides=2, padding="same")(jnp.ones((1, 5, 2))).shape
        (1, 10, 4)
    """

    rank = 1


class Conv2DTranspose(_ConvTranspose):
    """Transposed 2D convolution (the gradient of `Conv2D` with respect to its input).

    Example:
        >>> Conv2DTranspose(4, 3, strides=2, padding="same")(jnp.ones((1, 5, 5, 2))).shape
        (1, 10, 10, 4)
    """

    rank = 2


class Conv3DTranspose(_ConvTranspose):
    """Transposed 3D convolution (the gradient of `Conv3D` with respect to its input).

    As in Keras, `data_format` comes before `output_padding` among the
    positional arguments.

    Example:
        >>> Conv3DTranspose(4, 2, strides=2)(jnp.ones((1, 2, 3, 4, 1))).shape
        (1, 4, 6, 8, 4)
    """

    rank = 3

    def __init__(self, filters: int, kernel_size, strides=1, padding="valid", data_format=None,
                 output_padding=None, dilation_rate=1, activation=None, use_bias: bool = True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(filters, kernel_size, strides, padding, output_padding, data_format,
                         dilation_rate, activation, use_bias, kernel_initializer,
                         bias_initializer, kernel_regularizer, bias_regularizer,
                         activity_regularizer, kernel_constraint, bias_constraint, **kwargs)


for _cls in (Conv1DTranspose, Conv2DTranspose, Conv3DTranspose):
    _cls.__doc__ += "\n" + _TRANSPOSE_DOC.format(rank=_cls.rank)
del _cls


# Keras's aliases.
Convolution1D, Convolution2D, Convolution3D = Conv1D, Conv2D, Conv3D
SeparableConvolution1D, SeparableConvolution2D = SeparableConv1D, SeparableConv2D
Convolution1DTranspose, Convolution2DTranspose = Conv1DTranspose, Conv2DTranspose
Convolution3DTranspose = Conv3DTranspose
