"""TensorBoard's event files, written and read without TensorFlow.

TensorBoard reads "tfevents" files: records of `Event` protocol buffers, each
framed by its length and masked CRC-32C checksums. The few messages needed
(scalars and histograms) are encoded here by hand, so the `TensorBoard`
callback (`hoarfrost.callbacks.tensorboard`) writes what `tensorboard
--logdir logs` shows for Keras: the same runs (`train`, `validation`) and tags
(`epoch_loss`, ...).
"""

from __future__ import annotations

import os
import socket
import struct
import time

import numpy as np


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
