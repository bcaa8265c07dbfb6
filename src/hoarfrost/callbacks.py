"""Callbacks: hooks into `fit` with Keras's names and call order."""

from __future__ import annotations

import sys
import time
from typing import Any

from rich.console import Console


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


class ProgbarLogger(Callback):
    """Prints progress: one line per epoch (`verbose=2`) or a live bar (`verbose=1`).

    The live bar redraws at most every `interval` seconds, so it never forces
    a device sync per step.
    """

    def __init__(self, verbose: int = 1, interval: float = 0.1, console: Console | None = None):
        super().__init__()
        self.verbose = verbose
        self.interval = interval
        self.console = console or Console(file=sys.stdout, highlight=False, soft_wrap=True)
        self._last_draw = 0.0

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()
        self._seen = 0
        epochs = self.params.get("epochs", 1)
        self.console.print(f"Epoch {epoch + 1}/{epochs}")

    def on_train_batch_end(self, batch, logs=None):
        self._seen = batch + 1
        if self.verbose != 1:
            return
        now = time.perf_counter()
        steps = self.params.get("steps") or 0
        if now - self._last_draw >= self.interval or self._seen == steps:
            self._last_draw = now
            self.console.print(self._line(logs or {}, final=False), end="\r")

    def on_epoch_end(self, epoch, logs=None):
        self.console.print(self._line(logs or {}, final=True))

    def _line(self, logs: dict, final: bool) -> str:
        steps = self.params.get("steps") or self._seen
        elapsed = time.perf_counter() - self._start
        per_step = elapsed / max(1, self._seen)
        metrics = " - ".join(f"{k}: {float(v):.4f}" for k, v in sorted(logs.items()))
        if self.verbose == 1:
            done = int(20 * self._seen / max(1, steps))
            bar = "━" * done + " " * (20 - done)
            eta = "" if final else f" ETA {per_step * (steps - self._seen):.0f}s"
            timing = f"{elapsed:.0f}s {per_step * 1000:.0f}ms/step" if final else eta.strip()
            return f"{self._seen}/{steps} {bar} {timing} - {metrics}"
        return f"{steps}/{steps} - {elapsed:.0f}s - {per_step * 1000:.0f}ms/step - {metrics}"


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

    def needs_every_batch(self) -> bool:
        """True when a user callback acts per batch (so steps run one at a time)."""
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
