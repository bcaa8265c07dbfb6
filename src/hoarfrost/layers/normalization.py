"""Normalization layers: `BatchNormalization` and `LayerNormalization`.

Both follow Keras 3 (names, arguments, defaults, weight names and
`get_weights` order) and compute the same formulas in the same order, so a
Keras model's weights load unchanged and give the same outputs.
"""

from __future__ import annotations

import warnings

import jax
import jax.numpy as jnp

from hoarfrost import config, constraints, initializers, regularizers
from hoarfrost.layers.layer import InputSpec, Layer, trainable_in_context


def _normalize(x, mean, variance, gamma, beta, epsilon):
    """Keras's formula, term by term: `x * inv + (beta - mean * inv)`."""
    inv = jax.lax.rsqrt(variance + epsilon)
    if gamma is not None:
        inv = inv * gamma
    res = -mean * inv
    if beta is not None:
        res = res + beta
    return x * inv + res


def _compute_dtype(dtype):
    # Statistics in at least float32 (float16 inputs overflow), as Keras does.
    return jnp.result_type(dtype, jnp.float32)


def _check_axis(layer, axis: int, rank: int) -> int:
    if not -rank <= axis < rank:
        raise ValueError(
            f'{type(layer).__name__} layer "{layer.name}": axis {axis} is out of bounds '
            f"for inputs of rank {rank}."
        )
    return axis % rank


