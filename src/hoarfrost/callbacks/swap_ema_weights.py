"""`SwapEMAWeights`: evaluate and predict with the optimizer's moving averages of the
weights (`use_ema=True`), then put the trained weights back."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from hoarfrost.callbacks.callback import Callback

AVERAGE = "average"  # the optimizer's slot holding a variable's moving average


class SwapEMAWeights(Callback):
    """Swap the model's trainable weights with the optimizer's exponential moving averages
    around evaluation and prediction (and, with `swap_on_epoch`, at each epoch's end).

    The optimizer must have `use_ema=True` (a `LossScaleOptimizer`'s inner optimizer
    counts). Each swap exchanges values exactly, so the trained weights come back bit for
    bit. Variables frozen at the time of a swap are left alone (their averages too), as
    `finalize_variable_values` leaves them.

    Keras 3.15's `on_predict_end` tests the wrong flag and leaves the averages in the
    model after `predict`; here they are swapped back, as its documentation says.

    Args:
        swap_on_epoch: also swap at the end of each epoch (so the epoch's validation and
            the callbacks after this one see the averages) and back at the next epoch's
            start; after the last epoch the averages stay in the model and become the
            optimizer's averages too.

    Example:
        >>> model.compile(optimizer=SGD(use_ema=True), loss="mse")
        >>> model.fit(x, y, validation_data=(vx, vy), callbacks=[SwapEMAWeights()])
        >>> model.evaluate(vx, vy, callbacks=[SwapEMAWeights()])
    """

    def __init__(self, swap_on_epoch: bool = False):
        super().__init__()
        self.swap_on_epoch = swap_on_epoch
        self._ema_weights_in_model = False

    def _optimizer(self):
        optimizer = self.model.optimizer
        optimizer = getattr(optimizer, "inner_optimizer", optimizer)
        if not getattr(optimizer, "use_ema", False):
            raise ValueError("SwapEMAWeights must be used when `use_ema=True` is set on the "
                             f"optimizer. Received: use_ema={getattr(optimizer, 'use_ema', None)}")
        return optimizer

    def _averaged(self, optimizer):
        return [v for v in self.model.trainable_variables if optimizer.has_slots(v)]

    def _swap_variables(self) -> None:
        optimizer = self._optimizer()
        for variable in self._averaged(optimizer):
            slots = optimizer.slots_for(variable)
            current = np.array(variable.value)
            variable.assign(slots[AVERAGE])
            optimizer.set_slots(variable, {**slots, AVERAGE: jnp.asarray(
                current, slots[AVERAGE].dtype)})

    def _finalize_ema_values(self) -> None:
        optimizer = self._optimizer()
        for variable in self._averaged(optimizer):
            slots = optimizer.slots_for(variable)
            optimizer.set_slots(variable, {**slots, AVERAGE: jnp.array(
                variable.value, slots[AVERAGE].dtype)})

    def on_epoch_begin(self, epoch, logs=None):
        if self.swap_on_epoch and self._ema_weights_in_model:
            self._swap_variables()
            self._ema_weights_in_model = False

    def on_epoch_end(self, epoch, logs=None):
        if self.swap_on_epoch and not self._ema_weights_in_model:
            self._swap_variables()
            self._ema_weights_in_model = True
            if epoch == self.params["epochs"] - 1:
                self._finalize_ema_values()

    def on_test_begin(self, logs=None):
        if not self._ema_weights_in_model:
            self._swap_variables()
            self._ema_weights_in_model = True

    def on_test_end(self, logs=None):
        if self._ema_weights_in_model:
            self._swap_variables()
            self._ema_weights_in_model = False

    def on_predict_begin(self, logs=None):
        if not self._ema_weights_in_model:
            self._swap_variables()
            self._ema_weights_in_model = True

    def on_predict_end(self, logs=None):
        if self._ema_weights_in_model:
            self._swap_variables()
            self._ema_weights_in_model = False
