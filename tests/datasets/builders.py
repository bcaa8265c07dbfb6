"""Small files in the formats of Keras's datasets, built by the tests (never downloaded)."""

from __future__ import annotations

import hashlib
import io
import json
import pickle
import struct
import tarfile
from pathlib import Path

import numpy as np

FIXTURE = Path(__file__).parent / "fixtures" / "keras_datasets.npz"


class Py2Pickler(pickle._Pickler):
    """Protocol 2 with `bytes` written as Python 2 `str` opcodes, as CIFAR's files are."""

    dispatch = pickle._Pickler.dispatch.copy()

    def save_py2_str(self, obj):
        if len(obj) < 256:
            self.write(pickle.SHORT_BINSTRING + bytes([len(obj)]) + obj)
        else:
            self.write(pickle.BINSTRING + struct.pack("<i", len(obj)) + obj)
        self.memoize(obj)

    dispatch[bytes] = save_py2_str


def py2_pickle(obj) -> bytes:
    """A pickle like CIFAR's: Python 2 strings, NumPy 1's `numpy.core.multiarray` module."""
    buffer = io.BytesIO()
    Py2Pickler(buffer, protocol=2).dump(obj)
    return buffer.getvalue().replace(b"numpy._core.multiarray\n", b"numpy.core.multiarray\n")


def cifar_batch(data: np.ndarray, labels: dict) -> bytes:
    return py2_pickle({b"batch_label": b"synthetic", b"data": data,
                       b"filenames": [b"f%d.png" % i for i in range(len(data))],
                       **{k.encode(): v for k, v in labels.items()}})


def tar_gz(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, content in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def npz_bytes(**arrays) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)  # object arrays are written as pickles, as Keras's files
    return buffer.getvalue()


def keras_fixture():
    data = np.load(FIXTURE)
    return data, json.loads(str(data["meta"]))


def ragged(data, key: str):
    """An object array of lists (or a plain array) stored by tools/keras_fixtures/datasets.py."""
    if key in data:
        return data[key]
    flat, lengths = data[f"{key}/flat"], data[f"{key}/lengths"]
    out = np.empty(len(lengths), dtype=object)
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    for i in range(len(lengths)):
        out[i] = flat[offsets[i]:offsets[i + 1]].tolist()
    return out


def assert_same(mine, theirs, dtype: str):
    assert str(mine.dtype) == dtype
    if theirs.dtype == object:
        assert mine.dtype == object and [list(r) for r in mine] == [list(r) for r in theirs]
    else:
        np.testing.assert_array_equal(mine, theirs)
