"""The Circle loss (Sun et al., 2020) for metric learning: pairs of embeddings of one
class pulled together, of different classes pushed apart, each pair weighted by how far
it is from its optimum."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from hoarfrost import masking
from hoarfrost.losses.loss import LossFunctionWrapper, _batched, register_builtin


def _pos_neg_masks(query_labels, key_labels, remove_diagonal: bool = True):
    """Which (query, key) pairs share a label, and which do not (Keras's
    `build_pos_neg_masks`); the diagonal is no positive with `remove_diagonal`."""
    query_labels = query_labels.reshape(-1, 1) if query_labels.ndim == 1 else query_labels
    key_labels = key_labels.reshape(-1, 1) if key_labels.ndim == 1 else key_labels
    positive = query_labels == key_labels.T
    negative = jnp.logical_not(positive)
    if remove_diagonal:
        positive = positive & ~jnp.eye(query_labels.size, key_labels.size, dtype=bool)
    return positive, negative


def circle(y_true, y_pred, ref_labels=None, ref_embeddings=None, remove_diagonal: bool = True,
           gamma: float = 80, margin: float = 0.4):
    """The Circle loss of each embedding against the batch (or `ref_embeddings`).

    Args:
        y_true: integer labels, `(batch,)` or `(batch, 1)`.
        y_pred: L2-normalised embeddings, `(batch, dim)`.
        ref_labels: the labels of `ref_embeddings` (default: `y_true`).
        ref_embeddings: the embeddings to compare with (default: `y_pred`).
        remove_diagonal: leave each embedding's pair with itself out.
        gamma: the scale factor.
        margin: the relaxation margin.

    Returns:
        One loss per embedding; zero losses are masked out of the mean, as in Keras.
    """
    y_pred = jnp.asarray(y_pred)
    y_true = jnp.asarray(y_true).astype(jnp.int32)
    ref_embeddings = y_pred if ref_embeddings is None else jnp.asarray(ref_embeddings)
    ref_labels = y_true if ref_labels is None else jnp.asarray(ref_labels).astype(jnp.int32)
    optim_pos, optim_neg = margin, 1 + margin
    delta_pos, delta_neg = margin, 1 - margin
    distances = jnp.maximum(1 - jnp.matmul(y_pred, ref_embeddings.T), 0.0)
    positive, negative = _pos_neg_masks(y_true, ref_labels, remove_diagonal)
    pos_weights = jnp.maximum((optim_pos + distances) * positive.astype(distances.dtype), 0.0)
    neg_weights = jnp.maximum((optim_neg - distances) * negative.astype(distances.dtype), 0.0)
    pos_wdists = -1 * gamma * pos_weights * (delta_pos - distances)
    neg_wdists = gamma * neg_weights * (delta_neg - distances)
    p_loss = jax.scipy.special.logsumexp(jnp.where(positive, pos_wdists, -jnp.inf), axis=1)
    n_loss = jax.scipy.special.logsumexp(jnp.where(negative, neg_wdists, -jnp.inf), axis=1)
    loss = jax.nn.softplus(p_loss + n_loss)
    masking.set_mask(loss, loss > 0)
    return loss


class Circle(LossFunctionWrapper):
    """The Circle loss (see `circle`): targets are class labels, outputs embeddings.

    Args:
        gamma: the scale factor.
        margin: the relaxation margin.
        remove_diagonal: leave each embedding's pair with itself out.
        reduction, name, dtype: as for every `Loss`.
    """

    def __init__(self, gamma: float = 80.0, margin: float = 0.4, remove_diagonal: bool = True,
                 reduction="sum_over_batch_size", name="circle", dtype=None):
        super().__init__(circle, name=name, reduction=reduction, dtype=dtype, gamma=gamma,
                         margin=margin, remove_diagonal=remove_diagonal)

    def validate(self, y_true_shape, y_true_dtype, y_pred_shape, argument="y"):
        """Labels `(batch,)` or `(batch, 1)` for embeddings `(batch, dim)`."""
        shape = tuple(y_true_shape)
        if len(y_pred_shape) != 2 or not (len(shape) == 1 or (len(shape) == 2 and shape[1] == 1)):
            raise ValueError(f"Loss '{self.name}' expects integer labels of shape (n,) or (n, 1) "
                             f"and embeddings of shape (n, dim); `{argument}` has shape {shape} "
                             f"and the output {_batched(y_pred_shape)}.")


register_builtin(circle, Circle)
