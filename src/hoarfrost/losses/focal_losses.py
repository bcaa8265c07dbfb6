"""Focal crossentropies (Lin et al., 2017): crossentropy down-weighted where the model is
already confident, so training concentrates on the hard examples."""

from __future__ import annotations

import warnings

import jax
import jax.numpy as jnp

from hoarfrost import config
from hoarfrost.losses.loss import LossFunctionWrapper, register_builtin


def _binary_crossentropy(target, output):
    """Keras's element-wise `ops.binary_crossentropy` of probabilities."""
    output = jnp.clip(output, config.epsilon(), 1.0 - config.epsilon())
    return -(target * jnp.log(output) + (1.0 - target) * jnp.log(1.0 - output))


def binary_focal_crossentropy(y_true, y_pred, apply_class_balancing: bool = False,
                              alpha: float = 0.25, gamma: float = 2.0, from_logits: bool = False,
                              label_smoothing: float = 0.0, axis: int = -1):
    """The binary focal crossentropy, `(1 - p_t)^gamma * bce`, averaged over `axis`.

    Args:
        y_true: 0/1 targets.
        y_pred: probabilities (or logits with `from_logits=True`).
        apply_class_balancing: weigh positives by `alpha`, negatives by `1 - alpha`.
        alpha: the positives' weight with class balancing.
        gamma: the focusing parameter (0: plain binary crossentropy).
        from_logits: `y_pred` are logits.
        label_smoothing: squeeze targets towards 0.5 by this amount.
        axis: the axis the mean is taken over.
    """
    y_pred = jnp.asarray(y_pred)
    y_true = jnp.asarray(y_true).astype(y_pred.dtype)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    if from_logits:
        y_pred = jax.nn.sigmoid(y_pred)
    bce = _binary_crossentropy(y_true, y_pred)
    p_t = y_true * y_pred + (1 - y_true) * (1 - y_pred)
    focal_bce = jnp.power(1.0 - p_t, gamma) * bce
    if apply_class_balancing:
        focal_bce = (y_true * alpha + (1 - y_true) * (1 - alpha)) * focal_bce
    return jnp.mean(focal_bce, axis=axis)


def categorical_focal_crossentropy(y_true, y_pred, alpha: float = 0.25, gamma: float = 2.0,
                                   from_logits: bool = False, label_smoothing: float = 0.0,
                                   axis: int = -1):
    """The categorical focal crossentropy, `alpha * (1 - p)^gamma * cce`, summed over `axis`.

    Args:
        y_true: one-hot targets.
        y_pred: class probabilities (or logits with `from_logits=True`).
        alpha: the weight of every class's term.
        gamma: the focusing parameter.
        from_logits: `y_pred` are logits.
        label_smoothing: mix targets with the uniform distribution by this amount.
        axis: the class axis.
    """
    if isinstance(axis, bool):
        raise ValueError(f"`axis` must be of type `int`. Received: axis={axis} of type "
                         f"{type(axis)}")
    y_pred = jnp.asarray(y_pred)
    y_true = jnp.asarray(y_true).astype(y_pred.dtype)
    if y_pred.shape[-1] == 1:
        warnings.warn("In loss categorical_focal_crossentropy, expected y_pred.shape to be "
                      "(batch_size, num_classes) with num_classes > 1. Received: "
                      f"y_pred.shape={y_pred.shape}. Consider using 'binary_crossentropy' if "
                      "you only have 2 classes.", SyntaxWarning, stacklevel=2)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / y_true.shape[-1]
    if from_logits:
        y_pred = jax.nn.softmax(y_pred, axis=axis)
    output = y_pred / jnp.sum(y_pred, axis=axis, keepdims=True)
    output = jnp.clip(output, config.epsilon(), 1.0 - config.epsilon())
    cce = -y_true * jnp.log(output)
    focal_cce = jnp.power(1.0 - output, gamma) * alpha * cce
    return jnp.sum(focal_cce, axis=axis)


class BinaryFocalCrossentropy(LossFunctionWrapper):
    """The binary focal crossentropy (see `binary_focal_crossentropy`).

    Args: those of `binary_focal_crossentropy`, then `reduction`, `name`, `dtype`.
    """

    def __init__(self, apply_class_balancing: bool = False, alpha: float = 0.25,
                 gamma: float = 2.0, from_logits: bool = False, label_smoothing: float = 0.0,
                 axis: int = -1, reduction="sum_over_batch_size",
                 name="binary_focal_crossentropy", dtype=None):
        super().__init__(binary_focal_crossentropy, name=name, reduction=reduction, dtype=dtype,
                         apply_class_balancing=apply_class_balancing, alpha=alpha, gamma=gamma,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)
        self.from_logits = from_logits


class CategoricalFocalCrossentropy(LossFunctionWrapper):
    """The categorical focal crossentropy (see `categorical_focal_crossentropy`).

    Args: those of `categorical_focal_crossentropy`, then `reduction`, `name`, `dtype`.
    """

    def __init__(self, alpha: float = 0.25, gamma: float = 2.0, from_logits: bool = False,
                 label_smoothing: float = 0.0, axis: int = -1,
                 reduction="sum_over_batch_size", name="categorical_focal_crossentropy",
                 dtype=None):
        super().__init__(categorical_focal_crossentropy, name=name, reduction=reduction,
                         dtype=dtype, alpha=alpha, gamma=gamma, from_logits=from_logits,
                         label_smoothing=label_smoothing, axis=axis)
        self.from_logits = from_logits


register_builtin(binary_focal_crossentropy, categorical_focal_crossentropy,
                 BinaryFocalCrossentropy, CategoricalFocalCrossentropy)
