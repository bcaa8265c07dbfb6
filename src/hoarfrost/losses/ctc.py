"""The CTC loss (connectionist temporal classification) of label sequences against
per-step logits, as Keras computes it (`ops.ctc_loss`, label 0 as padding)."""

from __future__ import annotations

import jax.numpy as jnp

from hoarfrost.losses.loss import LossFunctionWrapper, _batched, register_builtin
from hoarfrost.ops._nn import ctc_loss


def ctc(y_true, y_pred):
    """The CTC loss of each sequence.

    Args:
        y_true: integer labels `(batch, max_label_length)`, 0 as padding (and the blank).
        y_pred: logits `(batch, steps, classes)`; every step counts.
    """
    y_true, y_pred = jnp.asarray(y_true), jnp.asarray(y_pred)
    if y_true.ndim != 2:
        raise ValueError("Targets `y_true` are expected to be a tensor of shape "
                         "`(batch_size, max_length)` in integer format. Received: "
                         f"y_true.shape={y_true.shape}")
    if y_pred.ndim != 3:
        raise ValueError("Logits `y_pred` are expected to be a tensor of shape "
                         "`(batch_size, max_length, num_classes)`. Received: "
                         f"y_pred.shape={y_pred.shape}")
    batch, steps = y_pred.shape[0], y_pred.shape[1]
    input_length = steps * jnp.ones((batch,), jnp.int32)
    label_length = jnp.sum(y_true != 0, axis=-1).astype(jnp.int32)
    return ctc_loss(y_true, y_pred, label_length, input_length, mask_index=0)


class CTC(LossFunctionWrapper):
    """The CTC loss (see `ctc`).

    Args:
        reduction, name, dtype: as for every `Loss`.
    """

    def __init__(self, reduction="sum_over_batch_size", name="ctc", dtype=None):
        super().__init__(ctc, name=name, reduction=reduction, dtype=dtype)

    def validate(self, y_true_shape, y_true_dtype, y_pred_shape, argument="y"):
        """Labels `(batch, max_length)` for logits `(batch, steps, classes)`."""
        if len(y_true_shape) != 2 or len(y_pred_shape) != 3:
            raise ValueError(f"Loss '{self.name}' expects integer labels of shape "
                             "(n, max_length) and logits of shape (n, steps, classes); "
                             f"`{argument}` has shape {tuple(y_true_shape)} and the output "
                             f"{_batched(y_pred_shape)}.")


register_builtin(ctc, CTC)
