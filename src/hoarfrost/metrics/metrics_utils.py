"""Confusion-matrix counting, a pure port of Keras's `metrics_utils`.

`update_confusion_matrix` is Keras's `update_confusion_matrix_variables`: the
same two code paths (bucketed for evenly spaced thresholds, compare-all
otherwise), the same casts and the same order of operations, so results
agree with Keras's.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from hoarfrost.losses import squeeze_or_expand_to_same_rank


EPSILON = 1e-7  # keras.backend.epsilon()
NEG_INF = -1e10


def divide_no_nan(x1, x2):
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


def parse_thresholds(thresholds, default: float) -> list[float]:
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
    y_pred, y_true = squeeze_or_expand_to_same_rank(y_pred, y_true)
    if sample_weight is not None:
        sample_weight = jnp.expand_dims(jnp.asarray(sample_weight).astype(jnp.float32), -1)
        _, sample_weight = squeeze_or_expand_to_same_rank(y_true, sample_weight, expand_rank_1=False)
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
