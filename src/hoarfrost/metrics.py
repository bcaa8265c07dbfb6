"""Metrics: running statistics with a pure core the engine jits.

A metric's state is a small pytree of arrays. The engine threads it through
the compiled step (`initial_state`, `update`, `compute`), so nothing syncs
with the host per step; the Keras stateful API (`update_state`, `result`,
`reset_state`) wraps the same functions for use outside `fit`.
"""

from __future__ import annotations

from typing import Any, Callable

import jax
import jax.numpy as jnp
import numpy as np

from hoarfrost import losses as losses_module
from hoarfrost import masking


def _zeros(shape):
    """A fresh float32 zero buffer on the device: a transfer, not an op to compile."""
    return jnp.asarray(np.zeros(shape, np.float32))


class Metric:
    """Base class of metrics.

    Args:
        name: the key of this metric in logs and `History`.
    """

    #: "up" when a larger value is better, "down" when smaller is; None when unknown.
    #: `EarlyStopping(mode="auto")` and friends read it, as in Keras.
    _direction: str | None = None

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
        return (_zeros(()), _zeros(()))

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
        if type(self)._direction is None:
            self._direction = _FN_DIRECTIONS.get(fn)

    def update(self, state, y_true, y_pred, sample_weight=None):
        # Masked entries of y_pred (padded timesteps) don't count, as in Keras.
        sample_weight = masking.metric_weights(sample_weight, masking.get_mask(y_pred))
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


def _wrapper(fn, default_name, **defaults):
    """A running-mean metric class of `fn`, taking `defaults`' keywords as Keras's does."""

    class _Metric(MeanMetricWrapper):
        def __init__(self, name: str = default_name, dtype=None, **kwargs):
            unknown = set(kwargs) - set(defaults)
            if unknown:
                raise TypeError(f"{type(self).__name__}: unexpected arguments {sorted(unknown)}.")
            super().__init__(fn, name=name, **{**defaults, **kwargs})

    return _Metric


class Accuracy(_wrapper(accuracy, "accuracy")):
    """How often predictions equal targets exactly."""

    _direction = "up"


class BinaryAccuracy(_wrapper(binary_accuracy, "binary_accuracy", threshold=0.5)):
    """How often `y_pred > threshold` equals the 0/1 target."""

    _direction = "up"

    def __init__(self, name: str = "binary_accuracy", dtype=None, threshold: float = 0.5):
        super().__init__(name=name, threshold=threshold)


class CategoricalAccuracy(_wrapper(categorical_accuracy, "categorical_accuracy")):
    """How often the arg-max of the prediction matches the one-hot target."""

    _direction = "up"


class SparseCategoricalAccuracy(_wrapper(sparse_categorical_accuracy,
                                         "sparse_categorical_accuracy")):
    """How often the arg-max of the prediction equals the integer label."""

    _direction = "up"


class MeanSquaredError(_wrapper(losses_module.mean_squared_error, "mean_squared_error")):
    """The mean of squared errors."""

    _direction = "down"


class MeanAbsoluteError(_wrapper(losses_module.mean_absolute_error, "mean_absolute_error")):
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


class MeanAbsolutePercentageError(_wrapper(
        losses_module.mean_absolute_percentage_error, "mean_absolute_percentage_error")):
    """The mean absolute percentage error."""

    _direction = "down"


class MeanSquaredLogarithmicError(_wrapper(
        losses_module.mean_squared_logarithmic_error, "mean_squared_logarithmic_error")):
    """The mean squared logarithmic error."""

    _direction = "down"


class LogCoshError(_wrapper(losses_module.log_cosh, "logcosh")):
    """The mean of log(cosh(error))."""

    _direction = "down"


class KLDivergence(_wrapper(losses_module.kl_divergence, "kl_divergence")):
    """The Kullback-Leibler divergence of y_pred from y_true."""

    _direction = "down"


class Poisson(_wrapper(losses_module.poisson, "poisson")):
    """The Poisson loss."""

    _direction = "down"


class Hinge(_wrapper(losses_module.hinge, "hinge")):
    """The hinge loss."""

    _direction = "down"


class SquaredHinge(_wrapper(losses_module.squared_hinge, "squared_hinge")):
    """The squared hinge loss."""

    _direction = "down"


