"""`LayerNormalization`, as Keras 3: each sample normalized over `axis`."""

from __future__ import annotations

import warnings

import jax
import jax.numpy as jnp

from hoarfrost import constraints, initializers, regularizers
from hoarfrost.layers.layer import InputSpec, Layer
from hoarfrost.layers.normalization.common import _check_axis, _compute_dtype, _normalize


class LayerNormalization(Layer):
    """Normalizes each sample over `axis` (by default its features), then
    scales by `gamma` and offsets by `beta`.

    `outputs = gamma * (x - mean) / sqrt(var + epsilon) + beta`, the mean and
    variance taken over `axis` for every sample independently. It behaves the
    same in training and inference and has no state.

    Args:
        axis: an axis or a list of axes to normalize over (default -1).
        epsilon: added to the variance to avoid dividing by zero (Keras's
            default 1e-3).
        center: whether to add the learned offset `beta`.
        scale: whether to multiply by the learned scale `gamma`.
        beta_initializer, gamma_initializer: initializers (zeros, ones).
        beta_regularizer, gamma_regularizer: penalties added to the loss while
            the weight is trainable.
        beta_constraint, gamma_constraint: projections after each update.
        rms_scaling: deprecated in Keras 3 (it scales by the variance, not the
            root mean square) and kept only so Keras configs load and compute
            the same: `x * rsqrt(var + epsilon) * gamma`, no `beta`.
        **kwargs: `name`, `trainable`, `input_shape`, `dtype`.

    Weights, in order: `gamma` (when `scale` or `rms_scaling`), `beta` (when
    `center` and not `rms_scaling`); their shape is the input's size along
    `axis`.

    Example:
        >>> LayerNormalization()(jnp.arange(6.0).reshape(2, 3)).shape
        (2, 3)
    """

    _supports_masking = True  # a mask passes through, as in Keras

    def __init__(self, axis=-1, epsilon: float = 1e-3, center: bool = True, scale: bool = True,
                 beta_initializer="zeros", gamma_initializer="ones", beta_regularizer=None,
                 gamma_regularizer=None, beta_constraint=None, gamma_constraint=None,
                 rms_scaling: bool = False, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axis, (list, tuple)):
            self.axis = [int(a) for a in axis]
            if not self.axis:
                raise ValueError("LayerNormalization: `axis` must name at least one axis.")
        elif isinstance(axis, int):
            self.axis = int(axis)
        else:
            raise TypeError(
                "LayerNormalization: expected an int or a list/tuple of ints for `axis`, "
                f"got {axis!r}."
            )
        if rms_scaling:
            warnings.warn(
                "LayerNormalization: rms_scaling=True is deprecated in Keras 3 (it scales by "
                "the variance, not the root mean square); it is kept for compatibility.",
                DeprecationWarning, stacklevel=2)
        self.epsilon = float(epsilon)
        self.center = bool(center)
        self.scale = bool(scale)
        self.rms_scaling = bool(rms_scaling)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)
        self.gamma = self.beta = None
        self._axes = None
        self.autocast = False  # as Keras: inputs and weights in their own dtypes

    def build(self, input_shape):
        rank = len(input_shape)
        axes = self.axis if isinstance(self.axis, list) else [self.axis]
        axes = sorted(_check_axis(self, a, rank) for a in axes)
        if len(set(axes)) != len(axes):
            raise ValueError(
                f'LayerNormalization layer "{self.name}": repeated axis in {self.axis}.')
        shape = tuple(input_shape[a] for a in axes)
        if any(d is None for d in shape):
            raise ValueError(
                f'LayerNormalization layer "{self.name}": the normalized axes {self.axis} '
                f"must have known sizes, got input shape {tuple(input_shape)}."
            )
        if self.scale or self.rms_scaling:
            self.gamma = self.add_weight(shape=shape, initializer=self.gamma_initializer,
                                         regularizer=self.gamma_regularizer,
                                         constraint=self.gamma_constraint, name="gamma",
                                         autocast=False)
        if self.center and not self.rms_scaling:
            self.beta = self.add_weight(shape=shape, initializer=self.beta_initializer,
                                        regularizer=self.beta_regularizer,
                                        constraint=self.beta_constraint, name="beta",
                                        autocast=False)
        self._axes = tuple(axes)
        self.input_spec = InputSpec(ndim=rank, axes={a: input_shape[a] for a in axes})
        self.built = True

    def _broadcast(self, v, x):
        shape = [1] * x.ndim
        for a in self._axes:
            shape[a] = x.shape[a]
        return jnp.reshape(v, shape)

    def call(self, inputs):
        dtype = _compute_dtype(inputs.dtype)
        x = inputs.astype(dtype)
        gamma = None if self.gamma is None else self._broadcast(self.gamma.value.astype(dtype), x)
        beta = None if self.beta is None else self._broadcast(self.beta.value.astype(dtype), x)
        variance = jnp.var(x, axis=self._axes, keepdims=True)
        if self.rms_scaling:
            outputs = x * jax.lax.rsqrt(variance + self.epsilon)
            if gamma is not None:
                outputs = outputs * gamma
        else:
            mean = jnp.mean(x, axis=self._axes, keepdims=True)
            outputs = _normalize(x, mean, variance, gamma, beta, self.epsilon)
        return outputs.astype(self.compute_dtype)

    def compute_output_shape(self, input_shape):
        for a in self.axis if isinstance(self.axis, list) else [self.axis]:
            _check_axis(self, a, len(input_shape))
        return tuple(input_shape)

    def get_config(self):
        return {
            **super().get_config(),
            "axis": self.axis,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            "rms_scaling": self.rms_scaling,
            "beta_initializer": initializers.serialize(self.beta_initializer),
            "gamma_initializer": initializers.serialize(self.gamma_initializer),
            "beta_regularizer": regularizers.serialize(self.beta_regularizer),
            "beta_constraint": constraints.serialize(self.beta_constraint),
            "gamma_regularizer": regularizers.serialize(self.gamma_regularizer),
            "gamma_constraint": constraints.serialize(self.gamma_constraint),
        }
