"""The generalized crossentropy (Zhang & Sabuncu, 2018): between crossentropy (q -> 0) and
mean absolute error (q = 1), robust to noisy labels."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from hoarfrost.losses.loss import LossFunctionWrapper, _batched, register_builtin


def categorical_generalized_cross_entropy(y_true, y_pred, q: float):
    """`(1 - p^q) / q` with `p` the predicted probability of the true class.

    Args:
        y_true: integer class labels `(batch,)`.
        y_pred: class probabilities `(batch, classes)`.
        q: in (0, 1); near 0 behaves as crossentropy, 1 as mean absolute error.
    """
    y_pred = jnp.asarray(y_pred)
    one_hot = jax.nn.one_hot(jnp.asarray(y_true).astype(jnp.int32), y_pred.shape[-1],
                             dtype=y_pred.dtype)
    p = jnp.sum(y_pred * one_hot, axis=-1)
    return (1 - jnp.power(p, q)) / q


class CategoricalGeneralizedCrossEntropy(LossFunctionWrapper):
    """The generalized crossentropy (see `categorical_generalized_cross_entropy`).

    Args:
        q: in (0, 1).
        reduction, name, dtype: as for every `Loss`.
    """

    def __init__(self, q: float = 0.5, reduction="sum_over_batch_size",
                 name="categorical_generalized_cross_entropy", dtype=None):
        if not 0 < q < 1:
            raise ValueError("q must be in the interval (0, 1)")
        super().__init__(categorical_generalized_cross_entropy, name=name, reduction=reduction,
                         dtype=dtype, q=q)

    def validate(self, y_true_shape, y_true_dtype, y_pred_shape, argument="y"):
        """Integer labels `(batch,)` for probabilities `(batch, classes)`."""
        if len(y_true_shape) != len(y_pred_shape) - 1:
            raise ValueError(f"Loss '{self.name}' expects integer class labels of shape "
                             f"{_batched(tuple(y_pred_shape[:-1]))}, but `{argument}` has shape "
                             f"{tuple(y_true_shape)}.")


register_builtin(categorical_generalized_cross_entropy, CategoricalGeneralizedCrossEntropy)
