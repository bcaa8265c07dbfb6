"""Callbacks: hooks into `fit` with Keras's names and call order."""

from __future__ import annotations

import collections.abc
import csv
import functools
import json
import math
import numbers
import operator
import os
import sys
import warnings
from typing import Any

import numpy as np


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
    # Keras's evaluate/predict hooks: defined so callbacks written for Keras that
    # override them load and run; `fit` calls the train and epoch hooks above.
    def on_test_begin(self, logs=None): ...
    def on_test_end(self, logs=None): ...
    def on_test_batch_begin(self, batch, logs=None): ...
    def on_test_batch_end(self, batch, logs=None): ...
    def on_predict_begin(self, logs=None): ...
    def on_predict_end(self, logs=None): ...
    def on_predict_batch_begin(self, batch, logs=None): ...
    def on_predict_batch_end(self, batch, logs=None): ...


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
        self._key_epochs: dict[str, list[int]] = {}  # the epochs each key was logged at

    def on_train_begin(self, logs=None):
        self.epoch = []

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)
            self._key_epochs.setdefault(key, []).append(epoch)


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


# --- callbacks that watch a metric ---------------------------------------------------------
def _print(message: str) -> None:
    """Print on process 0 only (the others of a multi-process run stay quiet, as in Keras)."""
    from hoarfrost.distribution import is_writer
    if is_writer():
        print(message, flush=True)


class MonitorCallback(Callback):
    """Base of callbacks that watch one logged quantity (`monitor`) for improvement.

    Args:
        monitor: the key in the epoch logs (`"val_loss"`, `"accuracy"`, ...).
        mode: `"min"`, `"max"` or `"auto"` (from the metric: `loss` and errors
            go down, accuracies, AUC, precision and recall go up).
        baseline: an initial reference value (see each subclass).
        min_delta: the least change that counts as an improvement.
    """

    def __init__(self, monitor: str = "val_loss", mode: str = "auto", baseline=None,
                 min_delta: float = 0):
        super().__init__()
        if mode not in ("auto", "min", "max"):
            warnings.warn(f"{type(self).__name__} mode '{mode}' is unknown, fallback to auto "
                          "mode.", stacklevel=2)
            mode = "auto"
        self.monitor = monitor
        self.mode = mode
        self.best = baseline
        self.min_delta = abs(min_delta)
        self.monitor_op = None

    def _set_monitor_op(self) -> None:
        if self.mode == "min":
            self.monitor_op = operator.lt
        elif self.mode == "max":
            self.monitor_op = operator.gt
        else:
            name = self.monitor.removeprefix("val_")
            if name == "loss":
                self.monitor_op = operator.lt
            for metric in getattr(self.model, "metrics", None) or []:
                direction = getattr(metric, "_direction", None)
                if metric.name == name and direction is not None:
                    self.monitor_op = operator.gt if direction == "up" else operator.lt
            if self.monitor_op is None:
                raise ValueError(
                    f"{type(self).__name__} callback received monitor={self.monitor!r}, but "
                    "can not tell whether that metric should be maximized or minimized. Pass "
                    "mode='max' to monitor its highest value, or mode='min' for its lowest."
                )
        if self.monitor_op is operator.lt:
            self.min_delta *= -1

    def _is_improvement(self, monitor_value, reference_value) -> bool:
        if reference_value is None:
            return True
        return bool(self.monitor_op(monitor_value - self.min_delta, reference_value))


