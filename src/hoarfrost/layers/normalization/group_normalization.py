"""`GroupNormalization` (Wu & He, 2018), as Keras 3: each sample normalized over groups
of channels."""

from __future__ import annotations

import jax.numpy as jnp

from hoarfrost import constraints, initializers, regularizers
from hoarfrost.layers.layer import InputSpec, Layer
from hoarfrost.layers.normalization.common import _check_axis, _compute_dtype, _normalize


class GroupNormalization(Layer):
    """Normalizes each sample over groups of channels (Wu & He, 2018), as Keras 3.

    The channels along `axis` are split into `groups` groups; each sample's
    group is normalized by its own mean and variance (over the group's
    channels and every other non-batch axis), then scaled by `gamma` and
    offset by `beta` per channel. `groups=1` is close to LayerNormalization
    over all axes, `groups=-1` (one group per channel) is instance
    normalization. The same in training and inference; no state.

    Args:
        groups: the number of groups (default 32); must divide the channels.
            -1 means one group per channel.
        axis: the channels axis (default -1).
        epsilon: added to the variance (1e-3).
        center, scale: whether to add `beta` / multiply by `gamma`.
        beta_initializer, gamma_initializer: zeros, ones.
        beta_regularizer, gamma_regularizer: penalties on the weights.
        beta_constraint, gamma_constraint: projections after each update.
        **kwargs: `name`, `trainable`, `input_shape`, `dtype`.

    Weights, in order: `gamma`, `beta`, each of shape `(channels,)`.

    Example:
        >>> GroupNormalization(groups=2)(jnp.ones((2, 5, 4))).shape
        (2, 5, 4)
    """

    _supports_masking = True

    def __init__(self, groups: int = 32, axis: int = -1, epsilon: float = 1e-3,
                 center: bool = True, scale: bool = True, beta_initializer="zeros",
                 gamma_initializer="ones", beta_regularizer=None, gamma_regularizer=None,
                 beta_constraint=None, gamma_constraint=None, **kwargs):
        if not isinstance(groups, int) or isinstance(groups, bool) or (
                groups <= 0 and groups != -1):
            raise ValueError(
                "GroupNormalization: `groups` must be a positive integer (or -1 for instance "
                f"normalization); received groups={groups!r}.")
        if not isinstance(axis, int) or isinstance(axis, bool):
            raise TypeError(f"GroupNormalization: `axis` must be an integer, got {axis!r}.")
        super().__init__(**kwargs)
        self.groups = groups
        self.axis = axis
        self.epsilon = float(epsilon)
        self.center = bool(center)
        self.scale = bool(scale)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)
        self.gamma = self.beta = None
        self.autocast = False  # as Keras: inputs and weights in their own dtypes

    def build(self, input_shape):
        rank = len(input_shape)
        axis = _check_axis(self, self.axis, rank)
        channels = input_shape[axis]
        if channels is None:
            raise ValueError(
                f'GroupNormalization layer "{self.name}": axis {self.axis} of the input must '
                f"be known, got input shape {tuple(input_shape)}.")
        if self.groups == -1:
            self.groups = int(channels)  # as Keras: the config then says the count
        if channels < self.groups:
            raise ValueError(
                f'GroupNormalization layer "{self.name}": the number of groups ({self.groups}) '
                f"cannot be more than the number of channels ({channels}).")
        if channels % self.groups:
            raise ValueError(
                f'GroupNormalization layer "{self.name}": the number of channels ({channels}) '
                f"must be a multiple of the number of groups ({self.groups}).")
        shape = (int(channels),)
        if self.scale:
            self.gamma = self.add_weight(shape=shape, initializer=self.gamma_initializer,
                                         regularizer=self.gamma_regularizer,
                                         constraint=self.gamma_constraint, name="gamma",
                                         autocast=False)
        if self.center:
            self.beta = self.add_weight(shape=shape, initializer=self.beta_initializer,
                                        regularizer=self.beta_regularizer,
                                        constraint=self.beta_constraint, name="beta",
                                        autocast=False)
        self.input_spec = InputSpec(ndim=rank, axes={self.axis: int(channels)})
        self.built = True

    def call(self, inputs):
        dtype = _compute_dtype(inputs.dtype)
        x = inputs.astype(dtype)
        axis = self.axis % x.ndim
        # (..., channels, ...) -> (..., groups, channels // groups, ...)
        group_shape = x.shape[:axis] + (self.groups, x.shape[axis] // self.groups) \
            + x.shape[axis + 1:]
        grouped = jnp.reshape(x, group_shape)
        reduce = tuple(i for i in range(1, grouped.ndim) if i != axis)
        mean = jnp.mean(grouped, reduce, keepdims=True)
        variance = jnp.var(grouped, reduce, keepdims=True)
        broadcast = [1] * grouped.ndim
        broadcast[axis], broadcast[axis + 1] = group_shape[axis], group_shape[axis + 1]
        gamma = None if self.gamma is None else jnp.reshape(self.gamma.value.astype(dtype),
                                                            broadcast)
        beta = None if self.beta is None else jnp.reshape(self.beta.value.astype(dtype),
                                                          broadcast)
        outputs = _normalize(grouped, mean, variance, gamma, beta, self.epsilon)
        return jnp.reshape(outputs, x.shape).astype(self.compute_dtype)

    def compute_output_shape(self, input_shape):
        _check_axis(self, self.axis, len(input_shape))
        return tuple(input_shape)

    def get_config(self):
        return {
            **super().get_config(),
            "groups": self.groups,
            "axis": self.axis,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            "beta_initializer": initializers.serialize(self.beta_initializer),
            "gamma_initializer": initializers.serialize(self.gamma_initializer),
            "beta_regularizer": regularizers.serialize(self.beta_regularizer),
            "gamma_regularizer": regularizers.serialize(self.gamma_regularizer),
            "beta_constraint": constraints.serialize(self.beta_constraint),
            "gamma_constraint": constraints.serialize(self.gamma_constraint),
        }
