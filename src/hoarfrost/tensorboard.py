"""The `TensorBoard` callback and the event files it writes, without TensorFlow.

TensorBoard reads "tfevents" files: records of `Event` protocol buffers, each
framed by its length and masked CRC-32C checksums. The few messages needed
(scalars and histograms) are encoded here by hand, so `keras.callbacks.TensorBoard`
programs run with only the imports changed and `tensorboard --logdir logs`
shows the same runs (`train`, `validation`) and tags (`epoch_loss`, ...) as Keras.
"""

from __future__ import annotations

import os
import socket
import struct
import time

import numpy as np

from hoarfrost.callbacks import Callback, _current_rate


def _crc32c_table() -> list[int]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
        table.append(crc)
    return table


_TABLE = _crc32c_table()


def crc32c(data: bytes) -> int:
    """CRC-32C (Castagnoli), the checksum of TFRecord framing."""
    crc = 0xFFFFFFFF
    for byte in data:
        crc = _TABLE[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def masked_crc32c(data: bytes) -> int:
    crc = crc32c(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


# --- protocol buffer encoding (the wire format, for the fields used) -------------------
def _varint(value: int) -> bytes:
    out = bytearray()
    value &= (1 << 64) - 1
    while True:
        bits = value & 0x7F
        value >>= 7
        if value:
            out.append(bits | 0x80)
        else:
            out.append(bits)
            return bytes(out)


def _key(field: int, wire: int) -> bytes:
    return _varint((field << 3) | wire)


def _bytes_field(field: int, data: bytes) -> bytes:
    return _key(field, 2) + _varint(len(data)) + data


def _double_field(field: int, value: float) -> bytes:
    return _key(field, 1) + struct.pack("<d", value)


def _float_field(field: int, value: float) -> bytes:
    return _key(field, 5) + struct.pack("<f", value)


def _packed_doubles(field: int, values) -> bytes:
    return _bytes_field(field, struct.pack(f"<{len(values)}d", *values))


def scalar_value(tag: str, value: float) -> bytes:
    """A `Summary.Value` holding a scalar."""
    return _bytes_field(1, tag.encode()) + _float_field(2, float(value))


def histogram_value(tag: str, values, buckets: int = 30) -> bytes:
    """A `Summary.Value` holding a `HistogramProto` of `values`."""
    values = np.asarray(values, np.float64).ravel()
    if values.size == 0:
        values = np.zeros(1)
    low, high = float(values.min()), float(values.max())
    edges = np.linspace(low, high, buckets + 1) if high > low else np.array([low, low + 1e-12])
    counts, _ = np.histogram(values, bins=edges)
    histo = (_double_field(1, low) + _double_field(2, high) + _double_field(3, values.size)
             + _double_field(4, float(values.sum()))
             + _double_field(5, float(np.square(values).sum()))
             + _packed_doubles(6, edges[1:].tolist()) + _packed_doubles(7, counts.tolist()))
    return _bytes_field(1, tag.encode()) + _bytes_field(5, histo)


def event(step: int, values: list[bytes] | None = None, file_version: str | None = None,
          wall_time: float | None = None) -> bytes:
    """An `Event`: wall time, step, and a `Summary` of `values` (or the file version)."""
    out = _double_field(1, time.time() if wall_time is None else wall_time)
    out += _key(2, 0) + _varint(int(step))
    if file_version is not None:
        out += _bytes_field(3, file_version.encode())
    if values:
        out += _bytes_field(5, b"".join(_bytes_field(1, v) for v in values))
    return out


class EventFileWriter:
    """Appends events to a new `events.out.tfevents.*` file in `directory`."""

    def __init__(self, directory: str):
        os.makedirs(directory, exist_ok=True)
        name = f"events.out.tfevents.{int(time.time())}.{socket.gethostname()}.{os.getpid()}"
        self.path = os.path.join(directory, name)
        self._file = open(self.path, "wb")
        self.write(event(0, file_version="brain.Event:2"))

    def write(self, record: bytes) -> None:
        header = struct.pack("<Q", len(record))
        self._file.write(header + struct.pack("<I", masked_crc32c(header)) + record
                         + struct.pack("<I", masked_crc32c(record)))

    def scalars(self, step: int, scalars: dict) -> None:
        values = [scalar_value(tag, value) for tag, value in scalars.items()]
        if values:
            self.write(event(step, values))

    def flush(self) -> None:
        self._file.flush()

    def close(self) -> None:
        if not self._file.closed:
            self._file.close()


def read_events(path: str) -> list[bytes]:
    """The records of an event file, checksums verified (for tests and tools)."""
    records = []
    with open(path, "rb") as handle:
        data = handle.read()
    offset = 0
    while offset < len(data):
        header = data[offset:offset + 8]
        (length,) = struct.unpack("<Q", header)
        (header_crc,) = struct.unpack("<I", data[offset + 8:offset + 12])
        record = data[offset + 12:offset + 12 + length]
        (record_crc,) = struct.unpack("<I", data[offset + 12 + length:offset + 16 + length])
        if header_crc != masked_crc32c(header) or record_crc != masked_crc32c(record):
            raise ValueError(f"{path}: a record at byte {offset} fails its checksum.")
        records.append(record)
        offset += 16 + length
    return records


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
        from hoarfrost.distribution import is_writer
        self._enabled = is_writer()
        self._batches = 0

    def _batch_begin(self, batch, logs=None):
        if self._enabled and self._profile and self._batches + 1 == self._profile[0]:
            import jax
            jax.profiler.start_trace(os.path.join(self.log_dir, "train"))
            self._profiling = True

    def _batch_end(self, batch, logs=None):
        self._batches += 1
        if not self._enabled:
            return
        if self._profiling and self._batches >= self._profile[1]:
            import jax
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
                train["epoch_learning_rate"] = _current_rate(optimizer)
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
            import jax
            jax.profiler.stop_trace()
            self._profiling = False
        for writer in self._writers.values():
            writer.close()
        self._writers = {}
