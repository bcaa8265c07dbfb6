"""`DepthwiseConv1D` and `DepthwiseConv2D`, as Keras 3."""

from __future__ import annotations

from hoarfrost import constraints, initializers, regularizers
from hoarfrost.layers.convolutional.arguments import _positive
from hoarfrost.layers.convolutional.base_conv import _BaseConv
from hoarfrost.layers.convolutional.convolution import conv


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
del _cls
