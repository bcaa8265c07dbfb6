"""Tests for hoarfrost.datasets.mnist and the shared download helpers.

Nothing here reaches the internet: every test runs with the origin pointed at
loopback (a closed port unless a test serves files from 127.0.0.1).
"""

from __future__ import annotations

import ast
import functools
import hashlib
import http.server
import io
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from hoarfrost import datasets
from hoarfrost.datasets import DatasetUnavailableError, _download, mnist


class _Handler(http.server.SimpleHTTPRequestHandler):
    def do_GET(self):
        self.server.requests.append(self.path)
        if self.path.startswith("/slow/"):
            time.sleep(1.0)  # the client has given up by now
        try:
            super().do_GET()
        except (BrokenPipeError, ConnectionResetError):
            pass

    def log_message(self, *args):
        pass


@pytest.fixture(autouse=True)
def offline(tmp_path, monkeypatch):
    """Isolates the cache in tmp_path and points downloads at a closed loopback port."""
    monkeypatch.setenv("HOARFROST_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("HOARFROST_DATASETS_ORIGIN", "http://127.0.0.1:1/")
    return tmp_path / "home" / "datasets"


@pytest.fixture
def server(tmp_path, monkeypatch):
    """Serves tmp_path/www on 127.0.0.1 and points the origin at it."""
    root = tmp_path / "www"
    root.mkdir()
    httpd = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_Handler, directory=str(root))
    )
    httpd.daemon_threads = True
    httpd.block_on_close = False
    httpd.requests = []
    thread = threading.Thread(target=httpd.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    monkeypatch.setenv("HOARFROST_DATASETS_ORIGIN", f"http://127.0.0.1:{httpd.server_port}/")
    yield root, httpd.requests
    httpd.shutdown()
    httpd.server_close()
    thread.join(5)


def _fake_npz(seed: int = 0) -> tuple[bytes, dict[str, np.ndarray]]:
    rng = np.random.default_rng(seed)
    arrays = {
        "x_train": rng.integers(0, 256, (5, 28, 28), dtype=np.uint8),
        "y_train": rng.integers(0, 10, 5, dtype=np.uint8),
        "x_test": rng.integers(0, 256, (3, 28, 28), dtype=np.uint8),
        "y_test": rng.integers(0, 10, 3, dtype=np.uint8),
    }
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue(), arrays


def _assert_arrays(result, arrays):
    (x_train, y_train), (x_test, y_test) = result
    for got, key in ((x_train, "x_train"), (y_train, "y_train"), (x_test, "x_test"),
                     (y_test, "y_test")):
        np.testing.assert_array_equal(got, arrays[key])
        assert got.dtype == np.uint8


def test_download_verifies_hash_and_caches(server, offline, monkeypatch):
    root, requests = server
    data, arrays = _fake_npz()
    (root / "mnist.npz").write_bytes(data)
    monkeypatch.setattr(mnist, "FILE_HASH", hashlib.sha256(data).hexdigest())

    _assert_arrays(mnist.load_data(), arrays)
    assert (offline / "mnist.npz").read_bytes() == data
    assert sorted(p.name for p in offline.iterdir()) == ["mnist.npz"]  # no temp file left
    _assert_arrays(mnist.load_data(), arrays)  # second call: from the cache
    assert requests == ["/mnist.npz"]


def test_hash_mismatch_raises_and_leaves_no_file(server, offline, monkeypatch):
    root, _ = server
    data, _ = _fake_npz()
    (root / "mnist.npz").write_bytes(data)
    monkeypatch.setattr(mnist, "FILE_HASH", hashlib.sha256(b"other bytes").hexdigest())

    with pytest.raises(DatasetUnavailableError, match="SHA-256 mismatch"):
        mnist.load_data()
    assert list(offline.iterdir()) == []


def test_cached_file_used_as_is_without_network(server, offline):
    _, requests = server
    data, arrays = _fake_npz(1)  # its hash is not FILE_HASH: a cached file is not checked
    offline.mkdir(parents=True)
    (offline / "mnist.npz").write_bytes(data)

    _assert_arrays(mnist.load_data(), arrays)
    assert requests == []


def test_custom_path_caches_under_that_name(server, offline, monkeypatch):
    root, requests = server
    data, arrays = _fake_npz()
    (root / "mnist.npz").write_bytes(data)
    monkeypatch.setattr(mnist, "FILE_HASH", hashlib.sha256(data).hexdigest())

    _assert_arrays(mnist.load_data(path="digits.npz"), arrays)
    assert (offline / "digits.npz").is_file() and requests == ["/mnist.npz"]


def test_404_names_url_cache_path_and_sample(server, offline):
    with pytest.raises(DatasetUnavailableError) as info:
        mnist.load_data()
    message = str(info.value)
    assert _download.origin_url("mnist.npz") in message
    assert "404" in message
    assert str(offline / "mnist.npz") in message
    assert "hoarfrost.datasets.mnist.load_sample()" in message
    assert not (offline / "mnist.npz").exists()


def test_connection_refused_raises():
    with pytest.raises(DatasetUnavailableError, match="127.0.0.1:1/mnist.npz"):
        mnist.load_data()


def test_timeout_raises(server, offline, monkeypatch):
    root, _ = server
    (root / "slow").mkdir()
    (root / "slow" / "mnist.npz").write_bytes(b"late")
    monkeypatch.setattr(_download, "TIMEOUT", 0.2)
    url = _download.origin_url("slow/mnist.npz")
    with pytest.raises(DatasetUnavailableError, match="timed out"):
        _download.fetch(url, offline / "mnist.npz", advice="")
    assert list(offline.iterdir()) == []


def test_failed_fetch_keeps_existing_file(server, offline):
    root, _ = server
    (root / "f.bin").write_bytes(b"new")
    offline.mkdir(parents=True)
    (offline / "f.bin").write_bytes(b"old")
    with pytest.raises(DatasetUnavailableError):
        _download.fetch(_download.origin_url("f.bin"), offline / "f.bin", advice="",
                        sha256=hashlib.sha256(b"not new").hexdigest())
    assert (offline / "f.bin").read_bytes() == b"old"
    assert [p.name for p in offline.iterdir()] == ["f.bin"]


def test_unreadable_cached_file_raises_naming_it(offline):
    offline.mkdir(parents=True)
    (offline / "mnist.npz").write_bytes(b"not an npz")
    with pytest.raises(DatasetUnavailableError, match="not a readable MNIST"):
        mnist.load_data()


def test_cache_dir_defaults_to_home(monkeypatch, tmp_path):
    monkeypatch.delenv("HOARFROST_HOME")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert _download.datasets_dir() == tmp_path / ".hoarfrost" / "datasets"


def test_origin_url_appends_file_name(monkeypatch):
    monkeypatch.setenv("HOARFROST_DATASETS_ORIGIN", "http://127.0.0.1:8/mirror")
    assert _download.origin_url("a.npz") == "http://127.0.0.1:8/mirror/a.npz"
    monkeypatch.delenv("HOARFROST_DATASETS_ORIGIN")
    assert _download.origin_url("mnist.npz") == (
        "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"
    )


def test_load_sample():
    (x_train, y_train), (x_test, y_test) = mnist.load_sample()
    assert x_train.shape == (8000, 28, 28) and y_train.shape == (8000,)
    assert x_test.shape == (2000, 28, 28) and y_test.shape == (2000,)
    for array in (x_train, y_train, x_test, y_test):
        assert array.dtype == np.uint8
    assert x_train.max() == 255 and x_train.min() == 0
    for labels in (y_train, y_test):
        assert labels.max() <= 9
        assert set(np.unique(labels)) == set(range(10))


def test_error_is_runtime_error_and_reexported():
    assert issubclass(DatasetUnavailableError, RuntimeError)
    assert datasets.DatasetUnavailableError is _download.DatasetUnavailableError
    assert datasets.mnist is mnist


def test_package_imports_only_numpy_and_stdlib():
    package_dir = Path(datasets.__file__).parent
    # get_file (and its progress bar) are shared with hoarfrost.utils; they too need only these.
    shared = [package_dir.parent / "file_utils.py", package_dir.parent / "progbar.py"]
    for source in [*package_dir.glob("*.py"), *shared]:
        for node in ast.walk(ast.parse(source.read_text())):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                ok = top in sys.stdlib_module_names or top == "numpy"
                assert ok or name.startswith("hoarfrost.datasets") or name in (
                "hoarfrost.file_utils", "hoarfrost.progbar"), f"{source.name}: {name}"


def test_keras_cache_copy_is_used_when_its_hash_is_right(keras_home, offline, monkeypatch):
    data, arrays = _fake_npz(2)
    keras_home.mkdir(parents=True)
    (keras_home / "mnist.npz").write_bytes(data)
    with pytest.raises(DatasetUnavailableError):  # not Keras's file: not used, not found
        mnist.load_data()
    monkeypatch.setattr(mnist, "FILE_HASH", hashlib.sha256(data).hexdigest())
    _assert_arrays(mnist.load_data(), arrays)
    assert not offline.exists() or list(offline.iterdir()) == []  # read where it lies
