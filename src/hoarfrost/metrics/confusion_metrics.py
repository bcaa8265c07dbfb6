"""Confusion-matrix metrics: Precision, Recall, the four counts, AUC."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from hoarfrost.metrics.metric import Metric, zeros
from hoarfrost.metrics.metrics_utils import (EPSILON, NEG_INF, divide_no_nan,
                                             is_evenly_distributed_thresholds, parse_thresholds,
                                             update_confusion_matrix)


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
        self.thresholds = parse_thresholds(thresholds, 0.5 if top_k is None else NEG_INF)
        self._evenly = is_evenly_distributed_thresholds(self.thresholds)

    def initial_state(self):
        # Distinct buffers: the engine donates metric states to the compiled step.
        return {key: zeros((len(self.thresholds),)) for key in self._counts}

    def update(self, state, y_true, y_pred, sample_weight=None):
        return update_confusion_matrix(state, y_true, y_pred, self.thresholds,
                                       evenly=self._evenly, top_k=self.top_k,
                                       class_id=self.class_id, sample_weight=sample_weight)

    def compute(self, state):
        a, b = (state[key] for key in self._counts)
        result = divide_no_nan(a, a + b)
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
        super().__init__(name=name, dtype=dtype)
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

    def _state_known(self) -> bool:
        return not (self.multi_label and self._num_labels is None)

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
        return {key: zeros(shape) for key in ("tp", "fp", "tn", "fn")}

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
        return divide_no_nan(jnp.sum(by_label * self.label_weights),
                              jnp.sum(self.label_weights))

    def _interpolate_pr_auc(self, s):
        n = self.num_thresholds
        tp, fp, fn = s["tp"], s["fp"], s["fn"]
        dtp = tp[: n - 1] - tp[1:]
        p = tp + fp
        dp = p[: n - 1] - p[1:]
        prec_slope = divide_no_nan(dtp, jnp.maximum(dp, 0))
        intercept = tp[1:] - prec_slope * p[1:]
        safe_p_ratio = jnp.where(jnp.logical_and(p[: n - 1] > 0, p[1:] > 0),
                                 divide_no_nan(p[: n - 1], jnp.maximum(p[1:], 0)),
                                 jnp.ones_like(p[1:]))
        increment = divide_no_nan(prec_slope * (dtp + intercept * jnp.log(safe_p_ratio)),
                                   jnp.maximum(tp[1:] + fn[1:], 0))
        if self.multi_label:
            return self._average(jnp.sum(increment, axis=0))
        return jnp.sum(increment)

    def compute(self, state):
        n = self.num_thresholds
        tp, fp, tn, fn = state["tp"], state["fp"], state["tn"], state["fn"]
        if self.curve == "PR" and self.summation_method == "interpolation":
            return self._interpolate_pr_auc(state)
        recall = divide_no_nan(tp, tp + fn)
        if self.curve == "ROC":
            x, y = divide_no_nan(fp, fp + tn), recall
        elif self.curve == "PR":
            x, y = recall, divide_no_nan(tp, tp + fp)
        else:  # PRGAIN
            scaling = divide_no_nan(tp + fn, tn + fp)
            recall_gain = 1.0 - scaling * divide_no_nan(fn, tp)
            precision_gain = 1.0 - scaling * divide_no_nan(fp, tp)
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


class SensitivitySpecificityBase(Metric):
    """Counts at `num_thresholds` evenly spaced thresholds; the best of one rate where
    another meets a constraint (Keras's base of the four metrics below).

    Args:
        value: the constraint (a rate in [0, 1]).
        num_thresholds: thresholds evenly spaced over [0, 1] (1: just 0.5).
        class_id: compute the metric for this class (last axis) only.
        name: the metric's name.
        dtype: its dtype.
    """

    _direction = "up"

    def __init__(self, value: float, num_thresholds: int = 200, class_id: int | None = None,
                 name: str | None = None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        if num_thresholds <= 0:
            raise ValueError("Argument `num_thresholds` must be an integer > 0. Received: "
                             f"num_thresholds={num_thresholds}")
        self.value = value
        self.class_id = class_id
        if num_thresholds == 1:
            self.thresholds = [0.5]
            self._thresholds_distributed_evenly = False
        else:
            inner = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
            self.thresholds = [0.0] + inner + [1.0]
            self._thresholds_distributed_evenly = True
        n = len(self.thresholds)
        self.true_positives = self.add_variable(shape=(n,), name="true_positives")
        self.false_positives = self.add_variable(shape=(n,), name="false_positives")
        self.true_negatives = self.add_variable(shape=(n,), name="true_negatives")
        self.false_negatives = self.add_variable(shape=(n,), name="false_negatives")

    def _counts(self) -> dict:
        return {"tp": self.true_positives, "fp": self.false_positives,
                "tn": self.true_negatives, "fn": self.false_negatives}

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        counts = self._counts()
        new = update_confusion_matrix({k: v.value for k, v in counts.items()}, y_true, y_pred,
                                      self.thresholds,
                                      evenly=self._thresholds_distributed_evenly,
                                      class_id=self.class_id, sample_weight=sample_weight)
        for key, variable in counts.items():
            variable.assign(new[key])

    def _rates(self):
        tp, fp = self.true_positives.value, self.false_positives.value
        tn, fn = self.true_negatives.value, self.false_negatives.value
        return {"sensitivity": divide_no_nan(tp, tp + fn), "recall": divide_no_nan(tp, tp + fn),
                "specificity": divide_no_nan(tn, tn + fp),
                "precision": divide_no_nan(tp, tp + fp)}

    def _find_max_under_constraint(self, constrained, dependent):
        feasible = constrained >= self.value
        return jnp.max(jnp.where(feasible, dependent, 0), initial=0)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "class_id": self.class_id}


def _check_rate(argument: str, value: float) -> None:
    if value < 0 or value > 1:
        raise ValueError(f"Argument `{argument}` must be in the range [0, 1]. Received: "
                         f"{argument}={value}")


class SensitivityAtSpecificity(SensitivitySpecificityBase):
    """The best sensitivity (recall) at a threshold where specificity >= `specificity`.

    Args: `specificity` (in [0, 1]), then as `SensitivitySpecificityBase`.
    """

    def __init__(self, specificity: float, num_thresholds: int = 200,
                 class_id: int | None = None, name: str | None = None, dtype=None):
        _check_rate("specificity", specificity)
        self.specificity = specificity
        self.num_thresholds = num_thresholds
        super().__init__(specificity, num_thresholds=num_thresholds, class_id=class_id,
                         name=name, dtype=dtype)

    def result(self):
        rates = self._rates()
        return self._find_max_under_constraint(rates["specificity"], rates["sensitivity"])

    def get_config(self):
        return {**super().get_config(), "num_thresholds": self.num_thresholds,
                "specificity": self.specificity}


class SpecificityAtSensitivity(SensitivitySpecificityBase):
    """The best specificity at a threshold where sensitivity >= `sensitivity`.

    Args: `sensitivity` (in [0, 1]), then as `SensitivitySpecificityBase`.
    """

    def __init__(self, sensitivity: float, num_thresholds: int = 200,
                 class_id: int | None = None, name: str | None = None, dtype=None):
        _check_rate("sensitivity", sensitivity)
        self.sensitivity = sensitivity
        self.num_thresholds = num_thresholds
        super().__init__(sensitivity, num_thresholds=num_thresholds, class_id=class_id,
                         name=name, dtype=dtype)

    def result(self):
        rates = self._rates()
        return self._find_max_under_constraint(rates["sensitivity"], rates["specificity"])

    def get_config(self):
        return {**super().get_config(), "num_thresholds": self.num_thresholds,
                "sensitivity": self.sensitivity}


class PrecisionAtRecall(SensitivitySpecificityBase):
    """The best precision at a threshold where recall >= `recall`.

    Args: `recall` (in [0, 1]), then as `SensitivitySpecificityBase`.
    """

    def __init__(self, recall: float, num_thresholds: int = 200, class_id: int | None = None,
                 name: str | None = None, dtype=None):
        _check_rate("recall", recall)
        self.recall = recall
        self.num_thresholds = num_thresholds
        super().__init__(value=recall, num_thresholds=num_thresholds, class_id=class_id,
                         name=name, dtype=dtype)

    def result(self):
        rates = self._rates()
        return self._find_max_under_constraint(rates["recall"], rates["precision"])

    def get_config(self):
        return {**super().get_config(), "num_thresholds": self.num_thresholds,
                "recall": self.recall}


class RecallAtPrecision(SensitivitySpecificityBase):
    """The best recall at a threshold where precision >= `precision`.

    Args: `precision` (in [0, 1]), then as `SensitivitySpecificityBase`.
    """

    def __init__(self, precision: float, num_thresholds: int = 200,
                 class_id: int | None = None, name: str | None = None, dtype=None):
        _check_rate("precision", precision)
        self.precision = precision
        self.num_thresholds = num_thresholds
        super().__init__(value=precision, num_thresholds=num_thresholds, class_id=class_id,
                         name=name, dtype=dtype)

    def result(self):
        rates = self._rates()
        return self._find_max_under_constraint(rates["precision"], rates["recall"])

    def get_config(self):
        return {**super().get_config(), "num_thresholds": self.num_thresholds,
                "precision": self.precision}
