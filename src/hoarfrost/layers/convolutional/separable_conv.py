"""`SeparableConv1D` and `SeparableConv2D` (depthwise then pointwise), as Keras 3."""

from __future__ import annotations

import jax.numpy as jnp

from hoarfrost import constraints, initializers, regularizers
from hoarfrost.layers.convolutional.arguments import _positive
from hoarfrost.layers.convolutional.base_conv import _BaseConv
from hoarfrost.layers.convolutional.convolution import conv


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
del _cls


# Keras's aliases.
SeparableConvolution1D, SeparableConvolution2D = SeparableConv1D, SeparableConv2D
