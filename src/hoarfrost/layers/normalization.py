"""Normalization layers: `BatchNormalization`, `LayerNormalization`,
`GroupNormalization`, `RMSNormalization` and `UnitNormalization`.

All follow Keras 3 (names, arguments, defaults, weight names and
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
        renorm: batch renormalization (Ioffe 2017): in training the batch
            statistics are corrected towards moving ones by `r` and `d`
            (gradients stopped), so training and inference agree better with
            small or non-i.i.d. batches. Adds three state variables.
        renorm_clipping: a dict with optional keys `rmax`, `rmin`, `dmax`
            bounding `r` to [rmin, rmax] and `d` to [-dmax, dmax].
        renorm_momentum: the momentum of the renorm statistics (0.99).
        synchronized: only False (Keras supports True on TensorFlow only).
        **kwargs: `name`, `trainable`, `input_shape`, `dtype`.

    Weights, in `get_weights()` order as in Keras: `gamma`, `beta` (trainable
    parameters, present when `scale`/`center`), `moving_mean`,
    `moving_variance` (state: never touched by the optimizer, updated only
    by the layer itself in training mode); with `renorm`, also the state
    `moving_stddev`, `renorm_mean`, `renorm_stddev`.

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
            renorm_clipping = dict(renorm_clipping or {})
            unknown = set(renorm_clipping) - {"rmax", "rmin", "dmax"}
            if unknown:
                raise ValueError(
                    "BatchNormalization: `renorm_clipping` accepts the keys 'rmax', 'rmin' and "
                    f"'dmax'; received {renorm_clipping!r}.")
            rmax, rmin = renorm_clipping.get("rmax"), renorm_clipping.get("rmin")
            dmax = renorm_clipping.get("dmax")
            if rmax is not None and rmin is not None and rmax < rmin:
                raise ValueError(
                    "BatchNormalization: `renorm_clipping` needs rmax >= rmin; received "
                    f"rmax={rmax}, rmin={rmin}.")
            if dmax is not None and dmax < 0:
                raise ValueError(
                    f"BatchNormalization: `renorm_clipping` needs dmax >= 0; received dmax={dmax}.")
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
        self.renorm = bool(renorm)
        self.renorm_clipping = renorm_clipping
        self.renorm_momentum = float(renorm_momentum)
        self.synchronized = False
        self.gamma = self.beta = self.moving_mean = self.moving_variance = None
        self.moving_stddev = self.renorm_mean = self.renorm_stddev = None
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
        if self.renorm:
            variance_init = self.moving_variance_initializer

            def stddev_initializer(shape, dtype="float32"):
                return jnp.sqrt(jnp.asarray(variance_init(shape, dtype)))

            self.moving_stddev = self.add_weight(shape=shape, initializer=stddev_initializer,
                                                 trainable=False, name="moving_stddev")
            self.renorm_mean = self.add_weight(shape=shape,
                                               initializer=self.moving_mean_initializer,
                                               trainable=False, name="renorm_mean")
            self.renorm_stddev = self.add_weight(shape=shape, initializer=stddev_initializer,
                                                 trainable=False, name="renorm_stddev")
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
            if self.renorm:
                gamma, beta = self._renorm(batch_mean, batch_variance, gamma, beta, rank, dtype)
            else:
                self.moving_mean.assign(
                    moving_mean * self.momentum + batch_mean * (1.0 - self.momentum))
                self.moving_variance.assign(
                    moving_variance * self.momentum + batch_variance * (1.0 - self.momentum))
        else:
            mean = self._broadcast(moving_mean, rank)
            variance = self._broadcast(moving_variance, rank)
        outputs = _normalize(x, mean, variance, gamma, beta, self.epsilon)
        return outputs.astype(self.dtype)

    def _renorm(self, mean, variance, gamma, beta, rank, dtype):
        """Keras's batch renormalization: the corrected scale and offset
        (`r * gamma`, `d * gamma + beta`, `r` and `d` without gradient), and
        the updates of the renorm and moving statistics."""
        epsilon = self.epsilon
        stddev = jnp.sqrt(variance + epsilon)
        renorm_mean = self.renorm_mean.value.astype(dtype)
        renorm_stddev = self.renorm_stddev.value.astype(dtype)
        floor = jnp.maximum(renorm_stddev, jnp.sqrt(jnp.asarray(epsilon, dtype)))
        r = stddev / floor
        d = (mean - renorm_mean) / floor
        clipping = self.renorm_clipping or {}
        if clipping.get("rmin") is not None:
            r = jnp.maximum(r, clipping["rmin"])
        if clipping.get("rmax") is not None:
            r = jnp.minimum(r, clipping["rmax"])
        if clipping.get("dmax") is not None:
            d = jnp.clip(d, -clipping["dmax"], clipping["dmax"])
        r = self._broadcast(jax.lax.stop_gradient(r), rank)
        d = self._broadcast(jax.lax.stop_gradient(d), rank)
        new_gamma = r if gamma is None else r * gamma
        new_beta = d if gamma is None else d * gamma
        if beta is not None:
            new_beta = new_beta + beta
        momentum, renorm_momentum = self.momentum, self.renorm_momentum
        self.renorm_mean.assign(renorm_mean * renorm_momentum + mean * (1.0 - renorm_momentum))
        self.renorm_stddev.assign(
            renorm_stddev * renorm_momentum + stddev * (1.0 - renorm_momentum))
        self.moving_mean.assign(
            self.moving_mean.value.astype(dtype) * momentum + mean * (1.0 - momentum))
        moving_stddev = (self.moving_stddev.value.astype(dtype) * momentum
                         + stddev * (1.0 - momentum))
        self.moving_stddev.assign(moving_stddev)
        self.moving_variance.assign(jax.nn.relu(moving_stddev * moving_stddev - epsilon))
        return new_gamma, new_beta

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
                                         constraint=self.gamma_constraint, name="gamma")
        if self.center:
            self.beta = self.add_weight(shape=shape, initializer=self.beta_initializer,
                                        regularizer=self.beta_regularizer,
                                        constraint=self.beta_constraint, name="beta")
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
        return jnp.reshape(outputs, x.shape).astype(self.dtype)

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


class RMSNormalization(Layer):
    """Root-mean-square normalization (Zhang & Sennrich, 2019), as Keras 3.

    `outputs = inputs * rsqrt(mean(inputs ** 2, axis) + epsilon) * scale`:
    no centering and no offset. The same in training and inference.

    Args:
        axis: an axis or a list of axes to normalize over (default -1).
        epsilon: added to the mean square (1e-6).
        **kwargs: `name`, `trainable`, `input_shape`, `dtype`.

    Weights: `scale` (ones at first), shaped as the input along `axis`.

    Example:
        >>> RMSNormalization()(jnp.ones((2, 3))).shape
        (2, 3)
    """

    def __init__(self, axis=-1, epsilon: float = 1e-6, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(axis, (int, list, tuple)) or isinstance(axis, bool):
            raise TypeError(
                f"RMSNormalization: `axis` must be an int or a list of ints, got {axis!r}.")
        self.axis = list(axis) if isinstance(axis, tuple) else axis
        self.epsilon = float(epsilon)
        self.scale = None

    def build(self, input_shape):
        rank = len(input_shape)
        # As Keras: `axis` becomes a sorted list once built (and so in the config).
        axes = sorted(self.axis) if isinstance(self.axis, list) else [self.axis]
        for a in axes:
            _check_axis(self, a, rank)
        shape = tuple(input_shape[a] for a in axes)
        if any(d is None for d in shape):
            raise ValueError(
                f'RMSNormalization layer "{self.name}": the normalized axes {self.axis} must '
                f"have known sizes, got input shape {tuple(input_shape)}.")
        self.axis = axes
        self.scale = self.add_weight(shape=shape, initializer="ones", name="scale")
        self.built = True

    def call(self, inputs):
        dtype = _compute_dtype(inputs.dtype)
        x = inputs.astype(dtype)
        inverse_rms = jax.lax.rsqrt(
            jnp.mean(jnp.square(x), axis=tuple(self.axis), keepdims=True) + self.epsilon)
        # Keras multiplies by `scale` with plain broadcasting (trailing axes).
        outputs = x * inverse_rms * self.scale.value.astype(dtype)
        return outputs.astype(self.dtype)

    def compute_output_shape(self, input_shape):
        for a in self.axis if isinstance(self.axis, list) else [self.axis]:
            _check_axis(self, a, len(input_shape))
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis, "epsilon": self.epsilon}


class UnitNormalization(Layer):
    """Scales each sample to unit L2 norm along `axis`, as Keras 3:
    `inputs * min(rsqrt(sum(inputs ** 2, axis)), 1e12)`.

    Args:
        axis: an axis or a list of axes (default -1).
        **kwargs: `name`, `input_shape`, `dtype`.

    Example:
        >>> UnitNormalization()(jnp.array([[3.0, 4.0]]))
        Array([[0.6, 0.8]], dtype=float32)
    """

    _supports_masking = True

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axis, (list, tuple)):
            self.axis = [int(a) for a in axis]
        elif isinstance(axis, int) and not isinstance(axis, bool):
            self.axis = axis
        else:
            raise TypeError(
                "UnitNormalization: expected an int or a list/tuple of ints for `axis`, "
                f"got {axis!r}.")
        self.built = True

    def call(self, inputs):
        axes = tuple(self.axis) if isinstance(self.axis, list) else self.axis
        x = inputs.astype(self.dtype)
        square_sum = jnp.sum(jnp.square(x), axis=axes, keepdims=True)
        return x * jnp.minimum(jax.lax.rsqrt(square_sum), 1.0 / 1e-12)

    def compute_output_shape(self, input_shape):
        for a in self.axis if isinstance(self.axis, list) else [self.axis]:
            _check_axis(self, a, len(input_shape))
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}
