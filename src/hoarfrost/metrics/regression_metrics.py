"""Regression metrics: squared, absolute, percentage and log errors, cosine similarity."""

from __future__ import annotations

import warnings

import jax
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


class R2Score(Metric):
    """The coefficient of determination, per output column, aggregated.

    Its sums have one entry per output column, so they are created at the
    first update (or when `compile()` sees the data).

    Args:
        class_aggregation: `"uniform_average"` (the mean over columns),
            `"variance_weighted_average"` (weighted by each column's
            variance) or `None` (one score per column).
        num_regressors: the number of independent regressors, for the
            adjusted R2 (0: plain R2).
        name: the metric's name.
        dtype: its dtype.
    """

    _direction = "up"

    def __init__(self, class_aggregation: str | None = "uniform_average",
                 num_regressors: int = 0, name: str = "r2_score", dtype=None):
        super().__init__(name=name, dtype=dtype)
        valid = (None, "uniform_average", "variance_weighted_average")
        if class_aggregation not in valid:
            raise ValueError("Invalid value for argument `class_aggregation`. Expected one of "
                             f"{valid}. Received: class_aggregation={class_aggregation}")
        if num_regressors < 0:
            raise ValueError("Invalid value for argument `num_regressors`. Expected a value "
                             f">= 0. Received: num_regressors={num_regressors}")
        self.class_aggregation = class_aggregation
        self.num_regressors = num_regressors
        self.num_samples = self.add_variable(shape=(), name="num_samples")
        self._built = False

    def _build(self, y_true_shape, y_pred_shape) -> None:
        if len(y_pred_shape) != 2 or len(y_true_shape) != 2:
            raise ValueError("R2Score expects 2D inputs with shape (batch_size, output_dim). "
                             f"Received input shapes: y_pred.shape={tuple(y_pred_shape)} and "
                             f"y_true.shape={tuple(y_true_shape)}.")
        columns = (y_pred_shape[-1],)
        self.squared_sum = self.add_variable(shape=columns, name="squared_sum")
        self.sum = self.add_variable(shape=columns, name="sum")
        self.total_mse = self.add_variable(shape=columns, name="residual")
        self.count = self.add_variable(shape=columns, name="count")
        self._built = True

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        y_true = jnp.asarray(y_true, self.dtype)
        y_pred = jnp.asarray(y_pred, self.dtype)
        y_true, y_pred = losses_module.squeeze_or_expand_to_same_rank(y_true, y_pred)
        if not self._built:
            self._build(y_true.shape, y_pred.shape)
        weight = jnp.asarray(1 if sample_weight is None else sample_weight, self.dtype)
        if weight.ndim == 1:
            weight = jnp.expand_dims(weight, 1)
        weight = jnp.broadcast_to(weight, y_true.shape)
        weighted = y_true * weight
        self.sum.assign(self.sum.value + jnp.sum(weighted, axis=0))
        self.squared_sum.assign(self.squared_sum.value + jnp.sum(y_true * weighted, axis=0))
        self.total_mse.assign(self.total_mse.value
                              + jnp.sum((y_true - y_pred) ** 2 * weight, axis=0))
        self.count.assign(self.count.value + jnp.sum(weight, axis=0))
        self.num_samples.assign(self.num_samples.value + y_true.size)

    def result(self):
        if not self._built:
            raise ValueError(f'Metric "{self.name}" has no result before its first update '
                             "(its sums are shaped by the data).")
        total_sum = self.sum.value
        mean = total_sum / self.count.value
        total = self.squared_sum.value - total_sum * mean
        raw = 1 - self.total_mse.value / total
        raw = jnp.where(jnp.isinf(raw), 0.0, raw)
        if self.class_aggregation == "uniform_average":
            score = jnp.mean(raw)
        elif self.class_aggregation == "variance_weighted_average":
            score = jnp.sum(total * raw) / jnp.sum(total)
        else:
            score = raw
        if self.num_regressors == 0:
            return score
        n = self.num_samples.value.astype(jnp.float32)
        p = float(self.num_regressors)
        if not isinstance(n, jax.core.Tracer):  # eagerly: Keras's warnings
            if p > float(n) - 1:
                warnings.warn("More independent predictors than datapoints in adjusted R2 "
                              "score. Falling back to standard R2 score.", stacklevel=2)
            elif p == float(n) - 1:
                warnings.warn("Division by zero in Adjusted R2 score. Falling back to "
                              "standard R2 score.", stacklevel=2)
        adjusted = 1.0 - (1.0 - score) * (n - 1.0) / (n - p - 1.0)
        return jnp.where(p >= n - 1, score, adjusted)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype,
                "class_aggregation": self.class_aggregation,
                "num_regressors": self.num_regressors}
