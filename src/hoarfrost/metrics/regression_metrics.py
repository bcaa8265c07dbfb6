"""Regression metrics: squared, absolute, percentage and log errors, cosine similarity."""

from __future__ import annotations

import jax.numpy as jnp

from hoarfrost import losses as losses_module
from hoarfrost import masking
from hoarfrost.metrics.metric import Metric
from hoarfrost.metrics.reduction_metrics import Mean, mean_metric


class MeanSquaredError(mean_metric(losses_module.mean_squared_error, "mean_squared_error")):
    """The mean of squared errors."""

    _direction = "down"


class MeanAbsoluteError(mean_metric(losses_module.mean_absolute_error, "mean_absolute_error")):
    """The mean of absolute errors."""

    _direction = "down"


class RootMeanSquaredError(Mean):
    """The square root of the mean squared error over all elements seen."""

    _direction = "down"

    def __init__(self, name: str = "root_mean_squared_error", dtype=None):
        super().__init__(name=name)

    def update(self, state, y_true, y_pred, sample_weight=None):
        sample_weight = masking.metric_weights(sample_weight, masking.get_mask(y_pred))
        y_true = losses_module._match_rank(y_true, y_pred).astype(y_pred.dtype)
        return super().update(state, jnp.square(y_pred - y_true), None, sample_weight)

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        Metric.update_state(self, y_true, y_pred, sample_weight)

    def compute(self, state):
        return jnp.sqrt(super().compute(state))


def cosine_similarity(y_true, y_pred, axis: int = -1):
    """The cosine similarity of each sample's target and prediction (1: same direction)."""
    return -losses_module.cosine_similarity(y_true, y_pred, axis=axis)


class MeanAbsolutePercentageError(mean_metric(
        losses_module.mean_absolute_percentage_error, "mean_absolute_percentage_error")):
    """The mean absolute percentage error."""

    _direction = "down"


class MeanSquaredLogarithmicError(mean_metric(
        losses_module.mean_squared_logarithmic_error, "mean_squared_logarithmic_error")):
    """The mean squared logarithmic error."""

    _direction = "down"


class LogCoshError(mean_metric(losses_module.log_cosh, "logcosh")):
    """The mean of log(cosh(error))."""

    _direction = "down"


class CosineSimilarity(mean_metric(cosine_similarity, "cosine_similarity", axis=-1)):
    """The mean cosine similarity (1: same directions)."""

    _direction = "up"
