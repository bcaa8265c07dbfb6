"""Accuracies: exact, binary, categorical, sparse categorical, and top-k."""

from __future__ import annotations

import jax.numpy as jnp

from hoarfrost import losses as losses_module
from hoarfrost.losses.loss import takes_arrays
from hoarfrost.metrics.reduction_metrics import (MeanMetricWrapper, mean_metric,
                                                 register_direction)


def accuracy(y_true, y_pred):
    y_true = losses_module._match_rank(y_true, y_pred)
    return jnp.mean((y_true == y_pred).astype(jnp.float32), axis=-1)


@takes_arrays
def binary_accuracy(y_true, y_pred, threshold: float = 0.5):
    """1.0 where `y_pred > threshold` matches `y_true`, element by element (as Keras's:
    no mean over the last axis; `BinaryAccuracy` averages)."""
    y_true, y_pred = losses_module.squeeze_or_expand_to_same_rank(y_true, y_pred)
    predicted = (y_pred > threshold).astype(y_true.dtype)
    return (predicted == y_true).astype(jnp.float32)


def _argmax(x):
    """`argmax` over the last axis (first index on ties), as two plain reductions.

    XLA:CPU runs `jnp.argmax` (a variadic reduction) several times slower
    than a max and a min; inside a training step that showed as a third of
    an MLP's epoch.
    """
    index = jnp.arange(x.shape[-1], dtype=jnp.int32)
    return jnp.min(jnp.where(x == jnp.max(x, -1, keepdims=True), index, x.shape[-1]), -1)


@takes_arrays
def categorical_accuracy(y_true, y_pred):
    return (_argmax(y_true) == _argmax(y_pred)).astype(jnp.float32)


@takes_arrays
def sparse_categorical_accuracy(y_true, y_pred):
    if y_true.ndim == y_pred.ndim:
        y_true = jnp.squeeze(y_true, -1)
    return (y_true.astype(jnp.int32) == _argmax(y_pred)).astype(jnp.float32)


class Accuracy(mean_metric(accuracy, "accuracy")):
    """How often predictions equal targets exactly."""

    _direction = "up"


class BinaryAccuracy(mean_metric(binary_accuracy, "binary_accuracy", threshold=0.5)):
    """How often `y_pred > threshold` equals the 0/1 target."""

    _direction = "up"

    def __init__(self, name: str = "binary_accuracy", dtype=None, threshold: float = 0.5):
        super().__init__(name=name, threshold=threshold)


class CategoricalAccuracy(mean_metric(categorical_accuracy, "categorical_accuracy")):
    """How often the arg-max of the prediction matches the one-hot target."""

    _direction = "up"


class SparseCategoricalAccuracy(mean_metric(sparse_categorical_accuracy,
                                         "sparse_categorical_accuracy")):
    """How often the arg-max of the prediction equals the integer label."""

    _direction = "up"


# --- top-k accuracies ------------------------------------------------------------------
def _in_top_k(targets, predictions, k: int):
    """Keras's `in_top_k`: the target's score is among the `k` largest (ties count in)."""
    at_label = jnp.take_along_axis(predictions, targets[..., None], axis=-1)
    at_label = jnp.where(jnp.isnan(at_label), -jnp.inf, at_label)  # NaN is never "large"
    rank = 1 + jnp.sum(predictions > at_label, axis=-1)
    return rank <= k


@takes_arrays
def top_k_categorical_accuracy(y_true, y_pred, k: int = 5):
    """1 where the arg-max of the one-hot `y_true` is among the `k` top scores."""
    y_pred = jnp.asarray(y_pred)
    y_true = _argmax(jnp.asarray(y_true).astype(y_pred.dtype))
    shape = y_true.shape
    if y_pred.ndim > 2:
        y_pred = y_pred.reshape(-1, y_pred.shape[-1])
    if y_true.ndim > 1:
        y_true = y_true.reshape(-1)
    matches = _in_top_k(y_true.astype(jnp.int32), y_pred, k).astype(jnp.float32)
    return matches.reshape(shape)


@takes_arrays
def sparse_top_k_categorical_accuracy(y_true, y_pred, k: int = 5, from_sorted_ids: bool = False):
    """1 where the integer label is among the `k` top scores (or the first `k` sorted ids)."""
    y_pred = jnp.asarray(y_pred)
    y_true = jnp.asarray(y_true).astype(y_pred.dtype if from_sorted_ids else jnp.int32)
    shape = y_true.shape
    if y_pred.ndim > 2:
        y_pred = y_pred.reshape(-1, y_pred.shape[-1])
    if y_true.ndim > 1:
        y_true = y_true.reshape(-1)
    if from_sorted_ids:
        matches = jnp.any(y_true[:, None] == y_pred[:, :k], axis=1)
    else:
        matches = _in_top_k(y_true, y_pred, k)
    return matches.astype(jnp.float32).reshape(shape)


class TopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the one-hot target is among the `k` highest predictions.

    Example:
        >>> m = TopKCategoricalAccuracy(k=1)
        >>> m.update_state([[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]])
        >>> float(m.result())
        0.5
    """

    _direction = "up"

    def __init__(self, k: int = 5, name: str = "top_k_categorical_accuracy", dtype=None):
        super().__init__(top_k_categorical_accuracy, name=name, k=k)
        self.k = k

    def get_config(self):
        return {"name": self.name, "k": self.k}


class SparseTopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the integer target is among the `k` highest predictions.

    With `from_sorted_ids=True`, `y_pred` holds class ids sorted by score
    (best first) instead of scores.
    """

    _direction = "up"

    def __init__(self, k: int = 5, name: str = "sparse_top_k_categorical_accuracy", dtype=None,
                 from_sorted_ids: bool = False):
        super().__init__(sparse_top_k_categorical_accuracy, name=name, k=k,
                         from_sorted_ids=from_sorted_ids)
        self.k = k
        self.from_sorted_ids = from_sorted_ids

    def get_config(self):
        config = {"name": self.name, "k": self.k}
        if self.from_sorted_ids:
            config["from_sorted_ids"] = True
        return config


for _fn in (accuracy, binary_accuracy, categorical_accuracy, sparse_categorical_accuracy,
            top_k_categorical_accuracy, sparse_top_k_categorical_accuracy):
    register_direction(_fn, "up")
