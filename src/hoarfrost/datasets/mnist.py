"""MNIST handwritten digits, as ``keras.datasets.mnist``, plus an offline sample."""

from __future__ import annotations

import importlib.resources
import zipfile
from pathlib import Path

import numpy as np

from hoarfrost.datasets import _download
from hoarfrost.datasets._download import DatasetUnavailableError

FILE_NAME = "mnist.npz"
# SHA-256 of Keras's mnist.npz (keras/src/datasets/mnist.py).
FILE_HASH = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"
_SAMPLE = "mnist_sample.npz"

Split = tuple[np.ndarray, np.ndarray]


def _read_npz(source) -> tuple[Split, Split]:
    with np.load(source, allow_pickle=False) as f:
        return (f["x_train"], f["y_train"]), (f["x_test"], f["y_test"])


def load_data(path: str = FILE_NAME) -> tuple[Split, Split]:
    """Loads MNIST: 60,000 training and 10,000 test 28x28 grey digits.

    Looks for ``$HOARFROST_HOME/datasets/<path>`` (``HOARFROST_HOME`` defaults
    to ``~/.hoarfrost``) and uses a file found there as it is, so one can be
    placed by hand; then for Keras's copy, ``~/.keras/datasets/<path>``
    (``$KERAS_HOME``), if its SHA-256 is right. Otherwise downloads Keras's ``mnist.npz`` from
    ``$HOARFROST_DATASETS_ORIGIN`` (a base URL, default Keras's mirror
    https://storage.googleapis.com/tensorflow/tf-keras-datasets/), checks its
    SHA-256 and stores it there atomically.

    Args:
        path: File name to cache the dataset under, relative to
            ``$HOARFROST_HOME/datasets``.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: uint8 arrays of shapes
        (60000, 28, 28), (60000,), (10000, 28, 28), (10000,); pixels 0-255,
        labels 0-9.

    Raises:
        DatasetUnavailableError: if the file is absent and cannot be
            downloaded, or the cached file is unreadable. ``load_sample()``
            works offline.

    Example:
        >>> from hoarfrost.datasets import mnist
        >>> (x_train, y_train), (x_test, y_test) = mnist.load_data()  # doctest: +SKIP
        >>> x_train.shape, y_test.shape  # doctest: +SKIP
        ((60000, 28, 28), (10000,))

    License: MNIST is by Yann LeCun, Corinna Cortes and Christopher Burges,
    available under CC BY-SA 3.0.
    """
    dest = _download.datasets_dir() / path
    keras_copy = _download.keras_datasets_dir() / path
    if not dest.is_file() and keras_copy.is_file() and _download.sha256_file(
            keras_copy) == FILE_HASH:
        dest = keras_copy  # Keras already downloaded it: read it where it lies
    if not dest.is_file():
        url = _download.origin_url(FILE_NAME)
        _download.fetch(
            url,
            dest,
            sha256=FILE_HASH,
            advice=(
                f"Place Keras's {FILE_NAME} (SHA-256 {FILE_HASH}) at {dest} by hand, or "
                "call hoarfrost.datasets.mnist.load_sample(), which returns a shipped "
                "real 8,000/2,000-digit sample offline."
            ),
        )
    try:
        return _read_npz(dest)
    except (OSError, EOFError, ValueError, KeyError, zipfile.BadZipFile) as err:
        raise DatasetUnavailableError(
            f"{dest} is not a readable MNIST .npz ({type(err).__name__}: {err}); delete it "
            "to download again, or call hoarfrost.datasets.mnist.load_sample()."
        ) from err


def load_sample() -> tuple[Split, Split]:
    """Loads a shipped sample of 10,000 real MNIST digits; needs no network.

    For examples and tests that must run offline. Pixels may be one grey level
    off MNIST's (see ``data/LICENSE-mnist-sample.txt``).

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: uint8 arrays of shapes
        (8000, 28, 28), (8000,), (2000, 28, 28), (2000,).
    """
    resource = importlib.resources.files("hoarfrost.datasets") / "data" / _SAMPLE
    with importlib.resources.as_file(resource) as sample:
        return _read_npz(Path(sample))
