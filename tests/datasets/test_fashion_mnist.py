"""Tests for hoarfrost.datasets.fashion_mnist, on tiny IDX files made here.

Nothing here reaches the internet: every test runs with the origin pointed at
loopback and the system directories hidden (except the Debian-package test).
"""

from __future__ import annotations

import functools
import gzip
import http.server
import struct
import threading
from pathlib import Path

import numpy as np
import pytest

from hoarfrost.datasets import DatasetUnavailableError, _download, fashion_mnist

COUNTS = {"train": 4, "t10k": 3}
SYSTEM_DIRS = fashion_mnist.SYSTEM_DIRS  # the real ones; the fixture hides them


class _Handler(http.server.SimpleHTTPRequestHandler):
    def do_GET(self):
        self.server.requests.append(self.path)
        super().do_GET()

    def log_message(self, *args):
        pass


@pytest.fixture(autouse=True)
def offline(tmp_path, monkeypatch):
    """Isolates the cache, hides system dirs and points downloads at a closed port."""
    monkeypatch.setenv("HOARFROST_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("HOARFROST_DATASETS_ORIGIN", "http://127.0.0.1:1/")
    monkeypatch.delenv(fashion_mnist.DIR_ENV, raising=False)
    monkeypatch.setattr(fashion_mnist, "SYSTEM_DIRS", ())
    monkeypatch.setattr(fashion_mnist, "EXPECTED_COUNTS", COUNTS)
    return tmp_path / "home" / "datasets" / "fashion-mnist"


@pytest.fixture
def server(tmp_path, monkeypatch):
    """Serves tmp_path/www on 127.0.0.1 and points the origin at it."""
    root = tmp_path / "www"
    root.mkdir()
    httpd = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_Handler, directory=str(root))
    )
    httpd.daemon_threads = True
    httpd.requests = []
    thread = threading.Thread(target=httpd.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    monkeypatch.setenv("HOARFROST_DATASETS_ORIGIN", f"http://127.0.0.1:{httpd.server_port}/")
    yield root, httpd.requests
    httpd.shutdown()
    httpd.server_close()
    thread.join(5)


def _idx(array: np.ndarray, code: int = 0x08) -> bytes:
    header = struct.pack(">BBBB", 0, 0, code, array.ndim)
    header += struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


def _write_set(directory: Path, seed: int = 0, counts=COUNTS) -> dict[str, np.ndarray]:
    """Writes the four gzipped IDX files; returns the arrays by file name."""
    rng = np.random.default_rng(seed)
    directory.mkdir(parents=True, exist_ok=True)
    arrays = {}
    for fname in fashion_mnist.FILES:
        n = counts[fname.split("-")[0]]
        shape = (n,) if "labels" in fname else (n, 28, 28)
        arrays[fname] = rng.integers(0, 256 if len(shape) > 1 else 10, shape, dtype=np.uint8)
        (directory / fname).write_bytes(gzip.compress(_idx(arrays[fname])))
    return arrays


def _assert_loaded(result, arrays):
    (x_train, y_train), (x_test, y_test) = result
    expected = [arrays[f] for f in fashion_mnist.FILES]
    for got, want in zip((y_train, x_train, y_test, x_test), expected):
        assert got.dtype == np.uint8
        np.testing.assert_array_equal(got, want)


def test_read_idx_round_trips(tmp_path):
    images = np.arange(2 * 28 * 28, dtype=np.uint8).reshape(2, 28, 28)
    (tmp_path / "a.gz").write_bytes(gzip.compress(_idx(images)))
    out = fashion_mnist.read_idx(tmp_path / "a.gz")
    np.testing.assert_array_equal(out, images)
    assert out.flags.writeable
    floats = np.array([[1.5, -2.0, 3.25]], dtype=np.float32)
    (tmp_path / "f.idx").write_bytes(_idx(floats, 0x0D))  # uncompressed, big-endian floats
    out = fashion_mnist.read_idx(tmp_path / "f.idx")
    np.testing.assert_array_equal(out, floats)
    assert out.dtype.isnative


@pytest.mark.parametrize(
    "payload, match",
    [
        (b"\x00\x00\x07\x01" + struct.pack(">I", 1) + b"\x00", "not an IDX"),
        (b"\x00\x00\x08\x03\x00", "truncated"),
        (b"\x00\x00\x08\x01" + struct.pack(">I", 5) + b"\x00\x01", "payload"),
        (gzip.compress(b"\x00\x00\x08\x01" + struct.pack(">I", 1) + b"\x00", mtime=0)[:-6], "gzip"),
    ],
    ids=["magic", "truncated", "payload", "gzip"],
)
def test_read_idx_rejects_malformed(tmp_path, payload, match):
    (tmp_path / "bad").write_bytes(payload)
    with pytest.raises(ValueError, match=match):
        fashion_mnist.read_idx(tmp_path / "bad")


def test_hoarfrost_home_lookup(offline):
    arrays = _write_set(offline)
    _assert_loaded(fashion_mnist.load_data(), arrays)


def test_env_dir_takes_precedence(offline, tmp_path, monkeypatch):
    _write_set(offline, seed=1)
    arrays = _write_set(tmp_path / "elsewhere", seed=2)
    monkeypatch.setenv(fashion_mnist.DIR_ENV, str(tmp_path / "elsewhere"))
    _assert_loaded(fashion_mnist.load_data(), arrays)


def test_env_dir_missing_file_raises(tmp_path, monkeypatch):
    _write_set(tmp_path / "elsewhere")
    (tmp_path / "elsewhere" / "t10k-labels-idx1-ubyte.gz").unlink()
    monkeypatch.setenv(fashion_mnist.DIR_ENV, str(tmp_path / "elsewhere"))
    with pytest.raises(DatasetUnavailableError, match="t10k-labels-idx1-ubyte.gz"):
        fashion_mnist.load_data()


def test_system_dir_lookup(tmp_path, monkeypatch):
    arrays = _write_set(tmp_path / "system")
    monkeypatch.setattr(fashion_mnist, "SYSTEM_DIRS", ("/nonexistent", str(tmp_path / "system")))
    _assert_loaded(fashion_mnist.load_data(), arrays)


def test_download_from_loopback(server, offline):
    root, requests = server
    arrays = _write_set(root)
    _assert_loaded(fashion_mnist.load_data(), arrays)
    assert sorted(p.name for p in offline.iterdir()) == sorted(fashion_mnist.FILES)
    _assert_loaded(fashion_mnist.load_data(), arrays)  # second call: from the cache
    assert sorted(requests) == sorted(f"/{f}" for f in fashion_mnist.FILES)


def test_partial_cache_downloads_only_missing(server, offline):
    root, requests = server
    arrays = _write_set(root)
    _write_set(offline)
    (offline / "train-images-idx3-ubyte.gz").unlink()
    _assert_loaded(fashion_mnist.load_data(), arrays)
    assert requests == ["/train-images-idx3-ubyte.gz"]


def test_download_with_wrong_size_is_rejected(server, offline):
    root, _ = server
    _write_set(root, counts={"train": 5, "t10k": 3})  # train files hold 5, not 4
    with pytest.raises(DatasetUnavailableError, match="train-labels-idx1-ubyte.gz"):
        fashion_mnist.load_data()
    assert list(offline.iterdir()) == []  # no partial or invalid file kept


def test_download_of_non_idx_is_rejected(server, offline):
    root, _ = server
    _write_set(root)
    (root / "train-labels-idx1-ubyte.gz").write_bytes(b"<html>not found</html>")
    with pytest.raises(DatasetUnavailableError, match="not an IDX"):
        fashion_mnist.load_data()
    assert list(offline.iterdir()) == []


def test_404_names_url_cache_and_debian_package(server, offline):
    with pytest.raises(DatasetUnavailableError) as info:
        fashion_mnist.load_data()
    message = str(info.value)
    assert _download.origin_url("train-labels-idx1-ubyte.gz") in message
    assert "404" in message
    assert str(offline) in message
    assert "dataset-fashion-mnist" in message


def test_mismatched_counts_raise(offline):
    arrays = _write_set(offline)
    labels = arrays["train-labels-idx1-ubyte.gz"][:2]
    (offline / "train-labels-idx1-ubyte.gz").write_bytes(gzip.compress(_idx(labels)))
    with pytest.raises(DatasetUnavailableError, match="do not match"):
        fashion_mnist.load_data()


@pytest.mark.skipif(
    not any(all(Path(d, f).is_file() for f in fashion_mnist.FILES) for d in SYSTEM_DIRS),
    reason="Debian package dataset-fashion-mnist is not installed",
)
def test_debian_package(monkeypatch):
    monkeypatch.setattr(fashion_mnist, "SYSTEM_DIRS", SYSTEM_DIRS)
    (x_train, y_train), (x_test, y_test) = fashion_mnist.load_data()
    assert x_train.shape == (60000, 28, 28) and y_train.shape == (60000,)
    assert x_test.shape == (10000, 28, 28) and y_test.shape == (10000,)
    assert x_train.dtype == y_train.dtype == np.uint8
    assert set(np.unique(y_test)) == set(range(10))
    assert np.bincount(y_train).tolist() == [6000] * 10


def test_keras_cache_lookup(keras_home):
    arrays = _write_set(keras_home / "fashion-mnist")  # where Keras's get_file puts them
    _assert_loaded(fashion_mnist.load_data(), arrays)
