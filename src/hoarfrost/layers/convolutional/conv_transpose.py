"""`Conv1DTranspose`, `Conv2DTranspose` and `Conv3DTranspose`, as Keras 3, with Keras's
padding of the transposed convolution."""

from __future__ import annotations

import jax.numpy as jnp

from hoarfrost import constraints, initializers, regularizers
from hoarfrost.layers.convolutional.arguments import normalize_tuple, _positive
from hoarfrost.layers.convolutional.base_conv import _BaseConv
from hoarfrost.layers.convolutional.convolution import conv
from hoarfrost.layers.lora import LoRAMixin


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


class _ConvTranspose(LoRAMixin, _BaseConv):
    """Transposed convolution over `rank` spatial axes (not exported)."""

    def __init__(self, filters: int, kernel_size, strides=1, padding="valid",
                 output_padding=None, data_format=None, dilation_rate=1, activation=None,
                 use_bias: bool = True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None,
                 lora_rank=None, lora_alpha=None, **kwargs):
        super().__init__(kernel_size, strides, padding, data_format, dilation_rate, activation,
                         use_bias, bias_initializer, bias_regularizer, activity_regularizer,
                         bias_constraint, **kwargs)
        self._init_lora(lora_rank, lora_alpha)
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
        self._build_lora()

    def call(self, inputs):
        # lax.conv_transpose(transpose_kernel=True): flip the window, swap in/out channels,
        # then a stride-1 convolution of the input dilated by the strides.
        kernel = jnp.flip(self._adapted(self.kernel.value), axis=tuple(range(self.rank)))
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
            **self._lora_config(),
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
        lora_rank, lora_alpha: enable LoRA when built (`enable_lora`), as
            `Conv{rank}D` (the update's last axis is the kernel's, `in_channels`).
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
Convolution1DTranspose, Convolution2DTranspose = Conv1DTranspose, Conv2DTranspose
Convolution3DTranspose = Conv3DTranspose
