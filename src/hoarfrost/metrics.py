"""Metrics: running statistics with a pure core the engine jits.

A metric's state is a small pytree of arrays. The engine threads it through
the compiled step (`initial_state`, `update`, `compute`), so nothing syncs
with the host per step; the Keras stateful API (`update_state`, `result`,
`reset_state`) wraps the same functions for use outside `fit`.
"""

from __future__ import annotations

from typing import Any, Callable

import jax.numpy as jnp

from hoarfrost import losses as losses_module


class Metric:
    """Base class of metrics.

    Args:
        name: the key of this metric in logs and `History`.
    """

    def __init__(self, name: str | None = None, dtype=None):
        from hoarfrost.naming import to_snake_case
        self.name = name or to_snake_case(type(self).__name__)
        self._state = None

    # --- pure core, used inside compiled steps ----------------------------------
    def initial_state(self):
        raise NotImplementedError

    def update(self, state, y_true, y_pred, sample_weight=None):
        raise NotImplementedError

    def compute(self, state):
        raise NotImplementedError

    # --- Keras's stateful API ------------------------------------------------
    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        if self._state is None:
            self._state = self.initial_state()
        self._state = self.update(self._state, jnp.asarray(y_true), jnp.asarray(y_pred),
                                  sample_weight)

    def result(self):
        return self.compute(self._state if self._state is not None else self.initial_state())

    def reset_state(self) -> None:
        self._state = None

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class Mean(Metric):
    """The (weighted) mean of the values given."""

    def initial_state(self):
        return (jnp.zeros((), jnp.float32), jnp.zeros((), jnp.float32))

    def update(self, state, values, y_pred=None, sample_weight=None):
        total, count = state
        values = jnp.asarray(values, jnp.float32)
        if sample_weight is None:
            return total + jnp.sum(values), count + values.size
        weight = jnp.asarray(sample_weight, jnp.float32)
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
        super().__init__(name=name or fn.__name__)
        self._fn = fn
        self._fn_kwargs = kwargs

    def update(self, state, y_true, y_pred, sample_weight=None):
        return super().update(state, self._fn(y_true, y_pred, **self._fn_kwargs), None,
                              sample_weight)

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        Metric.update_state(self, y_true, y_pred, sample_weight)

    def get_config(self):
        return {"name": self.name, **self._fn_kwargs}


def accuracy(y_true, y_pred):
    y_true = losses_module._match_rank(y_true, y_pred)
    return jnp.mean((y_true == y_pred).astype(jnp.float32), axis=-1)


def binary_accuracy(y_true, y_pred, threshold: float = 0.5):
    y_true = losses_module._match_rank(y_true, y_pred)
    predicted = (y_pred > threshold).astype(y_true.dtype)
    return jnp.mean((predicted == y_true).astype(jnp.float32), axis=-1)


def _argmax(x):
    """`argmax` over the last axis (first index on ties), as two plain reductions.

    XLA:CPU runs `jnp.argmax` (a variadic reduction) several times slower
    than a max and a min; inside a training step that showed as a third of
    an MLP's epoch.
    """
    index = jnp.arange(x.shape[-1], dtype=jnp.int32)
    return jnp.min(jnp.where(x == jnp.max(x, -1, keepdims=True), index, x.shape[-1]), -1)


def categorical_accuracy(y_true, y_pred):
    return (_argmax(y_true) == _argmax(y_pred)).astype(jnp.float32)


def sparse_categorical_accuracy(y_true, y_pred):
    if y_true.ndim == y_pred.ndim:
        y_true = jnp.squeeze(y_true, -1)
    return (y_true.astype(jnp.int32) == _argmax(y_pred)).astype(jnp.float32)


def _wrapper(fn, default_name):
    class _Metric(MeanMetricWrapper):
        def __init__(self, name: str = default_name, dtype=None, **kwargs):
            super().__init__(fn, name=name, **kwargs)

    return _Metric


class Accuracy(_wrapper(accuracy, "accuracy")):
    """How often predictions equal targets exactly."""


