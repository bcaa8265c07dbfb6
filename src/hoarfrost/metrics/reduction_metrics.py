"""Means and sums: `Mean`, `Sum`, and `MeanMetricWrapper`, the running mean of a per-sample function."""

from __future__ import annotations

from typing import Callable

import jax.numpy as jnp

from hoarfrost import losses as losses_module
from hoarfrost import masking
from hoarfrost.metrics.metric import Metric, zeros

#: Whether a larger ("up") or smaller ("down") value of a wrapped function is better.
_FN_DIRECTIONS: dict[Callable, str] = {
    losses_module.mean_squared_error: "down", losses_module.mean_absolute_error: "down",
    losses_module.binary_crossentropy: "down", losses_module.categorical_crossentropy: "down",
    losses_module.sparse_categorical_crossentropy: "down",
}


def register_direction(fn: Callable, direction: str) -> Callable:
    """Say that a larger (`"up"`) or smaller (`"down"`) value of `fn` is better, so a
    `MeanMetricWrapper` of it tells `EarlyStopping(mode="auto")` which way to go."""
    _FN_DIRECTIONS[fn] = direction
    return fn


class Mean(Metric):
    """The (weighted) mean of the values given."""

    _state_names = ("total", "count")

    def initial_state(self):
        return (zeros(()), zeros(()))

    def update(self, state, values, y_pred=None, sample_weight=None):
        total, count = state
        mask = masking.get_mask(values)  # e.g. the ignored labels of a crossentropy
        values = jnp.asarray(values, jnp.float32)
        if sample_weight is None:  # Keras's rule: the values' mask counts only with weights
            return total + jnp.sum(values), count + values.size
        weight = jnp.asarray(sample_weight, jnp.float32)
        if mask is not None:
            weight = masking.metric_weights(weight, mask)
        while weight.ndim > values.ndim and weight.shape[-1] == 1:  # (n, 1) weights, (n,) values
            weight = jnp.squeeze(weight, -1)
        weight = jnp.broadcast_to(
            weight.reshape(weight.shape + (1,) * (values.ndim - weight.ndim)), values.shape)
        return total + jnp.sum(values * weight), count + jnp.sum(weight)

    def update_state(self, values, sample_weight=None) -> None:
        if self._state is None:
            self._state = self.initial_state()
        self._state = self.update(self._state, values, None, sample_weight)

    def compute(self, state):
        total, count = state
        return total / jnp.maximum(count, 1e-12)


class MeanMetricWrapper(Mean):
    """The running mean of a per-sample function `fn(y_true, y_pred)`."""

    def __init__(self, fn: Callable, name: str | None = None, dtype=None, **kwargs):
        super().__init__(name=name or fn.__name__, dtype=dtype)
        self._fn = fn
        self._fn_kwargs = kwargs
        if type(self)._direction is None:
            self._direction = _FN_DIRECTIONS.get(fn)

    def update(self, state, y_true, y_pred, sample_weight=None):
        # Masked entries of y_pred (padded timesteps) don't count, as in Keras.
        sample_weight = masking.metric_weights(sample_weight, masking.get_mask(y_pred))
        # Ranks matched as before a loss: labels (n,) and outputs (n, 1) do not broadcast.
        y_true, y_pred = losses_module.squeeze_or_expand_to_same_rank(jnp.asarray(y_true),
                                                                     jnp.asarray(y_pred))
        return super().update(state, self._fn(y_true, y_pred, **self._fn_kwargs), None,
                              sample_weight)

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        Metric.update_state(self, y_true, y_pred, sample_weight)

    def get_config(self):
        return {"name": self.name, **self._fn_kwargs}


def mean_metric(fn, default_name, **defaults):
    """A running-mean metric class of `fn`, taking `defaults`' keywords as Keras's does."""

    class _Metric(MeanMetricWrapper):
        def __init__(self, name: str = default_name, dtype=None, **kwargs):
            unknown = set(kwargs) - set(defaults)
            if unknown:
                raise TypeError(f"{type(self).__name__}: unexpected arguments {sorted(unknown)}.")
            super().__init__(fn, name=name, **{**defaults, **kwargs})

    return _Metric


def reduce_to_samplewise_values(values, sample_weight, reduce_fn, dtype):
    """Values reduced to one per sample (and weighted), as Keras's reduction metrics do.

    Returns `(values, sample_weight)`: values of shape `(batch,)` (times the
    weights where given), weights reduced alike. The mask of `values` joins
    the weights when weights are given (Keras's rule).
    """
    mask = masking.get_mask(values)
    values = jnp.asarray(values).astype(dtype)
    if sample_weight is not None:
        sample_weight = jnp.asarray(sample_weight).astype(dtype)
        if mask is not None:
            sample_weight = masking.metric_weights(sample_weight, mask).astype(dtype)
        values, sample_weight = losses_module.squeeze_or_expand_to_same_rank(values,
                                                                             sample_weight)
        weight_ndim, values_ndim = sample_weight.ndim, values.ndim
        if values_ndim > weight_ndim:
            values = reduce_fn(values, axis=tuple(range(weight_ndim, values_ndim)))
        sample_weight = jnp.broadcast_to(sample_weight, values.shape)
        values = values * sample_weight
        if weight_ndim > 1:
            sample_weight = reduce_fn(sample_weight, axis=tuple(range(1, weight_ndim)))
    if values.ndim > 1:
        values = reduce_fn(values, axis=tuple(range(1, values.ndim)))
    return values, sample_weight


class Sum(Metric):
    """The (weighted) sum of the values given.

    Args:
        name: the metric's name.
        dtype: its dtype.

    Example:
        >>> m = Sum()
        >>> m.update_state([1, 3, 5, 7])
        >>> float(m.result())
        16.0
    """

    def __init__(self, name: str = "sum", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable(shape=(), initializer="zeros", dtype=self.dtype,
                                       name="total")

    def update_state(self, values, sample_weight=None) -> None:
        values, _ = reduce_to_samplewise_values(values, sample_weight, reduce_fn=jnp.sum,
                                                dtype=self.dtype)
        self.total.assign(self.total.value + jnp.sum(values))

    def reset_state(self) -> None:
        self.total.assign(jnp.zeros((), self.total.dtype))

    def result(self):
        return self.total.value.astype(self.dtype)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}
