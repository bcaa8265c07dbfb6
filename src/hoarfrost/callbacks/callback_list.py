"""`CallbackList`: calls a list of callbacks in Keras's order."""

from __future__ import annotations

import sys

from hoarfrost.callbacks.callback import Callback, overrides_batch_hooks
from hoarfrost.callbacks.history import History
from hoarfrost.callbacks.progbar_logger import ProgbarLogger


class CallbackList:
    """Calls a list of callbacks, adding `History` and the progress logger."""

    def __init__(self, callbacks=None, model=None, history: History | None = None,
                 verbose="auto", epochs: int = 1, steps: int | None = None):
        self.callbacks = list(callbacks or [])
        for callback in self.callbacks:
            if not isinstance(callback, Callback):
                raise TypeError(
                    f"callbacks must be Callback instances, got {type(callback).__name__}."
                )
        if verbose == "auto":
            verbose = 1 if sys.stdout.isatty() else 2
        if verbose and not any(isinstance(c, ProgbarLogger) for c in self.callbacks):
            self.callbacks.append(ProgbarLogger(verbose=int(verbose)))
        if history is not None:
            self.callbacks.append(history)
        for callback in self.callbacks:
            callback.set_model(model)
            callback.set_params({"verbose": verbose, "epochs": epochs, "steps": steps})
        if model is not None and history is not None:
            model.history = history

    def set_params_steps(self, steps: int | None) -> None:
        """Tell every callback the number of steps per epoch, once it is known."""
        for callback in self.callbacks:
            callback.params["steps"] = steps

    def needs_every_batch(self, kind: str = "train") -> bool:
        """True when a user callback acts per batch of `kind` (`"train"`, `"test"` or
        `"predict"`), so those steps run one at a time."""
        return any(overrides_batch_hooks(c, kind) for c in self.callbacks
                   if not isinstance(c, (ProgbarLogger, History)))

    def _call(self, hook: str, *args) -> None:
        # As Keras: every hook gets a dict of logs, `{}` when there are none.
        *args, logs = args
        logs = {} if logs is None else logs
        for callback in self.callbacks:
            getattr(callback, hook)(*args, logs)

    def on_train_begin(self, logs=None): self._call("on_train_begin", logs)
    def on_train_end(self, logs=None): self._call("on_train_end", logs)
    def on_epoch_begin(self, epoch, logs=None): self._call("on_epoch_begin", epoch, logs)
    def on_epoch_end(self, epoch, logs=None): self._call("on_epoch_end", epoch, logs)
    def on_train_batch_begin(self, batch, logs=None): self._call("on_train_batch_begin", batch, logs)
    def on_train_batch_end(self, batch, logs=None): self._call("on_train_batch_end", batch, logs)
    def on_test_begin(self, logs=None): self._call("on_test_begin", logs)
    def on_test_end(self, logs=None): self._call("on_test_end", logs)
    def on_test_batch_begin(self, batch, logs=None): self._call("on_test_batch_begin", batch, logs)
    def on_test_batch_end(self, batch, logs=None): self._call("on_test_batch_end", batch, logs)
    def on_predict_begin(self, logs=None): self._call("on_predict_begin", logs)
    def on_predict_end(self, logs=None): self._call("on_predict_end", logs)
    def on_predict_batch_begin(self, batch, logs=None):
        self._call("on_predict_batch_begin", batch, logs)
    def on_predict_batch_end(self, batch, logs=None):
        self._call("on_predict_batch_end", batch, logs)
