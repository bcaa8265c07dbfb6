"""`LearningRateScheduler`, and the rate helpers the rate-setting callbacks share."""

from __future__ import annotations

import math
import numbers

import numpy as np

from hoarfrost.callbacks.callback import Callback
from hoarfrost.host import print_msg


def check_settable_rate(callback: Callback) -> None:
    """Refuse to start when the callback can not set the model's learning rate."""
    optimizer = getattr(callback.model, "optimizer", None)
    if optimizer is None or not hasattr(optimizer, "learning_rate"):
        raise ValueError(f'{type(callback).__name__}: the optimizer must have a '
                         '"learning_rate" attribute (compile the model first).')
    if getattr(optimizer, "learning_rate_schedule", None) is not None:
        raise TypeError(
            f"{type(callback).__name__} sets the learning rate, but this optimizer's "
            "learning_rate is a schedule. Create the optimizer with a float learning_rate "
            "(e.g. Adam(1e-3)) to let the callback change it."
        )


def current_rate(optimizer) -> float:
    """The optimizer's learning rate now, as a float (for logs and messages)."""
    return float(np.asarray(optimizer.learning_rate))


class LearningRateScheduler(Callback):
    """Set the learning rate at the start of each epoch from `schedule(epoch, lr)`.

    `schedule` gets the epoch index (from 0) and the current rate (a float) and
    returns the new rate; a one-argument `schedule(epoch)` also works. Each
    epoch's logs get `learning_rate`.

    Example:
        >>> def scheduler(epoch, lr):
        ...     return lr if epoch < 10 else lr * math.exp(-0.1)
        >>> model.fit(x, y, epochs=15, callbacks=[LearningRateScheduler(scheduler)])  # doctest: +SKIP
    """

    def __init__(self, schedule, verbose: int = 0):
        super().__init__()
        self.schedule = schedule
        self.verbose = verbose

    def on_train_begin(self, logs=None):
        check_settable_rate(self)

    def on_epoch_begin(self, epoch, logs=None):
        optimizer = self.model.optimizer
        try:  # Keras's current API: schedule(epoch, lr)
            rate = self.schedule(epoch, current_rate(optimizer))
        except TypeError:  # the old one: schedule(epoch)
            rate = self.schedule(epoch)
        if isinstance(rate, bool) or not (isinstance(rate, numbers.Real) or (
                hasattr(rate, "shape") and np.shape(rate) == () and
                np.issubdtype(np.asarray(rate).dtype, np.number))):
            raise ValueError(
                "LearningRateScheduler: the output of the `schedule` function should be a "
                f"float. Got: {rate!r} at epoch {epoch}."
            )
        rate = float(rate)
        if not math.isfinite(rate) or rate < 0:
            raise ValueError(f"LearningRateScheduler: schedule({epoch}) returned {rate}; a "
                             "learning rate must be a finite number >= 0.")
        optimizer.learning_rate = rate
        if self.verbose > 0:
            print_msg(f"\nEpoch {epoch + 1}: LearningRateScheduler setting learning rate to "
                   f"{rate}.")

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = current_rate(self.model.optimizer)
