"""Core layers: `Dense`, `Activation` and `Masking`."""

from __future__ import annotations

import jax.numpy as jnp

from hoarfrost import activations, initializers, masking, regularizers
from hoarfrost.layers.layer import InputSpec, Layer
from hoarfrost.symbolic import KerasTensor, is_keras_tensor


class Dense(Layer):
    """Densely connected layer: `activation(inputs @ kernel + bias)`.

    Applies to the last axis of inputs of any rank >= 2.

    Args:
        units: the size of the output's last axis.
        activation: name or function; None means linear.
        use_bias: whether to add a bias vector.
        kernel_initializer, bias_initializer: initializers (Keras defaults
            `glorot_uniform` and `zeros`).
        kernel_regularizer, bias_regularizer: penalties added to the loss
            while the weight is trainable.
        kernel_constraint, bias_constraint: projections after each update.
        **kwargs: `name`, `trainable`, `input_shape`/`input_dim`, `dtype`.

    Example:
        >>> layer = Dense(4, activation="relu", input_dim=3)
        >>> layer(jnp.ones((2, 3))).shape
        (2, 4)
    """

    _supports_masking = True  # a mask passes through, as in Keras

    def __init__(self, units: int, activation=None, use_bias: bool = True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(**kwargs)
        if int(units) <= 0:
            raise ValueError(f"Dense: `units` must be a positive integer, got {units!r}.")
        self.units = int(units)
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self.kernel_constraint = kernel_constraint
        self.bias_constraint = bias_constraint
        self.input_spec = InputSpec(min_ndim=2)

    def build(self, input_shape):
        input_dim = input_shape[-1]
        if input_dim is None:
            raise ValueError(
                f'Dense layer "{self.name}": the last axis of the input must be known, '
                f"got input shape {tuple(input_shape)}."
            )
        self.kernel = self.add_weight(
            shape=(input_dim, self.units), initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer, constraint=self.kernel_constraint,
            name="kernel")
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                shape=(self.units,), initializer=self.bias_initializer,
                regularizer=self.bias_regularizer, constraint=self.bias_constraint,
                name="bias")
        self.input_spec = InputSpec(min_ndim=2, axes={-1: input_dim})
        self.built = True

    def call(self, inputs):
        outputs = jnp.matmul(inputs, self.kernel.value)
        if self.bias is not None:
            outputs = outputs + self.bias.value
        outputs = self.activation(outputs)
        if self.activity_regularizer is not None:
            self.add_loss(self.activity_regularizer(outputs) / outputs.shape[0])
        return outputs

    def get_config(self):
        return {
            **super().get_config(),
            "units": self.units,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
        }


class Activation(Layer):
    """Applies an activation function given by name or as a function.

    Example:
        >>> Activation("relu")(jnp.array([[-1.0, 2.0]]))
        Array([[0., 2.]], dtype=float32)
    """

    _supports_masking = True

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.activation = activations.get(activation)
        self.built = True

    def call(self, inputs):
        return self.activation(inputs)

    def get_config(self):
        return {**super().get_config(), "activation": activations.serialize(self.activation)}


class Masking(Layer):
    """Masks the timesteps whose features all equal `mask_value`.

    For inputs `(batch, timesteps, features)`, a timestep is skipped by the
    layers downstream that support masking (recurrent layers, average
    pooling, the loss) when every feature equals `mask_value`; its features
    are set to 0, as in Keras.

    Args:
        mask_value: the padding value.
        **kwargs: `name`, `trainable`, `input_shape`, `dtype`.

    Example:
        >>> x = jnp.array([[[1.0], [0.0]]])
        >>> Masking()(x).shape, Masking().compute_mask(x)
        ((1, 2, 1), Array([[ True, False]], dtype=bool))
    """

    _supports_masking = True

    def __init__(self, mask_value=0.0, **kwargs):
        super().__init__(**kwargs)
        self.mask_value = mask_value
        self.built = True

    def compute_mask(self, inputs, mask=None):
        if is_keras_tensor(inputs):
            return KerasTensor(inputs.shape[:-1], "bool")
        return jnp.any(jnp.not_equal(inputs, self.mask_value), axis=-1)

    def call(self, inputs):
        keep = jnp.any(jnp.not_equal(inputs, self.mask_value), axis=-1, keepdims=True)
        outputs = jnp.where(keep, inputs, jnp.zeros((), inputs.dtype))
        masking.set_mask(outputs, jnp.squeeze(keep, -1))
        return outputs

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "mask_value": self.mask_value}
