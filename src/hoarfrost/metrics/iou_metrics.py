"""Intersection-over-union metrics: `IoU`, `MeanIoU`, `BinaryIoU` and the one-hot forms.

Each keeps Keras's `total_confusion_matrix` (rows: targets, columns:
predictions; int32 by default) and computes the IoU of the target classes
from it, `TP / (TP + FP + FN)`, averaged over the classes that occur.
"""

from __future__ import annotations

import warnings

import jax.numpy as jnp

from hoarfrost.metrics.metric import Metric
from hoarfrost.metrics.metrics_utils import EPSILON


def confusion_matrix(labels, predictions, num_classes: int, weights=None, dtype="int32"):
    """The `(num_classes, num_classes)` confusion matrix of flat labels and predictions
    (Keras's `metrics_utils.confusion_matrix`): entry `[i, j]` sums the weights of
    samples of class `i` predicted as `j`."""
    labels = jnp.asarray(labels).astype(jnp.int32)
    predictions = jnp.asarray(predictions).astype(jnp.int32)
    values = (jnp.ones_like(predictions, dtype) if weights is None
              else jnp.asarray(weights).astype(dtype))
    matrix = jnp.zeros((int(num_classes), int(num_classes)), dtype)
    return matrix.at[labels, predictions].add(values)


class _IoUBase(Metric):
    """The confusion matrix shared by the IoU metrics."""

    _direction = "up"

    def __init__(self, num_classes: int, name: str | None = None, dtype=None,
                 ignore_class: int | None = None, sparse_y_true: bool = True,
                 sparse_y_pred: bool = True, axis: int = -1):
        super().__init__(name=name, dtype=dtype or "int32")
        self.num_classes = num_classes
        self.ignore_class = ignore_class
        self.sparse_y_true = sparse_y_true
        self.sparse_y_pred = sparse_y_pred
        self.axis = axis
        self.total_cm = self.add_variable(shape=(num_classes, num_classes), initializer="zeros",
                                          dtype=self.dtype, name="total_confusion_matrix")

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        """Add a batch: class ids (or one-hot / probabilities where not sparse)."""
        if not self.sparse_y_true:
            y_true = jnp.argmax(jnp.asarray(y_true), axis=self.axis)
        if not self.sparse_y_pred:
            y_pred = jnp.argmax(jnp.asarray(y_pred), axis=self.axis)
        y_true = jnp.asarray(y_true).astype(self.dtype).reshape(-1)
        y_pred = jnp.asarray(y_pred).astype(self.dtype).reshape(-1)
        if sample_weight is None:
            sample_weight = 1
        elif (hasattr(sample_weight, "dtype") and "float" in str(sample_weight.dtype)
              and "int" in self.dtype):
            warnings.warn("You are passing weight as `float`, but dtype is `int`. This may "
                          "result in an incorrect weight due to type casting Consider using "
                          "integer weights.", stacklevel=2)
        sample_weight = jnp.asarray(sample_weight).astype(self.dtype)
        if sample_weight.ndim > 1:
            sample_weight = sample_weight.reshape(-1)
        sample_weight = jnp.broadcast_to(sample_weight, y_true.shape)
        in_bounds = ((y_true >= 0) & (y_true < self.num_classes)
                     & (y_pred >= 0) & (y_pred < self.num_classes))
        if self.ignore_class is not None:
            in_bounds = in_bounds & (y_true != self.ignore_class)
        y_true = jnp.where(in_bounds, y_true, 0)
        y_pred = jnp.where(in_bounds, y_pred, 0)
        sample_weight = jnp.where(in_bounds, sample_weight, 0).astype(self.dtype)
        current = confusion_matrix(y_true, y_pred, self.num_classes, weights=sample_weight,
                                   dtype=self.dtype)
        self.total_cm.assign(self.total_cm.value + current)

    def reset_state(self) -> None:
        self.total_cm.assign(jnp.zeros(self.total_cm.shape, self.total_cm.dtype))