class CategoricalHinge(_wrapper(losses_module.categorical_hinge, "categorical_hinge")):
    """The categorical hinge loss."""

    _direction = "down"


class CosineSimilarity(_wrapper(cosine_similarity, "cosine_similarity", axis=-1)):
    """The mean cosine similarity (1: same directions)."""

    _direction = "up"


class BinaryCrossentropy(_wrapper(
        losses_module.binary_crossentropy, "binary_crossentropy", from_logits=False,
        label_smoothing=0.0)):
    """The mean binary crossentropy."""

    _direction = "down"


class CategoricalCrossentropy(_wrapper(
        losses_module.categorical_crossentropy, "categorical_crossentropy", from_logits=False,
        label_smoothing=0.0, axis=-1)):
    """The mean categorical crossentropy (one-hot targets)."""

    _direction = "down"


class SparseCategoricalCrossentropy(_wrapper(
        losses_module.sparse_categorical_crossentropy, "sparse_categorical_crossentropy",
        from_logits=False, axis=-1)):
    """The mean sparse categorical crossentropy (integer targets)."""

    _direction = "down"


# --- top-k accuracies ------------------------------------------------------------------
def _in_top_k(targets, predictions, k: int):
    """Keras's `in_top_k`: the target's score is among the `k` largest (ties count in)."""
    at_label = jnp.take_along_axis(predictions, targets[..., None], axis=-1)
    at_label = jnp.where(jnp.isnan(at_label), -jnp.inf, at_label)  # NaN is never "large"
    rank = 1 + jnp.sum(predictions > at_label, axis=-1)
    return rank <= k


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


# --- confusion-matrix metrics (Precision, Recall, AUC) ----------------------------------
# A pure port of Keras's `metrics_utils.update_confusion_matrix_variables`: the same
# two code paths (bucketed for evenly spaced thresholds, compare-all otherwise), the
# same casts and the same order of operations, so results agree with Keras's.
EPSILON = 1e-7  # keras.backend.epsilon()
NEG_INF = -1e10


def _squeeze_or_expand(x1, x2, expand_rank_1: bool = True):
    """Keras's `squeeze_or_expand_to_same_rank` (when ranks differ by one)."""
    if x1.ndim == x2.ndim + 1 and x1.shape[-1] == 1:
        if x2.ndim == 1 and expand_rank_1:
            x2 = jnp.expand_dims(x2, -1)
        else:
            x1 = jnp.squeeze(x1, -1)
    if x2.ndim == x1.ndim + 1 and x2.shape[-1] == 1:
        if x1.ndim == 1 and expand_rank_1:
            x1 = jnp.expand_dims(x1, -1)
        else:
            x2 = jnp.squeeze(x2, -1)
    return x1, x2


def _divide_no_nan(x1, x2):
    safe = jnp.where(x2 == 0, 1, x2)
    return jnp.where(x2 == 0, 0, jnp.divide(x1, safe))


def _filter_top_k(x, k: int):
    """Keep the top-k values of the last axis; set the rest to NEG_INF."""
    _, index = jax.lax.top_k(x, k)
    mask = jnp.sum(jax.nn.one_hot(index, x.shape[-1], dtype=x.dtype), axis=-2)
    return x * mask + NEG_INF * (1 - mask)


def is_evenly_distributed_thresholds(thresholds) -> bool:
    """True for `[0, 1/(n-1), ..., 1]` (n >= 3): the bucketed update then applies."""
    n = len(thresholds)
    if n < 3:
        return False
    even = np.arange(n, dtype=np.float32) / (n - 1)
    return bool(np.allclose(thresholds, even, atol=EPSILON))


def _parse_thresholds(thresholds, default: float) -> list[float]:
    if thresholds is None:
        return [float(default)]
    values = list(thresholds) if isinstance(thresholds, (list, tuple, np.ndarray)) else [thresholds]
    invalid = [t for t in values if t is None or t < 0 or t > 1]
    if invalid:
        raise ValueError(f"Threshold values must be in [0, 1]. Received: {invalid}")
    return [float(t) for t in values]


