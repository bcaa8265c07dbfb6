"""`History`: every epoch's logs, as `fit` returns them."""

from __future__ import annotations

from hoarfrost.callbacks.callback import Callback


class History(Callback):
    """Records each epoch's logs: `history.history['loss']` and friends."""

    def __init__(self):
        super().__init__()
        self.history: dict[str, list[float]] = {}
        self.epoch: list[int] = []
        self._key_epochs: dict[str, list[int]] = {}  # the epochs each key was logged at

    def on_train_begin(self, logs=None):
        self.epoch = []

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)
            self._key_epochs.setdefault(key, []).append(epoch)
