"""Shared by `boston_housing` and `california_housing`: Keras's seeded split of x, y."""

from __future__ import annotations

import zipfile

import numpy as np

from hoarfrost.datasets import _download
from hoarfrost.datasets._download import DatasetUnavailableError

KERAS_ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"


def check_test_split(test_split: float) -> None:
    if not 0 <= test_split < 1:
        raise ValueError(f"Invalid `test_split` argument: {test_split}. It must be between 0 "
                         "and 1 (exclusive of 1).")


def read_xy(path: str, keras_name: str, file_hash: str) -> tuple[np.ndarray, np.ndarray]:
    local = _download.get_dataset_file(path, KERAS_ORIGIN + keras_name, file_hash)
    try:
        with np.load(local, allow_pickle=False) as f:
            return f["x"], f["y"]
    except (OSError, EOFError, ValueError, KeyError, zipfile.BadZipFile) as err:
        raise DatasetUnavailableError(f"{local} is not a readable dataset file "
                                      f"({type(err).__name__}: {err}).") from err


def split(x: np.ndarray, y: np.ndarray, test_split: float, seed: int):
    rng = np.random.RandomState(seed)
    indices = np.arange(len(x))
    rng.shuffle(indices)
    x, y = x[indices], y[indices]
    cut = int(len(x) * (1 - test_split))
    return (np.array(x[:cut]), np.array(y[:cut])), (np.array(x[cut:]), np.array(y[cut:]))
