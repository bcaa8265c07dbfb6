"""`BatchNormalization`, as Keras 3: batch statistics in training, moving averages in
inference, and batch renormalization (`renorm=True`)."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from hoarfrost import config, constraints, initializers, regularizers
from hoarfrost.layers.layer import InputSpec, Layer, trainable_in_context
from hoarfrost.layers.normalization.common import _check_axis, _compute_dtype, _normalize


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
                                         constraint=self.gamma_constraint, name="gamma",
                                         autocast=False)
        if self.center:
            self.beta = self.add_weight(shape=shape, initializer=self.beta_initializer,
                                        regularizer=self.beta_regularizer,
                                        constraint=self.beta_constraint, name="beta",
                                        autocast=False)
        self.moving_mean = self.add_weight(shape=shape, initializer=self.moving_mean_initializer,
                                           trainable=False, name="moving_mean",
                                           autocast=False)
        self.moving_variance = self.add_weight(
            shape=shape, initializer=self.moving_variance_initializer, trainable=False,
            name="moving_variance", autocast=False)
        if self.renorm:
            variance_init = self.moving_variance_initializer

            def stddev_initializer(shape, dtype="float32"):
                return jnp.sqrt(jnp.asarray(variance_init(shape, dtype)))

            self.moving_stddev = self.add_weight(shape=shape, initializer=stddev_initializer,
                                                 trainable=False, name="moving_stddev",
                                                 autocast=False)
            self.renorm_mean = self.add_weight(shape=shape,
                                               initializer=self.moving_mean_initializer,
                                               trainable=False, name="renorm_mean",
                                               autocast=False)
            self.renorm_stddev = self.add_weight(shape=shape, initializer=stddev_initializer,
                                                 trainable=False, name="renorm_stddev",
                                                 autocast=False)
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
        return outputs.astype(self.compute_dtype)

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
