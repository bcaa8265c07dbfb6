"""Losses with Keras's names and formulas: squared, absolute, crossentropy, hinge, ...

Each function returns one value per sample; each class wraps its function in
a `Loss` that reduces the values with sample weights.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from hoarfrost import config, masking
from hoarfrost.losses.loss import (LossFunctionWrapper, _batched, _match_rank,
                                   register_builtin, takes_arrays)

@takes_arrays
def mean_squared_error(y_true, y_pred):
    y_true = _match_rank(y_true, y_pred).astype(y_pred.dtype)
    return jnp.mean(jnp.square(y_pred - y_true), axis=-1)


@takes_arrays
def mean_absolute_error(y_true, y_pred):
    y_true = _match_rank(y_true, y_pred).astype(y_pred.dtype)
    return jnp.mean(jnp.abs(y_pred - y_true), axis=-1)


@takes_arrays
def binary_crossentropy(y_true, y_pred, from_logits: bool = False, label_smoothing: float = 0.0,
                        axis: int = -1):
    """Per-element binary crossentropy, averaged over `axis` (Keras's)."""
    y_true = _match_rank(y_true, y_pred).astype(y_pred.dtype)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    if from_logits:
        values = jnp.maximum(y_pred, 0) - y_pred * y_true + jnp.log1p(jnp.exp(-jnp.abs(y_pred)))
    else:
        p = jnp.clip(y_pred, config.epsilon(), 1.0 - config.epsilon())
        values = -(y_true * jnp.log(p) + (1.0 - y_true) * jnp.log(1.0 - p))
    return jnp.mean(values, axis=axis)


@takes_arrays
def categorical_crossentropy(y_true, y_pred, from_logits: bool = False,
                             label_smoothing: float = 0.0, axis: int = -1):
    y_true = y_true.astype(y_pred.dtype)
    if label_smoothing:
        classes = y_pred.shape[axis]
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / classes
    if from_logits:
        return -jnp.sum(y_true * jax.nn.log_softmax(y_pred, axis=axis), axis=axis)
    p = y_pred / jnp.sum(y_pred, axis=axis, keepdims=True)
    p = jnp.clip(p, config.epsilon(), 1.0 - config.epsilon())
    return -jnp.sum(y_true * jnp.log(p), axis=axis)


@takes_arrays
def sparse_categorical_crossentropy(y_true, y_pred, from_logits: bool = False,
                                    ignore_class: int | None = None, axis: int = -1):
    """Crossentropy of integer labels; one value per element, the class `axis` removed.

    With `ignore_class`, labels equal to it give 0 and are masked (the mask rides on
    the result, as Keras's `_keras_mask`), so a `Loss` averages over the other
    elements only. (Keras zeroes the ignored predictions, which makes NaN gradients
    for probabilities; here they are replaced by a finite constant: same values.)
    """
    y_true = jnp.asarray(y_true)
    if y_true.ndim == y_pred.ndim and y_true.shape[axis] == 1:
        y_true = jnp.squeeze(y_true, axis)
    class_axis = axis % y_pred.ndim
    valid = None
    if ignore_class is not None:
        valid = y_true != jnp.asarray(ignore_class, y_true.dtype)
        y_true = jnp.where(valid, y_true, 0)
        y_pred = jnp.where(jnp.expand_dims(valid, class_axis), y_pred, 1.0)
    labels = y_true.astype(jnp.int32)
    if from_logits:
        log_p = jax.nn.log_softmax(y_pred, axis=class_axis)
    else:
        p = y_pred / jnp.sum(y_pred, axis=class_axis, keepdims=True)
        log_p = jnp.log(jnp.clip(p, config.epsilon(), 1.0 - config.epsilon()))
    res = -jnp.take_along_axis(log_p, jnp.expand_dims(labels, class_axis),
                               axis=class_axis).squeeze(class_axis)
    if valid is not None:
        res = jnp.where(valid, res, 0.0)
        masking.set_mask(res, valid)
    return res


@takes_arrays
def mean_absolute_percentage_error(y_true, y_pred):
    y_true = _match_rank(y_true, y_pred).astype(y_pred.dtype)
    diff = jnp.abs((y_true - y_pred) / jnp.maximum(jnp.abs(y_true), config.epsilon()))
    return 100.0 * jnp.mean(diff, axis=-1)


@takes_arrays
def mean_squared_logarithmic_error(y_true, y_pred):
    y_true = _match_rank(y_true, y_pred).astype(y_pred.dtype)
    first = jnp.log(jnp.maximum(y_pred, config.epsilon()) + 1.0)
    second = jnp.log(jnp.maximum(y_true, config.epsilon()) + 1.0)
    return jnp.mean(jnp.square(first - second), axis=-1)


@takes_arrays
def huber(y_true, y_pred, delta: float = 1.0):
    y_true = _match_rank(y_true, y_pred).astype(y_pred.dtype)
    error = y_pred - y_true
    small = jnp.abs(error) <= delta
    return jnp.mean(jnp.where(small, 0.5 * jnp.square(error),
                              delta * jnp.abs(error) - 0.5 * delta ** 2), axis=-1)


@takes_arrays
def log_cosh(y_true, y_pred):
    y_true = _match_rank(y_true, y_pred).astype(y_pred.dtype)
    x = y_pred - y_true
    return jnp.mean(x + jax.nn.softplus(-2.0 * x) - np.log(2.0).astype(y_pred.dtype), axis=-1)


@takes_arrays
def kl_divergence(y_true, y_pred):
    y_true = _match_rank(y_true, y_pred).astype(y_pred.dtype)
    y_true = jnp.clip(y_true, config.epsilon(), 1.0)
    y_pred = jnp.clip(y_pred, config.epsilon(), 1.0)
    return jnp.sum(y_true * jnp.log(y_true / y_pred), axis=-1)


@takes_arrays
def poisson(y_true, y_pred):
    y_true = _match_rank(y_true, y_pred).astype(y_pred.dtype)
    return jnp.mean(y_pred - y_true * jnp.log(y_pred + config.epsilon()), axis=-1)


def _hinge_labels(y_true):
    """Keras's rule: labels that are all 0 or 1 become -1 or 1."""
    binary = jnp.all((y_true == 0) | (y_true == 1))
    return jnp.where(binary, 2.0 * y_true - 1.0, y_true)


@takes_arrays
def hinge(y_true, y_pred):
    y_true = _hinge_labels(_match_rank(y_true, y_pred).astype(y_pred.dtype))
    return jnp.mean(jnp.maximum(1.0 - y_true * y_pred, 0.0), axis=-1)


@takes_arrays
def squared_hinge(y_true, y_pred):
    y_true = _hinge_labels(_match_rank(y_true, y_pred).astype(y_pred.dtype))
    return jnp.mean(jnp.square(jnp.maximum(1.0 - y_true * y_pred, 0.0)), axis=-1)


@takes_arrays
def categorical_hinge(y_true, y_pred):
    y_true = y_true.astype(y_pred.dtype)
    positive = jnp.sum(y_true * y_pred, axis=-1)
    negative = jnp.max((1.0 - y_true) * y_pred, axis=-1)
    return jnp.maximum(negative - positive + 1.0, 0.0)


def _l2_normalize(x, axis):
    return x * jax.lax.rsqrt(jnp.maximum(jnp.sum(jnp.square(x), axis=axis, keepdims=True),
                                         1e-12))


@takes_arrays
def cosine_similarity(y_true, y_pred, axis: int = -1):
    """The loss: minus the cosine similarity (-1 for equal directions, as in Keras)."""
    y_true = _match_rank(y_true, y_pred).astype(y_pred.dtype)
    return -jnp.sum(_l2_normalize(y_true, axis) * _l2_normalize(y_pred, axis), axis=axis)


class MeanSquaredError(LossFunctionWrapper):
    def __init__(self, reduction="sum_over_batch_size", name="mean_squared_error"):
        super().__init__(mean_squared_error, name=name, reduction=reduction)


class MeanAbsoluteError(LossFunctionWrapper):
    def __init__(self, reduction="sum_over_batch_size", name="mean_absolute_error"):
        super().__init__(mean_absolute_error, name=name, reduction=reduction)


class BinaryCrossentropy(LossFunctionWrapper):
    """Binary crossentropy, averaged over `axis` (default the last) per sample."""

    def __init__(self, from_logits: bool = False, label_smoothing: float = 0.0, axis: int = -1,
                 reduction="sum_over_batch_size", name="binary_crossentropy", dtype=None):
        super().__init__(binary_crossentropy, name=name, reduction=reduction, dtype=dtype,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)
        self.from_logits = from_logits
        self.label_smoothing = label_smoothing
        self.axis = axis


class CategoricalCrossentropy(LossFunctionWrapper):
    def __init__(self, from_logits: bool = False, label_smoothing: float = 0.0, axis: int = -1,
                 reduction="sum_over_batch_size", name="categorical_crossentropy"):
        super().__init__(categorical_crossentropy, name=name, reduction=reduction,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)
        self.from_logits = from_logits

    def validate(self, y_true_shape, y_true_dtype, y_pred_shape, argument="y"):
        if not self._is_builtin():
            return
        classes = y_pred_shape[-1]
        if len(y_true_shape) < len(y_pred_shape) or (y_true_shape[-1] == 1 and classes != 1):
            kind = "integer labels" if np.issubdtype(np.dtype(y_true_dtype), np.integer) else "labels"
            raise ValueError(
                f"Loss '{self.name}' expects one-hot targets of shape (n, {classes}), but "
                f"`{argument}` has shape {tuple(y_true_shape)} ({kind}). Use "
                "loss='sparse_categorical_crossentropy' for integer class labels, or convert "
                f"them with hoarfrost.utils.to_categorical({argument}, num_classes={classes})."
            )
        super().validate(y_true_shape, y_true_dtype, y_pred_shape, argument)


class SparseCategoricalCrossentropy(LossFunctionWrapper):
    """Crossentropy of integer labels. `ignore_class`: a label (e.g. -1 or 255, a
    "void" class) whose elements neither add to the loss nor count in its mean."""

    def __init__(self, from_logits: bool = False, ignore_class: int | None = None,
                 reduction="sum_over_batch_size", axis: int = -1,
                 name="sparse_categorical_crossentropy", dtype=None):
        super().__init__(sparse_categorical_crossentropy, name=name, reduction=reduction,
                         dtype=dtype, from_logits=from_logits, ignore_class=ignore_class,
                         axis=axis)
        self.from_logits = from_logits
        self.ignore_class = ignore_class

    def validate_values(self, y_true, y_pred_shape, argument="y"):
        """Labels must be whole numbers in [0, classes)."""
        if not self._is_builtin():
            return
        y_true = np.asarray(y_true)
        classes = y_pred_shape[-1]
        bad = (y_true < 0) | (y_true >= classes) | (y_true != np.floor(y_true))
        if self.ignore_class is not None:
            bad &= y_true != self.ignore_class
        if bad.any():
            index = tuple(int(i) for i in np.argwhere(bad)[0])
            raise ValueError(
                f"Loss '{self.name}' expects integer class labels in [0, {classes}) for an "
                f"output of {classes} classes, but `{argument}` holds "
                f"{y_true[index].item()!r} at index {index} ({int(bad.sum())} bad labels in all)."
            )

    def validate(self, y_true_shape, y_true_dtype, y_pred_shape, argument="y"):
        if not self._is_builtin():
            return
        expected = tuple(y_pred_shape[:-1])
        shape = tuple(y_true_shape)
        if len(shape) == len(y_pred_shape) and shape[-1] == 1:
            shape = shape[:-1]
        if len(shape) != len(expected) or any(
                e is not None and s != e for s, e in zip(shape[1:], expected[1:])):
            hint = (" These look like one-hot targets: use loss='categorical_crossentropy'."
                    if shape[-1:] == tuple(y_pred_shape[-1:]) else "")
            raise ValueError(
                f"Loss '{self.name}' expects integer class labels of shape "
                f"{_batched(expected)}, but `{argument}` has shape {tuple(y_true_shape)}.{hint}"
            )


class MeanAbsolutePercentageError(LossFunctionWrapper):
    """100 times the mean of |y_true - y_pred| / |y_true| (|y_true| at least 1e-7)."""

    def __init__(self, reduction="sum_over_batch_size", name="mean_absolute_percentage_error"):
        super().__init__(mean_absolute_percentage_error, name=name, reduction=reduction)


class MeanSquaredLogarithmicError(LossFunctionWrapper):
    """The mean of (log(y_pred + 1) - log(y_true + 1))^2."""

    def __init__(self, reduction="sum_over_batch_size", name="mean_squared_logarithmic_error"):
        super().__init__(mean_squared_logarithmic_error, name=name, reduction=reduction)


class Huber(LossFunctionWrapper):
    """Quadratic for errors up to `delta`, linear beyond."""

    def __init__(self, delta=1.0, reduction="sum_over_batch_size", name="huber_loss"):
        super().__init__(huber, name=name, reduction=reduction, delta=delta)


class LogCosh(LossFunctionWrapper):
    """The mean of log(cosh(y_pred - y_true))."""

    def __init__(self, reduction="sum_over_batch_size", name="log_cosh"):
        super().__init__(log_cosh, name=name, reduction=reduction)


class KLDivergence(LossFunctionWrapper):
    """sum(y_true * log(y_true / y_pred)), both clipped to [1e-7, 1]."""

    def __init__(self, reduction="sum_over_batch_size", name="kl_divergence"):
        super().__init__(kl_divergence, name=name, reduction=reduction)


class Poisson(LossFunctionWrapper):
    """The mean of y_pred - y_true * log(y_pred + 1e-7)."""

    def __init__(self, reduction="sum_over_batch_size", name="poisson"):
        super().__init__(poisson, name=name, reduction=reduction)


class Hinge(LossFunctionWrapper):
    """The mean of max(1 - y_true * y_pred, 0); 0/1 labels become -1/1."""

    def __init__(self, reduction="sum_over_batch_size", name="hinge"):
        super().__init__(hinge, name=name, reduction=reduction)


class SquaredHinge(LossFunctionWrapper):
    """The mean of max(1 - y_true * y_pred, 0)^2; 0/1 labels become -1/1."""

    def __init__(self, reduction="sum_over_batch_size", name="squared_hinge"):
        super().__init__(squared_hinge, name=name, reduction=reduction)


class CategoricalHinge(LossFunctionWrapper):
    """max(max((1 - y_true) * y_pred) - sum(y_true * y_pred) + 1, 0) per sample."""

    def __init__(self, reduction="sum_over_batch_size", name="categorical_hinge"):
        super().__init__(categorical_hinge, name=name, reduction=reduction)


class CosineSimilarity(LossFunctionWrapper):
    """Minus the cosine similarity of y_true and y_pred along `axis`."""

    def __init__(self, axis=-1, reduction="sum_over_batch_size", name="cosine_similarity"):
        super().__init__(cosine_similarity, name=name, reduction=reduction, axis=axis)


_EXTRA = {MeanAbsolutePercentageError: ("mean_absolute_percentage_error", "mape"),
          MeanSquaredLogarithmicError: ("mean_squared_logarithmic_error", "msle"),
          Huber: ("huber",), LogCosh: ("log_cosh", "logcosh"),
          KLDivergence: ("kl_divergence", "kld", "kullback_leibler_divergence"),
          Poisson: ("poisson",), Hinge: ("hinge",), SquaredHinge: ("squared_hinge",),
          CategoricalHinge: ("categorical_hinge",), CosineSimilarity: ("cosine_similarity",)}


mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error
kld = KLD = kullback_leibler_divergence = kl_divergence
logcosh = log_cosh

_CORE = {mean_squared_error: MeanSquaredError, mean_absolute_error: MeanAbsoluteError,
         binary_crossentropy: BinaryCrossentropy,
         categorical_crossentropy: CategoricalCrossentropy,
         sparse_categorical_crossentropy: SparseCategoricalCrossentropy,
         mean_absolute_percentage_error: MeanAbsolutePercentageError,
         mean_squared_logarithmic_error: MeanSquaredLogarithmicError, huber: Huber,
         log_cosh: LogCosh, kl_divergence: KLDivergence, poisson: Poisson, hinge: Hinge,
         squared_hinge: SquaredHinge, categorical_hinge: CategoricalHinge,
         cosine_similarity: CosineSimilarity}
register_builtin(*_CORE, *_CORE.values())