class IoU(_IoUBase):
    """The IoU of the classes `target_class_ids`, averaged over those that occur.

    Args:
        num_classes: the number of classes (the confusion matrix is square of it).
        target_class_ids: the classes to average the IoU over.
        name: the metric's name.
        dtype: the dtype of the confusion matrix (int32 by default).
        ignore_class: a class id whose targets are not counted.
        sparse_y_true: targets are class ids (else one-hot, argmax over `axis`).
        sparse_y_pred: predictions are class ids (else scores, argmax over `axis`).
        axis: the class axis for the argmax of non-sparse inputs.
    """

    def __init__(self, num_classes: int, target_class_ids, name: str | None = None, dtype=None,
                 ignore_class: int | None = None, sparse_y_true: bool = True,
                 sparse_y_pred: bool = True, axis: int = -1):
        super().__init__(name=name, num_classes=num_classes, ignore_class=ignore_class,
                         sparse_y_true=sparse_y_true, sparse_y_pred=sparse_y_pred, axis=axis,
                         dtype=dtype)
        if max(target_class_ids) >= num_classes:
            raise ValueError(f"Target class id {max(target_class_ids)} is out of range, which is "
                             f"[0, {num_classes}).")
        self.target_class_ids = list(target_class_ids)

    def result(self):
        total = self.total_cm.value
        sum_over_row = jnp.sum(total, axis=0).astype(self.dtype)
        sum_over_col = jnp.sum(total, axis=1).astype(self.dtype)
        true_positives = jnp.diag(total).astype(self.dtype)
        denominator = sum_over_row + sum_over_col - true_positives
        ids = jnp.asarray(self.target_class_ids, jnp.int32)
        true_positives = true_positives[ids].astype(jnp.float32)
        denominator = denominator[ids].astype(jnp.float32)
        valid = (denominator > 1e-9).astype(jnp.float32)
        iou = jnp.where(valid.astype(bool), true_positives / (denominator + EPSILON), 0.0)
        return jnp.sum(iou, axis=self.axis) / (jnp.sum(valid) + EPSILON)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "num_classes": self.num_classes,
                "target_class_ids": self.target_class_ids, "ignore_class": self.ignore_class,
                "sparse_y_true": self.sparse_y_true, "sparse_y_pred": self.sparse_y_pred,
                "axis": self.axis}


class BinaryIoU(IoU):
    """The IoU of binary targets and predictions thresholded at `threshold`.

    Args:
        target_class_ids: `(0,)`, `(1,)` or `(0, 1)` (the mean of both).
        threshold: predictions `>= threshold` count as class 1.
        name: the metric's name.
        dtype: the dtype of the confusion matrix.
    """

    def __init__(self, target_class_ids=(0, 1), threshold: float = 0.5,
                 name: str | None = None, dtype=None):
        super().__init__(num_classes=2, target_class_ids=target_class_ids, name=name,
                         dtype=dtype)
        self.threshold = threshold

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        y_true = jnp.asarray(y_true).astype(self.dtype)
        y_pred = (jnp.asarray(y_pred).astype(jnp.float32) >= self.threshold).astype(self.dtype)
        super().update_state(y_true, y_pred, sample_weight)

    def get_config(self):
        return {"target_class_ids": self.target_class_ids, "threshold": self.threshold,
                "name": self.name, "dtype": self.dtype}


class MeanIoU(IoU):
    """The IoU averaged over all `num_classes` classes (those that occur).

    Args: as `IoU`, without `target_class_ids`.
    """

    def __init__(self, num_classes: int, name: str | None = None, dtype=None,
                 ignore_class: int | None = None, sparse_y_true: bool = True,
                 sparse_y_pred: bool = True, axis: int = -1):
        super().__init__(name=name, num_classes=num_classes,
                         target_class_ids=list(range(num_classes)), axis=axis, dtype=dtype,
                         ignore_class=ignore_class, sparse_y_true=sparse_y_true,
                         sparse_y_pred=sparse_y_pred)

    def get_config(self):
        return {"num_classes": self.num_classes, "name": self.name, "dtype": self.dtype,
                "ignore_class": self.ignore_class, "sparse_y_true": self.sparse_y_true,
                "sparse_y_pred": self.sparse_y_pred, "axis": self.axis}


class OneHotIoU(IoU):
    """`IoU` of one-hot targets and per-class scores (argmax over `axis`).

    Args: as `IoU`, without `sparse_y_true` (False).
    """

    def __init__(self, num_classes: int, target_class_ids, name: str | None = None, dtype=None,
                 ignore_class: int | None = None, sparse_y_pred: bool = False, axis: int = -1):
        super().__init__(num_classes=num_classes, target_class_ids=target_class_ids, name=name,
                         dtype=dtype, ignore_class=ignore_class, sparse_y_true=False,
                         sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self):
        return {"num_classes": self.num_classes, "target_class_ids": self.target_class_ids,
                "name": self.name, "dtype": self.dtype, "ignore_class": self.ignore_class,
                "sparse_y_pred": self.sparse_y_pred, "axis": self.axis}


class OneHotMeanIoU(MeanIoU):
    """`MeanIoU` of one-hot targets and per-class scores (argmax over `axis`).

    Args: as `MeanIoU`, without `sparse_y_true` (False).
    """

    def __init__(self, num_classes: int, name: str | None = None, dtype=None,
                 ignore_class: int | None = None, sparse_y_pred: bool = False, axis: int = -1):
        super().__init__(num_classes=num_classes, axis=axis, name=name, dtype=dtype,
                         ignore_class=ignore_class, sparse_y_true=False,
                         sparse_y_pred=sparse_y_pred)

    def get_config(self):
        return {"num_classes": self.num_classes, "name": self.name, "dtype": self.dtype,
                "ignore_class": self.ignore_class, "sparse_y_pred": self.sparse_y_pred,
                "axis": self.axis}