class BinaryAccuracy(_wrapper(binary_accuracy, "binary_accuracy")):
    """How often `y_pred > threshold` equals the 0/1 target."""

    def __init__(self, name: str = "binary_accuracy", dtype=None, threshold: float = 0.5):
        super().__init__(name=name, threshold=threshold)


class CategoricalAccuracy(_wrapper(categorical_accuracy, "categorical_accuracy")):
    """How often the arg-max of the prediction matches the one-hot target."""


class SparseCategoricalAccuracy(_wrapper(sparse_categorical_accuracy,
                                         "sparse_categorical_accuracy")):
    """How often the arg-max of the prediction equals the integer label."""


class MeanSquaredError(_wrapper(losses_module.mean_squared_error, "mean_squared_error")):
    """The mean of squared errors."""


class MeanAbsoluteError(_wrapper(losses_module.mean_absolute_error, "mean_absolute_error")):
    """The mean of absolute errors."""


_CLASSES = {c.__name__: c for c in (Mean, Accuracy, BinaryAccuracy, CategoricalAccuracy,
                                    SparseCategoricalAccuracy, MeanSquaredError,
                                    MeanAbsoluteError)}
_NAMES: dict[str, Callable] = {
    "binary_accuracy": binary_accuracy,
    "categorical_accuracy": categorical_accuracy,
    "sparse_categorical_accuracy": sparse_categorical_accuracy,
    "mse": losses_module.mean_squared_error,
    "mean_squared_error": losses_module.mean_squared_error,
    "mae": losses_module.mean_absolute_error,
    "mean_absolute_error": losses_module.mean_absolute_error,
    "binary_crossentropy": losses_module.binary_crossentropy,
    "categorical_crossentropy": losses_module.categorical_crossentropy,
    "sparse_categorical_crossentropy": losses_module.sparse_categorical_crossentropy,
}


def get(identifier, loss=None, y_true_shape=None, y_pred_shape=None) -> Metric:
    """Resolve a metric from a `Metric`, a function or a name (any case).

    `'accuracy'`/`'acc'` become binary, sparse or categorical accuracy from
    the loss and the target and output shapes, as in Keras.
    """
    if isinstance(identifier, Metric):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Metric):
        return identifier()
    if isinstance(identifier, str):
        key = identifier.lower()
        if key in ("accuracy", "acc"):
            return _resolve_accuracy(identifier, loss, y_true_shape, y_pred_shape)
        if key in _NAMES:
            return MeanMetricWrapper(_NAMES[key], name=identifier)
        cls = {k.lower(): v for k, v in _CLASSES.items()}.get(key)
        if cls is not None:
            return cls()
    elif isinstance(identifier, dict) and identifier.get("class_name") in _CLASSES:
        return _CLASSES[identifier["class_name"]].from_config(identifier.get("config", {}))
    elif callable(identifier):
        return MeanMetricWrapper(identifier)
    raise ValueError(
        f"Unknown metric {identifier!r}. Expected a Metric, a function (y_true, y_pred), or "
        f"one of: accuracy, acc, {', '.join(sorted(_NAMES))}."
    )


def _resolve_accuracy(name, loss, y_true_shape, y_pred_shape) -> Metric:
    if isinstance(loss, losses_module.BinaryCrossentropy) or (y_pred_shape and y_pred_shape[-1] == 1):
        return BinaryAccuracy(name=name)
    if isinstance(loss, losses_module.SparseCategoricalCrossentropy):
        return SparseCategoricalAccuracy(name=name)
    if isinstance(loss, losses_module.CategoricalCrossentropy):
        return CategoricalAccuracy(name=name)
    if y_true_shape is not None and y_pred_shape is not None and (
            len(y_true_shape) < len(y_pred_shape) or y_true_shape[-1] == 1):
        return SparseCategoricalAccuracy(name=name)
    return CategoricalAccuracy(name=name)


def serialize(metric: Metric):
    if type(metric) in _CLASSES.values():
        return {"class_name": type(metric).__name__, "config": metric.get_config()}
    return None
