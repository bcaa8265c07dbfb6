"""`_BaseConv`: what every convolution layer shares (arguments, input checks, bias,
activation, config)."""

from __future__ import annotations

from typing import Any

from hoarfrost import activations, constraints, initializers, regularizers
from hoarfrost.layers.convolutional.arguments import (conv_output_length, normalize_data_format,
                                                      normalize_padding, normalize_tuple)
from hoarfrost.layers.layer import InputSpec, Layer


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
        """Inputs in the compute dtype (uint8 images work, as in Keras)."""
        dtype = self.compute_dtype
        return inputs if inputs.dtype == dtype else inputs.astype(dtype)

    def _finish(self, outputs):
        if self.bias is not None:
            bias = self.bias.value
            if self.data_format == "channels_first":
                bias = bias.reshape((-1,) + (1,) * self.rank)
            outputs = outputs + bias
        outputs = self.activation(outputs)
        self._add_activity_loss(outputs)
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