def update_confusion_matrix(state: dict, y_true, y_pred, thresholds, *, evenly: bool,
                            top_k: int | None = None, class_id: int | None = None,
                            sample_weight=None, multi_label: bool = False,
                            label_weights=None) -> dict:
    """Add a batch to confusion counts `{"tp"|"fp"|"tn"|"fn": (num_thresholds[, labels])}`.

    Pure: returns the new counts (only the keys present in `state`).
    `y_pred > threshold` counts as positive; `y_true` is cast to bool.
    """
    y_true = jnp.asarray(y_true).astype(jnp.float32)
    y_pred = jnp.asarray(y_pred).astype(jnp.float32)
    with_epsilon = bool(thresholds[0] < 0.0 or thresholds[-1] > 1.0) if evenly else False
    thresholds = jnp.asarray(np.asarray(thresholds, np.float32))
    num_thresholds = thresholds.shape[0]
    y_pred, y_true = _squeeze_or_expand(y_pred, y_true)
    if sample_weight is not None:
        sample_weight = jnp.expand_dims(jnp.asarray(sample_weight).astype(jnp.float32), -1)
        _, sample_weight = _squeeze_or_expand(y_true, sample_weight, expand_rank_1=False)
    if top_k is not None:
        y_pred = _filter_top_k(y_pred, top_k)
    if class_id is not None:
        if y_pred.ndim == 1:
            raise ValueError("When class_id is provided, y_pred must be a 2D array with shape "
                             f"(num_samples, num_classes), found shape: {y_pred.shape}")
        y_true = y_true[..., class_id, None]
        y_pred = y_pred[..., class_id, None]
    if evenly:
        return _update_bucketed(state, y_true, y_pred, num_thresholds, multi_label,
                                sample_weight, label_weights, with_epsilon)
    return _update_compare(state, y_true, y_pred, thresholds, multi_label, sample_weight,
                           label_weights)


def _update_bucketed(state, y_true, y_pred, num_thresholds, multi_label, sample_weight,
                     label_weights, with_epsilon):
    """O(T + N): bucket each prediction, then a reversed cumulative sum (Keras's path)."""
    if sample_weight is None:
        sample_weight = 1.0
    else:
        sample_weight = jnp.broadcast_to(sample_weight.astype(y_pred.dtype), y_pred.shape)
        if not multi_label:
            sample_weight = sample_weight.reshape(-1)
    if label_weights is None:
        label_weights = 1.0
    else:
        label_weights = jnp.broadcast_to(jnp.expand_dims(jnp.asarray(label_weights, jnp.float32),
                                                         0), y_pred.shape)
        if not multi_label:
            label_weights = label_weights.reshape(-1)
    weights = jnp.asarray(jnp.multiply(sample_weight, label_weights)).astype(y_true.dtype)
    y_pred = jnp.clip(y_pred, 0.0, 1.0)
    y_true = y_true.astype(bool).astype(y_true.dtype)
    if not multi_label:
        y_true = y_true.reshape(-1)
        y_pred = y_pred.reshape(-1)
    true_labels = y_true * weights
    false_labels = (1.0 - y_true) * weights
    buckets = jnp.ceil(y_pred * (jnp.asarray(num_thresholds, y_pred.dtype) - 1)) - 1
    if with_epsilon:
        buckets = jax.nn.relu(buckets)
    buckets = buckets.astype(jnp.int32)

    def segment_sum(data, ids):
        return jax.ops.segment_sum(data, ids, num_thresholds, indices_are_sorted=False)

    if multi_label:
        true_labels, false_labels, buckets = true_labels.T, false_labels.T, buckets.T
        tp_buckets = jax.vmap(segment_sum)(true_labels, buckets)
        fp_buckets = jax.vmap(segment_sum)(false_labels, buckets)
        tp = jnp.flip(jnp.cumsum(jnp.flip(tp_buckets), axis=1)).T
        fp = jnp.flip(jnp.cumsum(jnp.flip(fp_buckets), axis=1)).T
        total_true, total_false = jnp.sum(true_labels, axis=1), jnp.sum(false_labels, axis=1)
    else:
        tp = jnp.flip(jnp.cumsum(jnp.flip(segment_sum(true_labels, buckets))))
        fp = jnp.flip(jnp.cumsum(jnp.flip(segment_sum(false_labels, buckets))))
        total_true, total_false = jnp.sum(true_labels), jnp.sum(false_labels)
    new = dict(state)
    if "tp" in state:
        new["tp"] = state["tp"] + tp
    if "fp" in state:
        new["fp"] = state["fp"] + fp
    if "tn" in state:
        new["tn"] = state["tn"] + (total_false - fp)
    if "fn" in state:
        new["fn"] = state["fn"] + (total_true - tp)
    return new