class EarlyStopping(MonitorCallback):
    """Stop training when a monitored quantity has stopped improving (Keras's rules).

    Args:
        monitor: the quantity to watch (default `"val_loss"`).
        min_delta: a change smaller than this is no improvement.
        patience: epochs without improvement before stopping.
        verbose: 1 prints when it stops and when it restores weights.
        mode: `"auto"`, `"min"` or `"max"`.
        baseline: training stops if the model does not beat it within `patience`.
        restore_best_weights: at the end of training, set the weights of the
            best epoch back (bit for bit), whether or not training stopped early.
        start_from_epoch: epochs of warm-up before monitoring starts.

    Example:
        >>> callback = EarlyStopping(monitor="loss", patience=3)
        >>> model.fit(x, y, epochs=100, callbacks=[callback])  # doctest: +SKIP
    """

    def __init__(self, monitor: str = "val_loss", min_delta: float = 0, patience: int = 0,
                 verbose: int = 0, mode: str = "auto", baseline=None,
                 restore_best_weights: bool = False, start_from_epoch: int = 0):
        super().__init__(monitor, mode, min_delta=min_delta)
        self.patience = patience
        self.verbose = verbose
        self.baseline = baseline
        self.wait = 0
        self.stopped_epoch = 0
        self.restore_best_weights = restore_best_weights
        self.best_weights = None
        self.best_epoch = 0
        self.start_from_epoch = start_from_epoch

    def on_train_begin(self, logs=None):
        # Instances may be reused across fit() calls.
        self.wait = 0
        self.stopped_epoch = 0
        self.best = None
        self.best_weights = None
        self.best_epoch = 0

    def on_epoch_end(self, epoch, logs=None):
        if self.monitor_op is None:
            self._set_monitor_op()  # once the model's metrics exist
        current = self.get_monitor_value(logs)
        if current is None or epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            # Never set yet: the current weights are the best so far.
            self.best_weights = self.model.get_weights()
            self.best_epoch = epoch
        self.wait += 1
        if self._is_improvement(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            # Restart waiting only when beating both the baseline and the best.
            if self.baseline is None or self._is_improvement(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose > 0:
            _print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                _print("Restoring model weights from the end of the best epoch: "
                       f"{self.best_epoch + 1}.")
            self.model.set_weights(self.best_weights)

    def get_monitor_value(self, logs):
        logs = logs or {}
        value = logs.get(self.monitor)
        if value is None:
            warnings.warn(f"Early stopping conditioned on metric `{self.monitor}` which is not "
                          f"available. Available metrics are: {','.join(logs)}", stacklevel=2)
        return value


def _check_settable_rate(callback: Callback) -> None:
    optimizer = getattr(callback.model, "optimizer", None)
    if optimizer is None or not hasattr(optimizer, "learning_rate"):
        raise ValueError(f'{type(callback).__name__}: the optimizer must have a '
                         '"learning_rate" attribute (compile the model first).')
    if getattr(optimizer, "_schedule", None) is not None:
        raise TypeError(
            f"{type(callback).__name__} sets the learning rate, but this optimizer's "
            "learning_rate is a schedule. Create the optimizer with a float learning_rate "
            "(e.g. Adam(1e-3)) to let the callback change it."
        )


def _current_rate(optimizer) -> float:
    return float(np.asarray(optimizer.learning_rate))


class ReduceLROnPlateau(MonitorCallback):
    """Multiply the learning rate by `factor` when a quantity stops improving.

    The new rate is written to `model.optimizer.learning_rate` and read by the
    next compiled step (no recompile). Each epoch's logs get `learning_rate`.

    Args:
        monitor: the quantity to watch.
        factor: `new_lr = lr * factor` (< 1).
        patience: epochs without improvement before reducing.
        verbose: 1 prints each reduction.
        mode: `"auto"`, `"min"` or `"max"`.
        min_delta: the least change that counts as an improvement.
        cooldown: epochs to wait after a reduction before counting again.
        min_lr: the rate never goes below this.
    """

    def __init__(self, monitor: str = "val_loss", factor: float = 0.1, patience: int = 10,
                 verbose: int = 0, mode: str = "auto", min_delta: float = 1e-4,
                 cooldown: int = 0, min_lr: float = 0.0, **kwargs):
        super().__init__(monitor, mode, min_delta=min_delta)
        if factor >= 1.0:
            raise ValueError("ReduceLROnPlateau does not support a factor >= 1.0. "
                             f"Received factor={factor}")
        if kwargs:
            raise TypeError(f"ReduceLROnPlateau: unrecognized arguments {sorted(kwargs)}.")
        self.factor = factor
        self.min_lr = min_lr
        self.patience = patience
        self.verbose = verbose
        self.cooldown = cooldown
        self.cooldown_counter = 0
        self.wait = 0

    def _reset(self) -> None:
        self.best = None
        self.cooldown_counter = 0
        self.wait = 0

    def on_train_begin(self, logs=None):
        _check_settable_rate(self)
        self._reset()

    def _reduce(self, optimizer, epoch) -> bool:
        old_lr = _current_rate(optimizer)
        if old_lr > np.float32(self.min_lr):
            new_lr = max(old_lr * self.factor, self.min_lr)
            optimizer.learning_rate = new_lr
            if self.verbose > 0:
                _print(f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to "
                       f"{new_lr}.")
            return True
        return False

    def on_epoch_end(self, epoch, logs=None):
        if self.monitor_op is None:
            self._set_monitor_op()
        logs = logs if logs is not None else {}
        logs["learning_rate"] = _current_rate(self.model.optimizer)
        current = logs.get(self.monitor)
        if current is None:
            warnings.warn(f"Learning rate reduction is conditioned on metric `{self.monitor}` "
                          f"which is not available. Available metrics are: {','.join(logs)}.",
                          stacklevel=2)
            return
        if self.in_cooldown():
            self.cooldown_counter -= 1
            self.wait = 0
        if self._is_improvement(current, self.best):
            self.best = current
            self.wait = 0
        elif not self.in_cooldown():
            self.wait += 1
            if self.wait >= self.patience and self._reduce(self.model.optimizer, epoch):
                self.cooldown_counter = self.cooldown
                self.wait = 0

    def in_cooldown(self) -> bool:
        return self.cooldown_counter > 0


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
        _check_settable_rate(self)

    def on_epoch_begin(self, epoch, logs=None):
        optimizer = self.model.optimizer
        try:  # Keras's current API: schedule(epoch, lr)
            rate = self.schedule(epoch, _current_rate(optimizer))
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
            _print(f"\nEpoch {epoch + 1}: LearningRateScheduler setting learning rate to "
                   f"{rate}.")

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = _current_rate(self.model.optimizer)


# --- NaN guard ----------------------------------------------------------------------------
@functools.lru_cache(maxsize=1)
def _copy_tree():
    import jax
    import jax.numpy as jnp
    # One dispatch for the whole pytree; fresh buffers (the step donates its inputs).
    return jax.jit(lambda tree: jax.tree.map(jnp.copy, tree))


@functools.lru_cache(maxsize=1)
def _all_finite():
    import jax
    import jax.numpy as jnp
    return jax.jit(lambda tree: jnp.all(jnp.asarray(
        [jnp.all(jnp.isfinite(leaf)) for leaf in jax.tree.leaves(tree)
         if jnp.issubdtype(leaf.dtype, jnp.inexact)] or [True])))


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
    back are those from before the chunk of N steps holding the bad batch.

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
        model = self.model
        variables = model.weights
        optimizer = getattr(model, "optimizer", None)
        slots = {}
        iterations = None
        if optimizer is not None:
            slot_table = getattr(optimizer, "_slots", {})
            slots = {i: slot_table[v] for i, v in enumerate(variables) if v in slot_table}
            iterations = optimizer.iterations.value
        return variables, {"weights": [v.value for v in variables], "slots": slots,
                           "iterations": iterations}

    def on_train_batch_begin(self, batch, logs=None):
        if not self.restore_weights:
            return
        _, live = self._live()
        sources = live["weights"]
        if self._sources is not None and len(sources) == len(self._sources) and all(
                a is b for a, b in zip(sources, self._sources)):
            return  # same values as the last copy (several begin calls before one chunk)
        self._sources = sources
        self._snapshots = (self._snapshots + [(batch, self._epoch, _copy_tree()(live))])[-2:]

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
        _print(message)
        self.model.stop_training = True

    def _restore(self):
        """Put back the newest finite snapshot; returns its (batch, epoch) or None."""
        variables, _ = self._live()
        chosen = None
        for snapshot in reversed(self._snapshots):
            if bool(_all_finite()(snapshot[2]["weights"])):
                chosen = snapshot
                break
        self._snapshots, self._sources = [], None
        if chosen is None:
            return None
        batch, epoch, values = chosen
        for variable, value in zip(variables, values["weights"]):
            variable.assign(value)
        optimizer = getattr(self.model, "optimizer", None)
        if optimizer is not None:
            for i, variable in enumerate(variables):
                if i in values["slots"]:
                    optimizer._slots[variable] = values["slots"][i]
                else:  # slots created by the bad step itself
                    optimizer._slots.pop(variable, None)
            if values["iterations"] is not None:
                optimizer.iterations.assign(values["iterations"])
        return batch, epoch


# --- files ----------------------------------------------------------------------------------
class CSVLogger(Callback):
    """Write each epoch's logs as a row of a CSV file.

    Columns are `epoch` and the sorted log keys of the first epoch (plus
    `val_*` twins when the first epoch had no validation). With `append=True`
    and an existing file, the header is not written again and the file's own
    columns are kept, so rows always line up with the header; a key a later
    run adds is left out (with a warning), a missing one is written as `NA`.
    The file is flushed (and synced) after every epoch.

    Args:
        filename: the CSV file.
        separator: the column separator.
        append: add to an existing file instead of overwriting it.
    """

    def __init__(self, filename, separator: str = ",", append: bool = False):
        super().__init__()
        self.sep = separator
        self.filename = os.fspath(filename)
        self.append = append
        self.writer = None
        self.keys = None
        self.append_header = True
        self.csv_file = None
        self._warned: set = set()

    def on_train_begin(self, logs=None):
        from hoarfrost.distribution import is_writer
        self.keys = None
        self.append_header = True
        self.writer = None
        if not is_writer():  # several processes: process 0 alone writes the file
            self.csv_file = None
            return
        needs_newline = False
        if self.append and os.path.exists(self.filename) and os.path.getsize(self.filename):
            with open(self.filename, newline="") as handle:
                header = next(csv.reader(handle, delimiter=self.sep), [])
            with open(self.filename, "rb") as handle:
                handle.seek(-1, os.SEEK_END)
                needs_newline = handle.read(1) not in (b"\n", b"\r")
            if header:
                self.append_header = False
                self.keys = [k for k in header if k != "epoch"]
        if self.csv_file is not None and not self.csv_file.closed:
            self.csv_file.close()
        directory = os.path.dirname(self.filename)
        if directory:
            os.makedirs(directory, exist_ok=True)
        self.csv_file = open(self.filename, "a" if self.append else "w", newline="")
        if needs_newline:  # a row cut short by a crash: start on a fresh line
            self.csv_file.write("\n")
        self.writer = None
        self._warned = set()

    @staticmethod
    def _format(value):
        if isinstance(value, str):
            return value
        if isinstance(value, collections.abc.Iterable) and not (
                isinstance(value, np.ndarray) and value.ndim == 0):
            return f'"[{", ".join(map(str, value))}]"'
        return value

    def on_epoch_end(self, epoch, logs=None):
        if self.csv_file is None:  # not process 0
            return
        logs = logs or {}
        if self.keys is None:
            self.keys = sorted(logs)
            if self.keys and not any(k.startswith("val_") for k in self.keys):
                self.keys.extend(f"val_{k}" for k in list(self.keys))
        extra = sorted(set(logs) - set(self.keys) - self._warned)
        if extra:
            self._warned.update(extra)
            warnings.warn(f"CSVLogger: {self.filename} has no column for {extra}; keeping its "
                          f"columns {['epoch'] + self.keys}.", stacklevel=2)
        if self.writer is None:
            sep = self.sep

            class Dialect(csv.excel):
                delimiter = sep

            self.writer = csv.DictWriter(self.csv_file, fieldnames=["epoch"] + self.keys,
                                         dialect=Dialect, extrasaction="ignore")
            if self.append_header:
                self.writer.writeheader()
                self.append_header = False
        row = {"epoch": epoch}
        row.update((key, self._format(logs.get(key, "NA"))) for key in self.keys)
        self.writer.writerow(row)
        self.csv_file.flush()
        os.fsync(self.csv_file.fileno())

    def on_train_end(self, logs=None):
        if self.csv_file is not None and not self.csv_file.closed:
            self.csv_file.close()
        self.writer = None


def _restore_training_state(model, filepath) -> None:
    """Load a `.keras` file's weights, trainable flags and optimizer state into `model`.

    Unlike `load_model`, the architecture is not rebuilt: the values go into
    the model (and its compiled optimizer) that is about to train. Everything
    is read and checked first; the model changes only once nothing can fail.
    """
    import jax
    import jax.numpy as jnp

    from hoarfrost.saving import keras_archive, saving_lib
    filepath = os.fspath(filepath)
    if keras_archive.detect(filepath) == keras_archive.KERAS_ZIP:  # what save() writes now
        keras_archive.restore_training_state(model, filepath)
        return
    from hoarfrost.saving import validation
    from hoarfrost.saving.archive import member_label
    with saving_lib._open_archive(filepath) as archive:  # read and checked whole first
        state = saving_lib._read_json(archive, "state.json", filepath)
        validation.check_state(state, member_label(filepath, "state.json"))
        weights = saving_lib._read_tensors(archive, "model.safetensors")
        opt_tensors = None
        if "optimizer.safetensors" in archive.namelist():
            opt_tensors = saving_lib._read_tensors(archive, "optimizer.safetensors")
            validation.check_optimizer_tensors(
                opt_tensors, (state.get("optimizer") or {}).get("slots", []),
                member_label(filepath, "optimizer.safetensors"))
    optimizer = getattr(model, "optimizer", None)
    opt_state = state.get("optimizer")
    slots, iterations, rate = None, None, None
    if optimizer is not None and opt_state is not None and opt_tensors is not None:
        saved = opt_state["optimizer"]
        if saved.get("class_name") != type(optimizer).__name__:
            raise ValueError(
                f"{filepath!r} holds the state of a {saved.get('class_name')} optimizer, but "
                f'model "{model.name}" was compiled with {type(optimizer).__name__}.'
            )
        tensors = opt_tensors
        variables = saving_lib._v1_weights(model)  # format 1's order
        slots = {}
        for i in opt_state["slots"]:
            if i >= len(variables):
                raise ValueError(f"{filepath!r} holds optimizer slots for weight {i}, but model "
                                 f'"{model.name}" has {len(variables)} weights.')
            variable = variables[i]
            template = optimizer._direction.init(jnp.zeros(variable.shape, variable.dtype))
            leaves, treedef = jax.tree.flatten(template)
            loaded = [tensors.get(f"{i:05d}/{j}") for j in range(len(leaves))]
            if any(t is None or t.shape != leaf.shape for t, leaf in zip(loaded, leaves)):
                raise ValueError(f"{filepath!r}: the optimizer slots of weight {i} "
                                 f"({variable.path}) do not match the model's optimizer.")
            slots[variable] = jax.tree.unflatten(treedef, [jnp.asarray(t) for t in loaded])
        iterations = tensors["iterations"]
        rate = saved.get("config", {}).get("learning_rate")
    elif optimizer is not None:
        warnings.warn(f"{filepath!r} holds no optimizer state; the optimizer of model "
                      f'"{model.name}" starts fresh.', stacklevel=3)
    saving_lib._assign_weights(model, weights, state["variables"], filepath)  # checks, then sets
    saving_lib._restore_trainability(model, state)
    if slots is not None:
        optimizer._slots.clear()
        optimizer._slots.update(slots)
        optimizer.iterations.assign(iterations)
        if rate is not None and getattr(optimizer, "_schedule", None) is None:
            optimizer.learning_rate = rate


def _save_due(callback, batch: int) -> bool:
    """Count batches for an integer `save_freq`; True (and restart) when it is reached.

    `batch` restarts at 0 each epoch, and with many steps per compiled call
    a callback may see only every n-th batch: both are counted correctly.
    """
    last = callback._last_batch_seen
    added = batch + 1 if last is None or batch <= last else batch - last
    callback._batches_seen_since_last_saving += added
    callback._last_batch_seen = batch
    if callback._batches_seen_since_last_saving < callback.save_freq:
        return False
    callback._batches_seen_since_last_saving = 0
    return True


class BackupAndRestore(Callback):
    """Back up the training state each epoch; a new `fit` resumes from it after a crash.

    At the end of every epoch (or every `save_freq` batches) the model is saved
    with `model.save` (weights, trainable flags, optimizer slots and step count,
    learning rate) into `backup_dir`, and then a small `training_metadata.json`
    naming that file and the epoch is replaced atomically. The two files are
    written in that order, each atomically, and the checkpoint's name alternates,
    so a crash at any moment leaves a metadata file that points at a complete
    checkpoint of the epoch it names.

    When `fit` starts with a backup present, the state is loaded into the
    model (which must be built and compiled like the one that was backed up)
    and training resumes at the saved epoch. With the same seeds (e.g.
    `utils.set_random_seed`) before building and fitting, the resumed run is
    bit-identical to one that was never interrupted. When `fit` completes, the
    backup is deleted (`delete_checkpoint=True`).

    Args:
        backup_dir: a directory used only by this callback.
        save_freq: `"epoch"`, or an integer number of batches (then the epoch
            being trained when the crash happened is restarted from the
            mid-epoch weights, as in Keras).
        double_checkpoint: keep the previous checkpoint too, and fall back to
            it when the latest one can not be read.
        delete_checkpoint: remove the backup after a completed `fit`.

    Over several processes process 0 writes the backup and every process
    reads it on restore, so `backup_dir` must be a directory they all see.
    """

    METADATA = "training_metadata.json"

    def __init__(self, backup_dir, save_freq="epoch", double_checkpoint: bool = False,
                 delete_checkpoint: bool = True):
        super().__init__()
        if not backup_dir:
            raise ValueError("Empty `backup_dir` argument passed")
        if save_freq != "epoch" and (isinstance(save_freq, bool) or not isinstance(save_freq, int)
                                     or save_freq < 1):
            raise ValueError("Invalid value for argument `save_freq`. Received: "
                             f"save_freq={save_freq!r}. Expected either 'epoch' or a positive "
                             "integer value.")
        self.backup_dir = os.fspath(backup_dir)
        self.save_freq = save_freq
        self.double_checkpoint = double_checkpoint
        self.delete_checkpoint = delete_checkpoint
        self._current_epoch = 0
        self._batches_seen_since_last_saving = 0
        self._last_batch_seen = 0
        self.restored_epoch = None
        if save_freq != "epoch":  # acts per batch only then (so fit stays chunked otherwise)
            self.on_train_batch_end = self._on_train_batch_end

    @property
    def _metadata_path(self) -> str:
        return os.path.join(self.backup_dir, self.METADATA)

    def _read_metadata(self, path):
        try:
            with open(path) as handle:
                return json.load(handle)
        except (OSError, json.JSONDecodeError) as exc:
            raise ValueError(f"BackupAndRestore: can not read {path!r} ({exc}).") from exc

    def on_train_begin(self, logs=None):
        self._current_epoch = 0
        self._batches_seen_since_last_saving = 0
        self._last_batch_seen = 0
        self.restored_epoch = None
        candidates = [self._metadata_path]
        if self.double_checkpoint:
            candidates.append(self._metadata_path + ".bkp")
        errors = []
        for path in candidates:
            if not os.path.exists(path):
                continue
            try:
                metadata = self._read_metadata(path)
                self._load(metadata)
                return
            except (ValueError, OSError, KeyError) as exc:
                errors.append(exc)
        if errors:
            raise errors[0]

    def _load(self, metadata) -> None:
        model = self.model
        if not getattr(model, "built", True):
            raise ValueError(
                "To use the BackupAndRestore callback, your model must be built before you call "
                f'fit(). Model "{model.name}" is unbuilt; give it an input shape or call it on '
                "a batch of data first."
            )
        _restore_training_state(model, os.path.join(self.backup_dir, metadata["file"]))
        epoch = int(metadata["epoch"])
        self._current_epoch = epoch
        self.restored_epoch = epoch
        model._initial_epoch = epoch

    def on_epoch_end(self, epoch, logs=None):
        self._current_epoch = epoch + 1
        self._last_batch_seen = 0
        if self.save_freq == "epoch":
            self._save()

    def _on_train_batch_end(self, batch, logs=None):
        if _save_due(self, batch):
            self._save(batch)

    def _save(self, batch: int = 0) -> None:
        from hoarfrost.distribution import is_writer
        from hoarfrost.saving.saving_lib import _atomic_write
        if not is_writer():  # takes part in gathering the values; process 0 writes
            self.model.save(os.path.join(self.backup_dir, "checkpoint-a.keras"), overwrite=True)
            return
        os.makedirs(self.backup_dir, exist_ok=True)
        previous = None
        if os.path.exists(self._metadata_path):
            try:
                previous = self._read_metadata(self._metadata_path)
            except ValueError:
                previous = None
        name = ("checkpoint-b.keras" if previous and previous.get("file") == "checkpoint-a.keras"
                else "checkpoint-a.keras")
        self.model.save(os.path.join(self.backup_dir, name), overwrite=True)
        metadata = {"format": "hoarfrost.backup", "version": 1, "file": name,
                    "epoch": self._current_epoch, "batch": batch}
        if self.double_checkpoint and previous is not None:
            _atomic_write(self._metadata_path + ".bkp",
                          lambda handle: handle.write(json.dumps(previous).encode()))
        _atomic_write(self._metadata_path,
                      lambda handle: handle.write(json.dumps(metadata).encode()))
        if not self.double_checkpoint and previous is not None and previous.get("file") != name:
            old = os.path.join(self.backup_dir, previous["file"])
            if os.path.exists(old):
                os.unlink(old)

    def on_train_end(self, logs=None):
        from hoarfrost.distribution import is_writer
        if (not self.delete_checkpoint or not is_writer()
                or not os.path.isdir(self.backup_dir)):
            return
        for name in (self.METADATA, self.METADATA + ".bkp", "checkpoint-a.keras",
                     "checkpoint-b.keras"):
            path = os.path.join(self.backup_dir, name)
            if os.path.exists(path):
                os.unlink(path)
        try:
            os.rmdir(self.backup_dir)  # only if nothing else is in it
        except OSError:
            pass


class ModelCheckpoint(MonitorCallback):
    """Save the model (or its weights) at the end of each epoch or every `save_freq` batches.

    Args:
        filepath: where to save; may hold `{epoch}` (from 1) and log keys, e.g.
            `"ckpt/{epoch:02d}-{val_loss:.2f}.keras"`. Ends in `.keras`, or, with
            `save_weights_only=True`, in `.weights.safetensors` / `.weights.h5`.
        monitor: the quantity compared by `save_best_only`.
        verbose: 1 prints each save.
        save_best_only: save only when `monitor` improves.
        save_weights_only: `model.save_weights` instead of `model.save`.
        mode: `"auto"`, `"min"` or `"max"`.
        save_freq: `"epoch"` or a number of batches.
        initial_value_threshold: the value `monitor` must beat first.

    Saving is atomic: a failed save leaves the previous file intact.
    """

    def __init__(self, filepath, monitor: str = "val_loss", verbose: int = 0,
                 save_best_only: bool = False, save_weights_only: bool = False,
                 mode: str = "auto", save_freq="epoch", initial_value_threshold=None):
        super().__init__(monitor, mode, initial_value_threshold)
        self.verbose = verbose
        self.filepath = os.fspath(filepath)
        self.save_best_only = save_best_only
        self.save_weights_only = save_weights_only
        self.save_freq = save_freq
        self._batches_seen_since_last_saving = 0
        self._last_batch_seen = None
        self._current_epoch = 0
        if save_freq != "epoch" and (isinstance(save_freq, bool) or not isinstance(save_freq, int)
                                     or save_freq < 1):
            raise ValueError(f"Unrecognized save_freq: {save_freq!r}. Expected save_freq are "
                             "'epoch' or positive integer values")
        if save_weights_only:
            if not self.filepath.endswith((".weights.h5", ".weights.safetensors")):
                raise ValueError(
                    "When using `save_weights_only=True` in `ModelCheckpoint`, the filepath "
                    "provided must end in `.weights.safetensors` (or Keras's `.weights.h5`). "
                    f"Received: filepath={self.filepath}"
                )
        elif not self.filepath.endswith(".keras"):
            raise ValueError("The filepath provided must end in `.keras` (Keras model format). "
                             f"Received: filepath={self.filepath}")
        if save_freq != "epoch":
            self.on_train_batch_end = self._on_train_batch_end

    def on_epoch_begin(self, epoch, logs=None):
        self._current_epoch = epoch

    def on_epoch_end(self, epoch, logs=None):
        if self.monitor_op is None:
            self._set_monitor_op()
        if self.save_freq == "epoch":
            self._save_model(epoch, None, logs)

    def _on_train_batch_end(self, batch, logs=None):
        if _save_due(self, batch):
            if self.monitor_op is None:
                self._set_monitor_op()
            logs = {k: float(np.asarray(v)) if np.ndim(v) == 0 else np.asarray(v)
                    for k, v in (logs or {}).items()}
            self._save_model(self._current_epoch, batch, logs)

    def _should_save(self, epoch, logs, filepath) -> bool:
        if not self.save_best_only:
            if self.verbose > 0:
                _print(f"\nEpoch {epoch + 1}: saving model to {filepath}")
            return True
        current = (logs or {}).get(self.monitor)
        if current is None:
            warnings.warn(f"Can save best model only with {self.monitor} available.",
                          stacklevel=2)
            return True
        if np.ndim(current) > 0:
            warnings.warn("Can save best model only when `monitor` is a scalar value. "
                          f"Received: {current}. Falling back to `save_best_only=False`.",
                          stacklevel=2)
            return True
        best = "None" if self.best is None else f"{self.best:.5f}"
        if self._is_improvement(current, self.best):
            if self.verbose > 0:
                _print(f"\nEpoch {epoch + 1}: {self.monitor} improved from {best} to "
                       f"{current:.5f}, saving model to {filepath}")
            self.best = current
            return True
        if self.verbose > 0:
            _print(f"\nEpoch {epoch + 1}: {self.monitor} did not improve from {best}")
        return False

    def _save_model(self, epoch, batch, logs) -> None:
        filepath = self._get_file_path(epoch, batch, logs or {})
        if os.path.isdir(filepath):
            raise IsADirectoryError("Please specify a non-directory filepath for "
                                    f"ModelCheckpoint. Filepath used is an existing directory: "
                                    f"{filepath}")
        if self._should_save(epoch, logs, filepath):
            from hoarfrost.distribution import is_writer
            directory = os.path.dirname(filepath)
            if directory and is_writer():  # the save itself writes on process 0 only
                os.makedirs(directory, exist_ok=True)
            if self.save_weights_only:
                self.model.save_weights(filepath, overwrite=True)
            else:
                self.model.save(filepath, overwrite=True)

    def _get_file_path(self, epoch, batch, logs) -> str:
        try:
            if batch is None or "batch" in logs:
                return self.filepath.format(epoch=epoch + 1, **logs)
            return self.filepath.format(epoch=epoch + 1, batch=batch + 1, **logs)
        except KeyError as exc:
            raise KeyError(f'Failed to format this callback filepath: "{self.filepath}". '
                           f"Reason: {exc} is not in the logs (available: "
                           f"{', '.join(['epoch', *logs])}).") from exc


def __getattr__(name: str):
    if name == "ProgbarLogger":  # defined beside the display code it drives
        from hoarfrost.progress import ProgbarLogger
        return ProgbarLogger
    if name == "TensorBoard":  # event files, in their own module
        from hoarfrost.tensorboard import TensorBoard
        return TensorBoard
    if name in ("FreezeGuard", "GradualUnfreezing"):  # the fine-tuning toolkit's callbacks
        from hoarfrost import finetuning
        return getattr(finetuning, name)
    raise AttributeError(f"module 'hoarfrost.callbacks' has no attribute {name!r}")
