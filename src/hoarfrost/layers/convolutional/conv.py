"""`Conv1D`, `Conv2D` and `Conv3D`, as Keras 3 (grouped convolutions and LoRA included)."""

from __future__ import annotations

import jax.numpy as jnp

from hoarfrost import constraints, initializers, regularizers
from hoarfrost.layers.convolutional.arguments import _positive
from hoarfrost.layers.convolutional.base_conv import _BaseConv
from hoarfrost.layers.convolutional.convolution import conv
from hoarfrost.layers.lora import LoRAMixin


class _Conv(LoRAMixin, _BaseConv):
    """An N-d convolution `activation(conv(inputs, kernel) + bias)` (base of Conv1D/Conv2D)."""

    def __init__(self, filters: int, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, groups: int = 1, activation=None, use_bias: bool = True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, lora_rank=None, lora_alpha=None,
                 **kwargs):
        super().__init__(kernel_size, strides, padding, data_format, dilation_rate, activation,
                         use_bias, bias_initializer, bias_regularizer, activity_regularizer,
                         bias_constraint, allow_causal=self.rank == 1, **kwargs)
        self._init_lora(lora_rank, lora_alpha)
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
        self._build_lora()

    def call(self, inputs):
        inputs = self._cast(inputs)
        padding = self.padding
        if padding == "causal":
            axis = 1 if self.data_format == "channels_last" else 2
            widths = [(0, 0)] * inputs.ndim
            widths[axis] = (self.dilation_rate[0] * (self.kernel_size[0] - 1), 0)
            inputs = jnp.pad(inputs, widths)
            padding = "valid"
        outputs = conv(inputs, self._adapted(self.kernel.value), self.strides, padding,
                       self.dilation_rate, self.groups, self.data_format)
        return self._finish(outputs)

    def get_config(self):
        return {
            **super().get_config(),
            "filters": self.filters,
            "groups": self.groups,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            **self._lora_config(),
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
        lora_rank, lora_alpha: enable LoRA when built (`enable_lora`), as `Conv2D`.
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
        lora_rank, lora_alpha: enable LoRA when built (`enable_lora`; Keras has
            it on Dense/EinsumDense/Embedding, hoarfrost on convolutions too):
            `lora_kernel_a` `(kh, kw, in_channels // groups, rank)` @
            `lora_kernel_b` `(rank, filters)` updates the frozen kernel.
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


# Keras's aliases.
Convolution1D, Convolution2D, Convolution3D = Conv1D, Conv2D, Conv3D