def _update_compare(state, y_true, y_pred, thresholds, multi_label, sample_weight,
                    label_weights):
    """O(T * N): compare every prediction with every threshold (Keras's general path)."""
    num_thresholds = thresholds.shape[0]
    if multi_label:
        predictions = y_pred[None]
        labels = y_true.astype(bool)[None]
        thresholds = thresholds.reshape(num_thresholds, 1, 1)
        flat_shape = (1,) + tuple(y_pred.shape)
    else:
        predictions = y_pred.reshape(1, -1)
        labels = y_true.astype(bool).reshape(1, -1)
        thresholds = thresholds.reshape(num_thresholds, 1)
        flat_shape = (1, -1)
    pred_is_pos = predictions > thresholds
    weights = None
    if sample_weight is not None:
        weights = jnp.broadcast_to(sample_weight.astype(y_pred.dtype),
                                   y_pred.shape).reshape(flat_shape)
    if label_weights is not None and not multi_label:
        lw = jnp.broadcast_to(jnp.expand_dims(jnp.asarray(label_weights, jnp.float32), 0),
                              y_pred.shape).reshape(flat_shape)
        weights = lw if weights is None else weights * lw

    def count(label, pred):
        both = jnp.logical_and(label, pred)
        if weights is None:
            return jnp.sum(both.astype(jnp.float32), 1)
        return jnp.sum(jnp.where(both, weights.astype(jnp.float32), 0), 1)

    new = dict(state)
    pred_is_neg = jnp.logical_not(pred_is_pos)
    label_is_neg = jnp.logical_not(labels)
    if "tp" in state:
        new["tp"] = state["tp"] + count(labels, pred_is_pos)
    if "fn" in state:
        new["fn"] = state["fn"] + count(labels, pred_is_neg)
    if "fp" in state:
        new["fp"] = state["fp"] + count(label_is_neg, pred_is_pos)
    if "tn" in state:
        new["tn"] = state["tn"] + count(label_is_neg, pred_is_neg)
    return new


