"""Overlap losses for segmentation: Dice and Tversky (1 - overlap score, per sample or
over the whole batch)."""

from __future__ import annotations

import jax.numpy as jnp

from hoarfrost import config
from hoarfrost.losses.loss import LossFunctionWrapper, register_builtin


def dice(y_true, y_pred, axis=None):
    """`1 - 2 |y_true * y_pred| / (|y_true| + |y_pred|)`, summed over `axis` (all axes:
    one value for the batch)."""
    y_pred = jnp.asarray(y_pred)
    y_true = jnp.asarray(y_true).astype(y_pred.dtype)
    intersection = jnp.sum(y_true * y_pred, axis=axis)
    score = 2.0 * intersection / (jnp.sum(y_true, axis=axis) + jnp.sum(y_pred, axis=axis)
                                  + config.epsilon())
    return 1 - score


def tversky(y_true, y_pred, alpha: float = 0.5, beta: float = 0.5, axis=None):
    """`1 - TP / (TP + alpha FP + beta FN)` with soft counts, summed over `axis`, in Keras's
    form: FP is `sum((1 - y_pred) * y_true)`, FN `sum(y_pred * (1 - y_true))`."""
    y_pred = jnp.asarray(y_pred)
    y_true = jnp.asarray(y_true).astype(y_pred.dtype)
    intersection = jnp.sum(y_true * y_pred, axis=axis)
    fp = jnp.sum((1 - y_pred) * y_true, axis=axis)
    fn = jnp.sum(y_pred * (1 - y_true), axis=axis)
    return 1 - intersection / (intersection + fp * alpha + fn * beta + config.epsilon())


class Dice(LossFunctionWrapper):
    """The Dice loss (see `dice`).

    Args:
        reduction: as for every `Loss`.
        name: the loss's name.
        axis: the axes summed over (None: all, one value for the batch).
        dtype: the dtype the loss computes in.
    """

    def __init__(self, reduction="sum_over_batch_size", name="dice", axis=None, dtype=None):
        super().__init__(dice, name=name, reduction=reduction, dtype=dtype, axis=axis)
        self.axis = axis


class Tversky(LossFunctionWrapper):
    """The Tversky loss (see `tversky`): Dice with false positives weighted by `alpha` and
    false negatives by `beta`.

    Args:
        alpha: the weight of false positives.
        beta: the weight of false negatives.
        reduction, name, axis, dtype: as `Dice`.
    """

    def __init__(self, alpha: float = 0.5, beta: float = 0.5, reduction="sum_over_batch_size",
                 name="tversky", axis=None, dtype=None):
        super().__init__(tversky, name=name, reduction=reduction, dtype=dtype, alpha=alpha,
                         beta=beta, axis=axis)
        self.axis = axis


register_builtin(dice, tversky, Dice, Tversky)
