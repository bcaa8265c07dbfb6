"""Safetensors blobs with a checksum per tensor, read as a stream and checked.

Writing stores the SHA-256 of each tensor's bytes in the metadata (key
`sha256`, a JSON object `{tensor name: hex digest}`), so a flipped bit in a
weight is found at load instead of training on. Reading parses the header
itself: every entry (dtype, shape, offsets) is checked against the size of
the data before an array is allocated, tensors are read one by one from the
stream (a zip member is never held whole beside its arrays), and each is
verified against its checksum. Files without checksums (written before they
were added) still load.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import os
from typing import IO

import numpy as np
from safetensors.numpy import save as _st_save

from hoarfrost.saving.validation import loads_json

CHECKSUM_KEY = "sha256"
MAX_HEADER_BYTES = 100 << 20  # safetensors' own limit
_DTYPES = {
    "F64": np.float64, "F32": np.float32, "F16": np.float16, "I64": np.int64,
    "U64": np.uint64, "I32": np.int32, "U32": np.uint32, "I16": np.int16, "U16": np.uint16,
    "I8": np.int8, "U8": np.uint8, "BOOL": np.bool_, "C64": np.complex64,
}


def _bytes_of(array: np.ndarray) -> memoryview:
    """The array's bytes as safetensors stores them (C order, little-endian), uncopied
    where they already are."""
    little = np.ascontiguousarray(array, array.dtype.newbyteorder("<"))
    return memoryview(little.reshape(-1).view(np.uint8))


def _digest(array: np.ndarray) -> str:
    return hashlib.sha256(_bytes_of(array)).hexdigest()


def dumps(tensors: dict[str, np.ndarray], metadata: dict[str, str] | None = None) -> bytes:
    """The safetensors bytes of `tensors`, their checksums added to `metadata`."""
    metadata = dict(metadata or {})
    metadata[CHECKSUM_KEY] = json.dumps({name: _digest(t) for name, t in tensors.items()})
    return _st_save(tensors, metadata=metadata)


def loads(blob: bytes, where: str) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """`read` over bytes in memory."""
    return read(io.BytesIO(blob), len(blob), where)


def read_file(path) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """`read` over a file on disk; errors name the file."""
    path = os.fspath(path)
    with open(path, "rb") as handle:
        return read(handle, os.fstat(handle.fileno()).st_size, repr(path))


def read(stream: IO[bytes], size: int, where: str) -> tuple[dict[str, np.ndarray],
                                                            dict[str, str]]:
    """Tensors and metadata from `size` bytes of safetensors data in `stream`.

    Args:
        stream: positioned at the start of the data; read forward only.
        size: the number of bytes the data occupies (the file's or member's size).
        where: how errors name the data (`'path'` or `'path', member name`).

    Raises:
        ValueError: naming `where` and what is wrong, for a damaged header, entries
            that do not fit the data, or a tensor whose checksum does not match.
    """
    if size < 8:
        raise ValueError(f"{where} is corrupted: {size} bytes is too short for safetensors "
                         "data.")
    header_size = int.from_bytes(_read_exactly(stream, 8, where), "little")
    if header_size > min(size - 8, MAX_HEADER_BYTES):
        raise ValueError(f"{where} is corrupted: its safetensors header declares "
                         f"{header_size} bytes, but {size - 8} follow.")
    header = loads_json(_read_exactly(stream, header_size, where),
                        f"{where} (safetensors header)")
    if not isinstance(header, dict):
        raise ValueError(f"{where} is corrupted: its safetensors header is not a JSON object.")
    metadata = header.pop("__metadata__", None) or {}
    if not (isinstance(metadata, dict) and all(isinstance(k, str) and isinstance(v, str)
                                               for k, v in metadata.items())):
        raise ValueError(f"{where} is corrupted: its safetensors metadata is not a map of "
                         "strings.")
    entries = sorted(((_entry(name, info, where), name) for name, info in header.items()),
                     key=lambda e: e[0][2])
    checksums = _checksums(metadata, header, where)
    data_size, position = size - 8 - header_size, 0
    tensors = {}
    for (dtype, shape, begin, end), name in entries:
        if begin != position:
            raise ValueError(f"{where} is corrupted: tensor {name!r} starts at byte {begin} "
                             f"of the data, expected {position} (a gap or an overlap).")
        if end > data_size:
            raise ValueError(f"{where} is corrupted: tensor {name!r} ends at byte {end}, but "
                             f"the data holds {data_size}.")
        array = np.empty(shape, dtype)
        _read_into(stream, array, where, name)
        if checksums is not None and _digest(array) != checksums[name]:
            raise ValueError(f"{where} is corrupted: tensor {name!r} does not match its "
                             "checksum (its bytes changed after it was saved).")
        tensors[name] = array
        position = end
    if position != data_size:
        raise ValueError(f"{where} is corrupted: its tensors cover {position} bytes of "
                         f"{data_size} of data.")
    return tensors, metadata


def _entry(name, info, where: str) -> tuple:
    """`(dtype, shape, begin, end)` of a header entry, each part checked."""
    if not (isinstance(info, dict) and info.get("dtype") in _DTYPES):
        dtype = info.get("dtype") if isinstance(info, dict) else info
        raise ValueError(f"{where} is corrupted: tensor {name!r} has dtype {dtype!r}; "
                         f"expected one of {sorted(_DTYPES)}.")
    shape, offsets = info.get("shape"), info.get("data_offsets")
    if not (isinstance(shape, list) and all(_is_count(d) for d in shape)):
        raise ValueError(f"{where} is corrupted: tensor {name!r} has shape {shape!r}.")
    if not (isinstance(offsets, list) and len(offsets) == 2 and all(map(_is_count, offsets))
            and offsets[0] <= offsets[1]):
        raise ValueError(f"{where} is corrupted: tensor {name!r} has data offsets {offsets!r}.")
    dtype = np.dtype(_DTYPES[info["dtype"]]).newbyteorder("<")
    if math.prod(shape) * dtype.itemsize != offsets[1] - offsets[0]:
        raise ValueError(f"{where} is corrupted: tensor {name!r} of shape {shape} "
                         f"({info['dtype']}) spans {offsets[1] - offsets[0]} bytes.")
    return dtype, tuple(shape), offsets[0], offsets[1]


def _is_count(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _checksums(metadata: dict, header: dict, where: str) -> dict | None:
    if CHECKSUM_KEY not in metadata:
        return None  # written before checksums were stored
    checksums = loads_json(metadata[CHECKSUM_KEY], f"{where} (checksums)")
    if not (isinstance(checksums, dict) and set(checksums) == set(header)):
        raise ValueError(f"{where} is corrupted: its checksums do not list exactly its "
                         "tensors.")
    return checksums


def _read_exactly(stream: IO[bytes], count: int, where: str) -> bytes:
    data = stream.read(count)
    if len(data) != count:
        raise ValueError(f"{where} is corrupted: it ends early (truncated).")
    return data


def _read_into(stream: IO[bytes], array: np.ndarray, where: str, name: str) -> None:
    view = _bytes_of(array)  # the array's own memory: reading fills it
    filled = 0
    while filled < len(view):
        count = stream.readinto(view[filled:])
        if not count:
            raise ValueError(f"{where} is corrupted: it ends inside tensor {name!r} "
                             "(truncated).")
        filled += count