class _ConfusionMetric(Metric):
    """Precision and Recall: counts at one or more thresholds, or within the top k."""

    _direction = "up"
    _counts: tuple[str, str] = ("tp", "fp")

    def __init__(self, thresholds=None, top_k: int | None = None, class_id: int | None = None,
                 name: str | None = None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds = thresholds
        self.top_k = top_k
        self.class_id = class_id
        self.thresholds = _parse_thresholds(thresholds, 0.5 if top_k is None else NEG_INF)
        self._evenly = is_evenly_distributed_thresholds(self.thresholds)

    def initial_state(self):
        # Distinct buffers: the engine donates metric states to the compiled step.
        return {key: _zeros((len(self.thresholds),)) for key in self._counts}

    def update(self, state, y_true, y_pred, sample_weight=None):
        return update_confusion_matrix(state, y_true, y_pred, self.thresholds,
                                       evenly=self._evenly, top_k=self.top_k,
                                       class_id=self.class_id, sample_weight=sample_weight)

    def compute(self, state):
        a, b = (state[key] for key in self._counts)
        result = _divide_no_nan(a, a + b)
        return result[0] if len(self.thresholds) == 1 else result

    def get_config(self):
        return {"name": self.name, "thresholds": self.init_thresholds, "top_k": self.top_k,
                "class_id": self.class_id}


class Precision(_ConfusionMetric):
    """True positives over predicted positives (`y_pred > thresholds`, default 0.5).

    Args:
        thresholds: a float or a list of floats in [0, 1]; one result per threshold.
        top_k: count only the `k` highest predictions of each sample as positive.
        class_id: compute the metric for this class (last axis) only.
    """

    _counts = ("tp", "fp")


class Recall(_ConfusionMetric):
    """True positives over actual positives (`y_pred > thresholds`, default 0.5).

    Args: as `Precision`.
    """

    _counts = ("tp", "fn")


class _CountMetric(_ConfusionMetric):
    """A weighted count of one cell of the confusion matrix, at one or more thresholds."""

    def __init__(self, thresholds=None, name: str | None = None, dtype=None):
        super().__init__(thresholds=thresholds, name=name, dtype=dtype)

    def compute(self, state):
        (counts,) = state.values()
        return counts[0] if len(self.thresholds) == 1 else counts

    def get_config(self):
        return {"name": self.name, "thresholds": self.init_thresholds}


class TruePositives(_CountMetric):
    """The (weighted) number of positives predicted positive (`y_pred > thresholds`)."""

    _counts, _direction = ("tp",), "up"


class FalsePositives(_CountMetric):
    """The (weighted) number of negatives predicted positive."""

    _counts, _direction = ("fp",), "down"


class TrueNegatives(_CountMetric):
    """The (weighted) number of negatives predicted negative."""

    _counts, _direction = ("tn",), "up"


class FalseNegatives(_CountMetric):
    """The (weighted) number of positives predicted negative."""

    _counts, _direction = ("fn",), "down"


_AUC_CURVES = {"roc": "ROC", "pr": "PR", "prgain": "PRGAIN"}
_AUC_SUMMATIONS = ("interpolation", "majoring", "minoring")


class AUC(Metric):
    """Area under the ROC (default) or PR curve, by Keras's Riemann sum over thresholds.

    Counts are accumulated in `num_thresholds` buckets on the device; the
    area is interpolated between them exactly as Keras does (mid-point for
    ROC, Davis & Goadrich's interpolation for PR).

    Args:
        num_thresholds: thresholds evenly spaced over [0, 1] (with an epsilon
            below 0 and above 1), > 1.
        curve: `"ROC"`, `"PR"` or `"PRGAIN"`.
        summation_method: `"interpolation"`, `"minoring"` or `"majoring"`.
        thresholds: explicit thresholds in [0, 1] instead of `num_thresholds`.
        multi_label: one AUC per label, averaged (needs `num_labels` inside
            `compile()`, where the state is created before any data is seen).
        num_labels: the number of labels with `multi_label=True`.
        label_weights: weights of the labels (per-label AUCs with
            `multi_label`, the flattened predictions otherwise).
        from_logits: apply a sigmoid to the predictions first.
    """

    _direction = "up"

    def __init__(self, num_thresholds: int = 200, curve: str = "ROC",
                 summation_method: str = "interpolation", name: str | None = None, dtype=None,
                 thresholds=None, multi_label: bool = False, num_labels: int | None = None,
                 label_weights=None, from_logits: bool = False):
        super().__init__(name=name or "auc", dtype=dtype)
        curve_key = str(curve).lower()
        if curve_key not in _AUC_CURVES:
            raise ValueError(f'Invalid AUC curve value: "{curve}". Expected values are '
                             '["PR", "ROC", "PRGAIN"].')
        if str(summation_method).lower() not in _AUC_SUMMATIONS:
            raise ValueError(f'Invalid AUC summation method value: "{summation_method}". '
                             'Expected values are ["interpolation", "majoring", "minoring"].')
        self.curve = _AUC_CURVES[curve_key]
        self.summation_method = str(summation_method).lower()
        self._init_from_thresholds = thresholds is not None
        if thresholds is not None:
            self.num_thresholds = len(thresholds) + 2
            thresholds = sorted(float(t) for t in thresholds)
            self._evenly = is_evenly_distributed_thresholds(
                np.array([0.0] + thresholds + [1.0]))
        else:
            if num_thresholds <= 1:
                raise ValueError("Argument `num_thresholds` must be an integer > 1. "
                                 f"Received: num_thresholds={num_thresholds}")
            self.num_thresholds = int(num_thresholds)
            thresholds = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
            self._evenly = True
        self._thresholds = np.array([0.0 - EPSILON] + thresholds + [1.0 + EPSILON])
        if not multi_label and num_labels:
            raise ValueError("`num_labels` is needed only when `multi_label` is True.")
        self.multi_label = bool(multi_label)
        self.num_labels = num_labels
        self._num_labels = num_labels
        self.label_weights = (None if label_weights is None
                              else jnp.asarray(label_weights, jnp.float32))
        self._from_logits = bool(from_logits)

    @property
    def thresholds(self) -> list[float]:
        return list(self._thresholds)

    def initial_state(self):
        if self.multi_label:
            if self._num_labels is None:
                raise ValueError(
                    f'AUC "{self.name}": multi_label=True needs num_labels=... when used in '
                    "compile() (its counts are created before any data is seen); e.g. "
                    "AUC(multi_label=True, num_labels=5)."
                )
            shape = (self.num_thresholds, int(self._num_labels))
        else:
            shape = (self.num_thresholds,)
        # Distinct buffers: the engine donates metric states to the compiled step.
        return {key: _zeros(shape) for key in ("tp", "fp", "tn", "fn")}

    def update(self, state, y_true, y_pred, sample_weight=None):
        y_pred = jnp.asarray(y_pred)
        if self.multi_label and y_pred.ndim != 2:
            raise ValueError("`y_pred` must have rank 2 when `multi_label=True`. Found rank "
                             f"{y_pred.ndim}. Full shape received for `y_pred`: {y_pred.shape}")
        if self._from_logits:
            y_pred = jax.nn.sigmoid(y_pred)
        return update_confusion_matrix(
            state, y_true, y_pred, self._thresholds, evenly=self._evenly,
            sample_weight=sample_weight, multi_label=self.multi_label,
            label_weights=None if self.multi_label else self.label_weights)

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        if self._state is None and self.multi_label and self._num_labels is None:
            self._num_labels = int(np.shape(y_pred)[-1])  # built from the first batch
        super().update_state(y_true, y_pred, sample_weight)

    def _average(self, by_label):
        if self.label_weights is None:
            return jnp.mean(by_label)
        return _divide_no_nan(jnp.sum(by_label * self.label_weights),
                              jnp.sum(self.label_weights))

    def _interpolate_pr_auc(self, s):
        n = self.num_thresholds
        tp, fp, fn = s["tp"], s["fp"], s["fn"]
        dtp = tp[: n - 1] - tp[1:]
        p = tp + fp
        dp = p[: n - 1] - p[1:]
        prec_slope = _divide_no_nan(dtp, jnp.maximum(dp, 0))
        intercept = tp[1:] - prec_slope * p[1:]
        safe_p_ratio = jnp.where(jnp.logical_and(p[: n - 1] > 0, p[1:] > 0),
                                 _divide_no_nan(p[: n - 1], jnp.maximum(p[1:], 0)),
                                 jnp.ones_like(p[1:]))
        increment = _divide_no_nan(prec_slope * (dtp + intercept * jnp.log(safe_p_ratio)),
                                   jnp.maximum(tp[1:] + fn[1:], 0))
        if self.multi_label:
            return self._average(jnp.sum(increment, axis=0))
        return jnp.sum(increment)

    def compute(self, state):
        n = self.num_thresholds
        tp, fp, tn, fn = state["tp"], state["fp"], state["tn"], state["fn"]
        if self.curve == "PR" and self.summation_method == "interpolation":
            return self._interpolate_pr_auc(state)
        recall = _divide_no_nan(tp, tp + fn)
        if self.curve == "ROC":
            x, y = _divide_no_nan(fp, fp + tn), recall
        elif self.curve == "PR":
            x, y = recall, _divide_no_nan(tp, tp + fp)
        else:  # PRGAIN
            scaling = _divide_no_nan(tp + fn, tn + fp)
            recall_gain = 1.0 - scaling * _divide_no_nan(fn, tp)
            precision_gain = 1.0 - scaling * _divide_no_nan(fp, tp)
            recall_gain = jnp.where(tp == 0.0, 0.0, recall_gain)
            precision_gain = jnp.where(tp == 0.0, 1.0, precision_gain)
            x, y = jnp.maximum(recall_gain, 0.0), precision_gain
        if self.summation_method == "interpolation":
            heights = (y[: n - 1] + y[1:]) / 2.0
        elif self.summation_method == "minoring":
            heights = jnp.minimum(y[: n - 1], y[1:])
        else:
            heights = jnp.maximum(y[: n - 1], y[1:])
        terms = (x[: n - 1] - x[1:]) * heights
        if self.multi_label:
            return self._average(jnp.sum(terms, axis=0))
        return jnp.sum(terms)

    def get_config(self):
        config = {
            "name": self.name, "num_thresholds": self.num_thresholds, "curve": self.curve,
            "summation_method": self.summation_method, "multi_label": self.multi_label,
            "num_labels": self.num_labels, "from_logits": self._from_logits,
            "label_weights": (None if self.label_weights is None
                              else np.asarray(self.label_weights).tolist()),
        }
        if self._init_from_thresholds:
            config["thresholds"] = self.thresholds[1:-1]
        return config


_CLASSES = {c.__name__: c for c in (Mean, Accuracy, BinaryAccuracy, CategoricalAccuracy,
                                    SparseCategoricalAccuracy, MeanSquaredError,
                                    MeanAbsoluteError, TopKCategoricalAccuracy,
                                    SparseTopKCategoricalAccuracy, Precision, Recall, AUC,
                                    RootMeanSquaredError, MeanAbsolutePercentageError,
                                    MeanSquaredLogarithmicError, LogCoshError, KLDivergence,
                                    Poisson, Hinge, SquaredHinge, CategoricalHinge,
                                    CosineSimilarity, BinaryCrossentropy, CategoricalCrossentropy,
                                    SparseCategoricalCrossentropy, TruePositives,
                                    FalsePositives, TrueNegatives, FalseNegatives)}
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
    "mape": losses_module.mean_absolute_percentage_error,
    "mean_absolute_percentage_error": losses_module.mean_absolute_percentage_error,
    "msle": losses_module.mean_squared_logarithmic_error,
    "mean_squared_logarithmic_error": losses_module.mean_squared_logarithmic_error,
    "kld": losses_module.kl_divergence, "kl_divergence": losses_module.kl_divergence,
    "logcosh": losses_module.log_cosh, "poisson": losses_module.poisson,
    "hinge": losses_module.hinge, "squared_hinge": losses_module.squared_hinge,
    "categorical_hinge": losses_module.categorical_hinge,
    "cosine_similarity": cosine_similarity,
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
        if identifier in _CLASSES:  # a class name as written ("Poisson"), as in Keras
            return _CLASSES[identifier]()
        if key in _NAMES:
            return MeanMetricWrapper(_NAMES[key], name=identifier)
        cls = _class_names().get(key)
        if cls is not None:
            return cls()
    elif isinstance(identifier, dict) and identifier.get("class_name") in _CLASSES:
        return _CLASSES[identifier["class_name"]].from_config(identifier.get("config", {}))
    elif callable(identifier):
        return MeanMetricWrapper(identifier)
    from hoarfrost.naming import to_snake_case
    names = sorted(set(_NAMES) | {to_snake_case(k) for k in _CLASSES} | {"auc"})
    raise ValueError(
        f"Unknown metric {identifier!r}. Expected a Metric, a function (y_true, y_pred), or "
        f"one of: accuracy, acc, {', '.join(n for n in names if n not in ('accuracy', 'acc'))}."
    )


def _class_names() -> dict[str, type]:
    """Classes by lower-case name (`'auc'`, `'meansquarederror'`) and snake case
    (`'top_k_categorical_accuracy'`), as Keras's `metrics.get` accepts them."""
    from hoarfrost.naming import to_snake_case
    table = {k.lower(): v for k, v in _CLASSES.items()}
    table.update({to_snake_case(k): v for k, v in _CLASSES.items()})
    return table


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


_FN_DIRECTIONS: dict[Callable, str] = {
    accuracy: "up", binary_accuracy: "up", categorical_accuracy: "up",
    sparse_categorical_accuracy: "up", top_k_categorical_accuracy: "up",
    sparse_top_k_categorical_accuracy: "up",
    losses_module.mean_squared_error: "down", losses_module.mean_absolute_error: "down",
    losses_module.binary_crossentropy: "down", losses_module.categorical_crossentropy: "down",
    losses_module.sparse_categorical_crossentropy: "down",
}
