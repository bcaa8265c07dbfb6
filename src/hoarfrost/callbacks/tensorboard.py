"""The `TensorBoard` callback: Keras's runs and tags, event files written without TensorFlow."""

from __future__ import annotations

import os
import time

import jax
import numpy as np

from hoarfrost.callbacks.callback import Callback
from hoarfrost.callbacks.learning_rate_scheduler import current_rate
from hoarfrost.host import is_writer
from hoarfrost.tensorboard import EventFileWriter, event, histogram_value


def _numeric(value) -> float | None:
    try:
        array = np.asarray(value, np.float64)
    except (TypeError, ValueError):
        return None
    return float(array) if array.ndim == 0 else None


def _scalar_logs(logs, template: str) -> dict:
    """The numeric entries of `logs`, each key put into `template` (`"batch_{}"`)."""
    out = {}
    for key, value in (logs or {}).items():
        number = _numeric(value)
        if number is not None:
            out[template.format(key)] = number
    return out


class TensorBoard(Callback):
    """Write logs for TensorBoard: `tensorboard --logdir <log_dir>`.

    As Keras: epoch metrics go to `<log_dir>/train` and `<log_dir>/validation`
    as `epoch_<name>` (validation's without the `val_` prefix), with
    `epoch_learning_rate`; `evaluation_<name>_vs_iterations` logs each
    validation against the optimizer step. `update_freq=N` also writes
    `batch_<name>` every N batches (steps then run one at a time, as for any
    callback that acts per batch). `histogram_freq=N` writes a histogram of
    every weight each N epochs. `profile_batch=(start, stop)` traces those
    batches with `jax.profiler` into `<log_dir>/train`.
    `write_graph`, `write_images`, `embeddings_*` are accepted for
    portability; there is no TensorFlow graph or embedding projector to write.

    Args:
        log_dir: the directory of the runs.
        histogram_freq: epochs between weight histograms (0: none).
        update_freq: "epoch", "batch" (every batch) or a number of batches.
        profile_batch: a batch number or a (start, stop) pair to profile; 0: none.
    """

    def __init__(self, log_dir="logs", histogram_freq: int = 0, write_graph: bool = True,
                 write_images: bool = False, write_steps_per_second: bool = False,
                 update_freq="epoch", profile_batch=0, embeddings_freq: int = 0,
                 embeddings_metadata=None):
        super().__init__()
        self.log_dir = os.fspath(log_dir)
        self.histogram_freq = int(histogram_freq)
        self.write_graph, self.write_images = write_graph, write_images
        self.write_steps_per_second = write_steps_per_second
        self.embeddings_freq, self.embeddings_metadata = embeddings_freq, embeddings_metadata
        if update_freq == "batch":
            update_freq = 1
        if update_freq != "epoch" and (not isinstance(update_freq, int) or update_freq < 1):
            raise ValueError("TensorBoard: `update_freq` must be 'epoch', 'batch' or a positive "
                             f"number of batches, got {update_freq!r}.")
        self.update_freq = update_freq
        if isinstance(profile_batch, (tuple, list)):
            start, stop = (int(b) for b in profile_batch)
        else:
            start = stop = int(profile_batch)
        if start < 0 or stop < start:
            raise ValueError("TensorBoard: `profile_batch` must be a batch number or a pair "
                             f"(start, stop) with 0 <= start <= stop, got {profile_batch!r}.")
        self._profile = (start, stop) if start > 0 else None
        self._profiling = False
        self._writers: dict[str, EventFileWriter] = {}
        self._epoch_start = None
        # Per-batch hooks exist only when asked for, so fit keeps its multi-step loop otherwise.
        if self.update_freq != "epoch" or self._profile is not None:
            self.on_train_batch_begin = self._batch_begin
            self.on_train_batch_end = self._batch_end

    def _writer(self, run: str) -> EventFileWriter:
        if run not in self._writers:
            self._writers[run] = EventFileWriter(os.path.join(self.log_dir, run))
        return self._writers[run]

    def _step(self) -> int:
        optimizer = getattr(self.model, "optimizer", None)
        return int(np.asarray(optimizer.iterations.numpy())) if optimizer is not None else 0

    def on_train_begin(self, logs=None):
        self._enabled = is_writer()
        self._batches = 0

    def _batch_begin(self, batch, logs=None):
        if self._enabled and self._profile and self._batches + 1 == self._profile[0]:
            jax.profiler.start_trace(os.path.join(self.log_dir, "train"))
            self._profiling = True

    def _batch_end(self, batch, logs=None):
        self._batches += 1
        if not self._enabled:
            return
        if self._profiling and self._batches >= self._profile[1]:
            jax.profiler.stop_trace()
            self._profiling = False
        if self.update_freq != "epoch" and self._batches % self.update_freq == 0:
            self._writer("train").scalars(self._step(), _scalar_logs(logs, "batch_{}"))

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_start = time.perf_counter()

    def on_test_end(self, logs=None):
        # fit's validation at the end of an epoch: also logged against the optimizer step.
        if not getattr(self, "_enabled", False) or self.model is None:
            return
        self._writer("validation").scalars(self._step(),
                                           _scalar_logs(logs, "evaluation_{}_vs_iterations"))

    def on_epoch_end(self, epoch, logs=None):
        if not self._enabled:
            return
        logs = logs or {}
        train = _scalar_logs({k: v for k, v in logs.items() if not k.startswith("val_")},
                             "epoch_{}")
        validation = _scalar_logs({k[4:]: v for k, v in logs.items() if k.startswith("val_")},
                                  "epoch_{}")
        if "epoch_learning_rate" not in train:
            optimizer = getattr(self.model, "optimizer", None)
            if optimizer is not None:
                train["epoch_learning_rate"] = current_rate(optimizer)
        if self.write_steps_per_second and self._epoch_start is not None:
            steps = self.params.get("steps")
            if steps:
                train["epoch_steps_per_second"] = steps / (time.perf_counter()
                                                           - self._epoch_start)
        self._writer("train").scalars(epoch, train)
        if validation:
            self._writer("validation").scalars(epoch, validation)
        if self.histogram_freq and epoch % self.histogram_freq == 0:
            values = [histogram_value(f"{w.path}/histogram", np.asarray(w.numpy()))
                      for w in self.model.weights]
            if values:
                self._writer("train").write(event(epoch, values))
        for writer in self._writers.values():
            writer.flush()

    def on_train_end(self, logs=None):
        if self._profiling:
            jax.profiler.stop_trace()
            self._profiling = False
        for writer in self._writers.values():
            writer.close()
        self._writers = {}
