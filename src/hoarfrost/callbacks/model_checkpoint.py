"""`ModelCheckpoint`: save the model (or its weights) every epoch or every few batches."""

from __future__ import annotations

import os
import warnings

import numpy as np

from hoarfrost.callbacks.monitor_callback import MonitorCallback
from hoarfrost.host import is_writer, print_msg


class SaveSchedule:
    """Counts batches for an integer `save_freq`: `due(batch)` is True (and the count
    restarts) once `save_freq` batches have passed since the last save.

    `batch` restarts at 0 each epoch, and with many steps per compiled call
    a callback may see only every n-th batch: both are counted correctly.

    Args:
        save_freq: batches between saves.
        last_batch_seen: the batch seen last (None: none yet).
    """

    def __init__(self, save_freq, last_batch_seen: int | None = None):
        self.save_freq = save_freq
        self.batches_seen = 0  # since the last save
        self.last_batch_seen = last_batch_seen

    def due(self, batch: int) -> bool:
        last = self.last_batch_seen
        self.batches_seen += batch + 1 if last is None or batch <= last else batch - last
        self.last_batch_seen = batch
        if self.batches_seen < self.save_freq:
            return False
        self.batches_seen = 0
        return True


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
        self._schedule = SaveSchedule(save_freq)
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
        elif not self.filepath.endswith((".keras", ".h5")):  # .h5: the legacy file, as Keras
            raise ValueError("The filepath provided must end in `.keras` (Keras model format) "
                             f"or `.h5` (legacy HDF5). Received: filepath={self.filepath}")
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
        if self._schedule.due(batch):
            if self.monitor_op is None:
                self._set_monitor_op()
            logs = {k: float(np.asarray(v)) if np.ndim(v) == 0 else np.asarray(v)
                    for k, v in (logs or {}).items()}
            self._save_model(self._current_epoch, batch, logs)

    def _should_save(self, epoch, logs, filepath) -> bool:
        if not self.save_best_only:
            if self.verbose > 0:
                print_msg(f"\nEpoch {epoch + 1}: saving model to {filepath}")
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
                print_msg(f"\nEpoch {epoch + 1}: {self.monitor} improved from {best} to "
                       f"{current:.5f}, saving model to {filepath}")
            self.best = current
            return True
        if self.verbose > 0:
            print_msg(f"\nEpoch {epoch + 1}: {self.monitor} did not improve from {best}")
        return False

    def _save_model(self, epoch, batch, logs) -> None:
        filepath = self._get_file_path(epoch, batch, logs or {})
        if os.path.isdir(filepath):
            raise IsADirectoryError("Please specify a non-directory filepath for "
                                    f"ModelCheckpoint. Filepath used is an existing directory: "
                                    f"{filepath}")
        if self._should_save(epoch, logs, filepath):
            directory = os.path.dirname(filepath)
            if directory and is_writer():  # the save itself writes on process 0 only
                os.makedirs(directory, exist_ok=True)
            if self.save_weights_only:
                self.model.save_weights(filepath, overwrite=True)
            else:
                self.model.save(filepath, overwrite=True)
            if self.verbose > 0:
                print_msg(f"\nEpoch {epoch + 1}: finished saving model to {filepath}")

    def _get_file_path(self, epoch, batch, logs) -> str:
        try:
            if batch is None or "batch" in logs:
                return self.filepath.format(epoch=epoch + 1, **logs)
            return self.filepath.format(epoch=epoch + 1, batch=batch + 1, **logs)
        except KeyError as exc:
            raise KeyError(f'Failed to format this callback filepath: "{self.filepath}". '
                           f"Reason: {exc} is not in the logs (available: "
                           f"{', '.join(['epoch', *logs])}).") from exc