class BatchNormalization(Layer):
    """Normalizes each feature with batch statistics in training and moving
    averages in inference.

    In training mode (`fit`, or a call with `training=True`) the layer returns
    `gamma * (x - mean(x)) / sqrt(var(x) + epsilon) + beta` with the mean and
    variance of the current batch, and updates its statistics:

        moving_mean = moving_mean * momentum + mean(x) * (1 - momentum)
        moving_variance = moving_variance * momentum + var(x) * (1 - momentum)

    In inference mode (`predict`, `evaluate`, a plain call) it uses
    `moving_mean` and `moving_variance` instead, and changes nothing.

    Args:
        axis: the features axis (normalized per feature; statistics are taken
            over every other axis). `-1` for channels-last, `1` after a
            channels-first convolution.
        momentum: the momentum of the moving averages.
        epsilon: added to the variance to avoid dividing by zero.
        center: whether to add the learned offset `beta`.
        scale: whether to multiply by the learned scale `gamma`.
        beta_initializer, gamma_initializer, moving_mean_initializer,
        moving_variance_initializer: initializers (Keras defaults zeros,
            ones, zeros, ones).
        beta_regularizer, gamma_regularizer: penalties added to the loss while
            the weight is trainable.
        beta_constraint, gamma_constraint: projections after each update.
        synchronized, renorm, renorm_clipping, renorm_momentum: accepted for
            Keras compatibility; only the defaults (off) are supported.
        **kwargs: `name`, `trainable`, `input_shape`, `dtype`.

    Weights, in `get_weights()` order as in Keras: `gamma`, `beta` (trainable
    parameters, present when `scale`/`center`), `moving_mean`,
    `moving_variance` (state: never touched by the optimizer, updated only
    by the layer itself in training mode).

    Freezing:
        `bn.trainable = False` freezes the layer (the Keras convention): it
        then runs in inference mode even inside `fit`, normalizing with its
        moving statistics, and none of its four variables changes by a single
        bit - neither `gamma`/`beta` (nor their optimizer slots) nor the
        moving statistics. The same holds when an enclosing layer or model is
        frozen.

        To keep the statistics updating while the learned scale and offset
        stay fixed (for instance to adapt a pretrained network to new data),
        freeze the two parameters instead of the layer:

            bn.gamma.trainable = False
            bn.beta.trainable = False

        The layer itself stays trainable, so in `fit` it normalizes with
        batch statistics and updates `moving_mean` / `moving_variance`, while
        `gamma` and `beta` stay bit-identical. (Setting `bn.trainable`
        afterwards sets both parameter flags again, as for any layer.)

        To force inference mode without freezing, call the layer with
        `training=False`.

    Example:
        >>> bn = BatchNormalization()
        >>> bn(jnp.ones((4, 3))).shape
        (4, 3)
        >>> [w.name for w in bn.weights]
        ['batch_normalization/gamma', 'batch_normalization/beta', 'batch_normalization/moving_mean', 'batch_normalization/moving_variance']
    """

    _supports_masking = True  # a mask passes through, as in Keras

    def __init__(self, axis: int = -1, momentum: float = 0.99, epsilon: float = 1e-3,
                 center: bool = True, scale: bool = True, beta_initializer="zeros",
                 gamma_initializer="ones", moving_mean_initializer="zeros",
                 moving_variance_initializer="ones", beta_regularizer=None,
                 gamma_regularizer=None, beta_constraint=None, gamma_constraint=None,
                 renorm: bool = False, renorm_clipping=None, renorm_momentum: float = 0.99,
                 synchronized: bool = False, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axis, (list, tuple)):
            raise TypeError(
                f"BatchNormalization: `axis` must be an integer (the features axis), got {axis!r}."
            )
        if synchronized:
            raise ValueError(
                "BatchNormalization: synchronized=True is only supported by Keras's "
                "TensorFlow backend; hoarfrost runs on one device per step."
            )
        if renorm:
            raise NotImplementedError(
                "BatchNormalization: renorm=True (batch renormalization) is not supported "
                "by hoarfrost."
            )
        if not 0.0 <= float(momentum) <= 1.0:
            raise ValueError(f"BatchNormalization: `momentum` must be in [0, 1], got {momentum!r}.")
        if float(epsilon) <= 0:
            raise ValueError(f"BatchNormalization: `epsilon` must be positive, got {epsilon!r}.")
        self.axis = int(axis)
        self.momentum = float(momentum)
        self.epsilon = float(epsilon)
        self.center = bool(center)
        self.scale = bool(scale)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)
        self.renorm = False
        self.renorm_clipping = renorm_clipping
        self.renorm_momentum = float(renorm_momentum)
        self.synchronized = False
        self.gamma = self.beta = self.moving_mean = self.moving_variance = None
        self._axis = None
        self._reduction_axes = None

    def build(self, input_shape):
        rank = len(input_shape)
        axis = _check_axis(self, self.axis, rank)
        features = input_shape[axis]
        if features is None:
            raise ValueError(
                f'BatchNormalization layer "{self.name}": axis {self.axis} of the input '
                f"must be known, got input shape {tuple(input_shape)}."
            )
        shape = (int(features),)
        if self.scale:
            self.gamma = self.add_weight(shape=shape, initializer=self.gamma_initializer,
                                         regularizer=self.gamma_regularizer,
                                         constraint=self.gamma_constraint, name="gamma")
        if self.center:
            self.beta = self.add_weight(shape=shape, initializer=self.beta_initializer,
                                        regularizer=self.beta_regularizer,
                                        constraint=self.beta_constraint, name="beta")
        self.moving_mean = self.add_weight(shape=shape, initializer=self.moving_mean_initializer,
                                           trainable=False, name="moving_mean")
        self.moving_variance = self.add_weight(
            shape=shape, initializer=self.moving_variance_initializer, trainable=False,
            name="moving_variance")
        self._axis = axis
        self._reduction_axes = tuple(i for i in range(rank) if i != axis)
        self.input_spec = InputSpec(ndim=rank, axes={self.axis: int(features)})
        self.built = True

    def _broadcast(self, v, rank):
        shape = [1] * rank
        shape[self._axis] = v.shape[0]
        return jnp.reshape(v, shape)

    def _moments(self, x, mask):
        if mask is None:
            return (jnp.mean(x, self._reduction_axes, keepdims=True),
                    jnp.var(x, self._reduction_axes, keepdims=True))
        mask = jnp.asarray(mask)
        if mask.ndim != x.ndim - 1:
            raise ValueError(
                f'BatchNormalization layer "{self.name}": the mask must have one axis '
                f"less than the inputs; got mask shape {tuple(mask.shape)} for inputs of "
                f"shape {tuple(x.shape)}."
            )
        weights = jnp.broadcast_to(jnp.expand_dims(mask, -1), x.shape).astype(bool)
        count = jnp.sum(weights.astype(x.dtype), self._reduction_axes, keepdims=True)
        eps = config.epsilon()  # Keras's backend.epsilon()
        mean = jnp.sum(jnp.where(weights, x, 0), self._reduction_axes, keepdims=True) / (count + eps)
        sq = jnp.square(jnp.where(weights, x - mean, 0))
        variance = jnp.sum(sq, self._reduction_axes, keepdims=True) / (count + eps)
        return mean, variance

    def call(self, inputs, training=None, mask=None):
        dtype = _compute_dtype(inputs.dtype)
        x = inputs.astype(dtype)
        rank = x.ndim
        gamma = None if self.gamma is None else self._broadcast(self.gamma.value.astype(dtype), rank)
        beta = None if self.beta is None else self._broadcast(self.beta.value.astype(dtype), rank)
        moving_mean = self.moving_mean.value.astype(dtype)
        moving_variance = self.moving_variance.value.astype(dtype)
        # A frozen layer runs in inference mode even in training (Keras's convention).
        if training and trainable_in_context(self):
            mean, variance = self._moments(x, mask)
            batch_mean = jnp.reshape(mean, moving_mean.shape)
            batch_variance = jnp.reshape(variance, moving_variance.shape)
            self.moving_mean.assign(
                moving_mean * self.momentum + batch_mean * (1.0 - self.momentum))
            self.moving_variance.assign(
                moving_variance * self.momentum + batch_variance * (1.0 - self.momentum))
        else:
            mean = self._broadcast(moving_mean, rank)
            variance = self._broadcast(moving_variance, rank)
        outputs = _normalize(x, mean, variance, gamma, beta, self.epsilon)
        return outputs.astype(self.dtype)

    def compute_output_shape(self, input_shape):
        _check_axis(self, self.axis, len(input_shape))
        return tuple(input_shape)

    def get_config(self):
        return {
            **super().get_config(),
            "axis": self.axis,
            "momentum": self.momentum,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            "beta_initializer": initializers.serialize(self.beta_initializer),
            "gamma_initializer": initializers.serialize(self.gamma_initializer),
            "moving_mean_initializer": initializers.serialize(self.moving_mean_initializer),
            "moving_variance_initializer": initializers.serialize(
                self.moving_variance_initializer),
            "beta_regularizer": regularizers.serialize(self.beta_regularizer),
            "beta_constraint": constraints.serialize(self.beta_constraint),
            "gamma_regularizer": regularizers.serialize(self.gamma_regularizer),
            "gamma_constraint": constraints.serialize(self.gamma_constraint),
            "synchronized": self.synchronized,
            "renorm": self.renorm,
            "renorm_clipping": self.renorm_clipping,
            "renorm_momentum": self.renorm_momentum,
        }


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
                                         constraint=self.gamma_constraint, name="gamma")
        if self.center and not self.rms_scaling:
            self.beta = self.add_weight(shape=shape, initializer=self.beta_initializer,
                                        regularizer=self.beta_regularizer,
                                        constraint=self.beta_constraint, name="beta")
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
        return outputs.astype(self.dtype)

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
