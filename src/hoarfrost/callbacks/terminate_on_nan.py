"""`TerminateOnNaN`: stop at a non-finite loss, keeping the last finite weights."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np

from hoarfrost.callbacks.callback import Callback
from hoarfrost.host import print_msg
from hoarfrost.optimizers import OptimizerState


@jax.jit
def _copy_tree(tree):
    """Fresh buffers for every leaf, in one dispatch (the step donates its inputs)."""
    return jax.tree.map(jnp.copy, tree)


@jax.jit
def _all_finite(tree):
    return jnp.all(jnp.asarray([jnp.all(jnp.isfinite(leaf)) for leaf in jax.tree.leaves(tree)
                                if jnp.issubdtype(leaf.dtype, jnp.inexact)] or [True]))


class TerminateOnNaN(Callback):
    """Stop training when the loss becomes NaN or infinite, keeping the last finite weights.

    At the start of each batch it keeps a device-side copy of the weights,
    the non-trainable state and the optimizer's slots and step count (one
    jitted copy, no host transfer). When a batch ends with a NaN/inf loss it
    puts back the copy from before that batch (or the one before, if that copy
    is itself not finite), prints which batch went bad, and stops training;
    the model can then be trained on, e.g. with a lower learning rate.

    As a callback acting on every batch, it makes `fit` run one step per
    compiled call (with `steps_per_execution="auto"`), so the bad batch is
    known exactly. With an explicit `steps_per_execution=N`, the weights put
    back are those from before the chunk of N steps holding the bad batch, and
    the batches of the chunk after the bad one reach no callback.

    Args:
        raise_error: raise `RuntimeError` instead of stopping gracefully (the
            weights are restored first either way).
        restore_weights: keep copies and put the last finite weights back
            (hoarfrost; Keras leaves the NaN weights). False skips the copies.

    Attributes:
        nan_batch, nan_epoch: where the loss went non-finite (None if it never did).
        restored_batch: the batch whose starting weights were put back.
    """

    def __init__(self, raise_error: bool = False, restore_weights: bool = True):
        super().__init__()
        self.raise_error = raise_error
        self.restore_weights = restore_weights
        self._reset()

    def _reset(self) -> None:
        self._epoch = 0
        self._sources = None  # the value objects the newest snapshot was taken from
        self._snapshots: list = []  # [(batch, epoch, values)], newest last, at most 2
        self.nan_batch = None
        self.nan_epoch = None
        self.restored_batch = None

    def on_train_begin(self, logs=None):
        self._reset()

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    # What is copied: every weight and state value, the optimizer's slots and step count.
    def _live(self):
        """(the model's variables, their values and the optimizer's state of them): the
        arrays themselves, copied by the caller in one dispatch."""
        variables = self.model.weights
        optimizer = getattr(self.model, "optimizer", None)
        state = optimizer.snapshot(variables, copy=False) if optimizer is not None else None
        return variables, {"weights": [v.value for v in variables],
                           "slots": None if state is None else state.slots,
                           "iterations": None if state is None else state.iterations}

    def on_train_batch_begin(self, batch, logs=None):
        if not self.restore_weights:
            return
        _, live = self._live()
        sources = live["weights"]
        if self._sources is not None and len(sources) == len(self._sources) and all(
                a is b for a, b in zip(sources, self._sources)):
            return  # same values as the last copy (several begin calls before one chunk)
        self._sources = sources
        self._snapshots = (self._snapshots + [(batch, self._epoch, _copy_tree(live))])[-2:]

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is None:
            return
        loss = float(np.asarray(loss))
        if math.isfinite(loss):
            return
        self.nan_batch, self.nan_epoch = batch, self._epoch
        restored = self._restore() if self.restore_weights else None
        self.restored_batch = None if restored is None else restored[0]
        if restored is None:
            what = ("the weights are left as they are" if not self.restore_weights else
                    "no finite weights were kept to restore")
        elif restored[:2] == (batch, self._epoch):
            what = "restored the weights from before that batch (the last finite ones)"
        else:
            what = (f"restored the weights from before batch {restored[0]} of epoch "
                    f"{restored[1] + 1} (the last finite ones)")
        message = (f"Batch {batch} (epoch {self._epoch + 1}): invalid loss {loss}; "
                   f"TerminateOnNaN is terminating training and {what}.")
        if self.raise_error:
            raise RuntimeError(f"NaN or Inf loss encountered at batch {batch} (epoch "
                               f"{self._epoch + 1}). Loss value: {loss}. {what[0].upper()}"
                               f"{what[1:]}. Terminating training immediately.")
        print_msg(message)
        self.model.stop_training = True

    def _restore(self):
        """Put back the newest finite snapshot; returns its (batch, epoch) or None."""
        variables, _ = self._live()
        chosen = None
        for snapshot in reversed(self._snapshots):
            if bool(_all_finite(snapshot[2]["weights"])):
                chosen = snapshot
                break
        self._snapshots, self._sources = [], None
        if chosen is None:
            return None
        batch, epoch, values = chosen
        for variable, value in zip(variables, values["weights"]):
            variable.assign(value)
        optimizer = getattr(self.model, "optimizer", None)
        if optimizer is not None and values["slots"] is not None:
            # Variables without slots then lose those the bad step made.
            optimizer.restore(OptimizerState(variables, values["slots"], values["iterations"]))
        return batch, epoch
