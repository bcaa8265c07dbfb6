"""Callbacks: hooks into `fit` with Keras's names and call order."""

from __future__ import annotations

import sys
from typing import Any


class Callback:
    """Base class: override the hooks you need; `self.model` is the model."""

    def __init__(self):
        self.model = None
        self.params: dict[str, Any] = {}

    def set_model(self, model) -> None:
        self.model = model

    def set_params(self, params: dict) -> None:
        self.params = params

    def on_train_begin(self, logs=None): ...
    def on_train_end(self, logs=None): ...
    def on_epoch_begin(self, epoch, logs=None): ...
    def on_epoch_end(self, epoch, logs=None): ...
    def on_train_batch_begin(self, batch, logs=None): self.on_batch_begin(batch, logs)
    def on_train_batch_end(self, batch, logs=None): self.on_batch_end(batch, logs)
    def on_batch_begin(self, batch, logs=None): ...
    def on_batch_end(self, batch, logs=None): ...


_BATCH_HOOKS = ("on_train_batch_begin", "on_train_batch_end", "on_batch_begin", "on_batch_end")


def _overrides_batch_hooks(callback: Callback) -> bool:
    """True when a callback does something per batch (a method or a lambda)."""
    return any(getattr(getattr(callback, hook), "__func__", None) is not getattr(Callback, hook)
               for hook in _BATCH_HOOKS)


class History(Callback):
    """Records each epoch's logs: `history.history['loss']` and friends."""

    def __init__(self):
        super().__init__()
        self.history: dict[str, list[float]] = {}
        self.epoch: list[int] = []

    def on_train_begin(self, logs=None):
        self.epoch = []

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)


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
        from hoarfrost.progress import ProgbarLogger
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

    def needs_every_batch(self) -> bool:
        """True when a user callback acts per batch (so steps run one at a time)."""
        from hoarfrost.progress import ProgbarLogger
        return any(_overrides_batch_hooks(c) for c in self.callbacks
                   if not isinstance(c, (ProgbarLogger, History)))

    def _call(self, hook: str, *args) -> None:
        for callback in self.callbacks:
            getattr(callback, hook)(*args)

    def on_train_begin(self, logs=None): self._call("on_train_begin", logs)
    def on_train_end(self, logs=None): self._call("on_train_end", logs)
    def on_epoch_begin(self, epoch, logs=None): self._call("on_epoch_begin", epoch, logs)
    def on_epoch_end(self, epoch, logs=None): self._call("on_epoch_end", epoch, logs)
    def on_train_batch_begin(self, batch, logs=None): self._call("on_train_batch_begin", batch, logs)
    def on_train_batch_end(self, batch, logs=None): self._call("on_train_batch_end", batch, logs)


class LambdaCallback(Callback):
    """A callback from plain functions: `LambdaCallback(on_epoch_end=lambda epoch, logs: ...)`."""

    def __init__(self, on_epoch_begin=None, on_epoch_end=None, on_train_begin=None,
                 on_train_end=None, on_train_batch_begin=None, on_train_batch_end=None):
        super().__init__()
        for name, fn in (("on_epoch_begin", on_epoch_begin), ("on_epoch_end", on_epoch_end),
                         ("on_train_begin", on_train_begin), ("on_train_end", on_train_end),
                         ("on_train_batch_begin", on_train_batch_begin),
                         ("on_train_batch_end", on_train_batch_end)):
            if fn is not None:
                setattr(self, name, fn)


def __getattr__(name: str):
    if name == "ProgbarLogger":  # defined beside the display code it drives
        from hoarfrost.progress import ProgbarLogger
        return ProgbarLogger
    raise AttributeError(f"module 'hoarfrost.callbacks' has no attribute {name!r}")
