"""Shared by `cifar10` and `cifar100`: finding the extracted batches, reading one safely."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import numpy as np

from hoarfrost.datasets import _download
from hoarfrost.datasets._download import DatasetUnavailableError
from hoarfrost.datasets._safe_pickle import load_pickle


def load_batch(fpath, label_key: str = "labels") -> tuple[np.ndarray, list]:
    """One CIFAR batch file: `(data (n, 3, 32, 32) uint8, labels)`, without running pickled code."""
    try:
        with open(fpath, "rb") as f:
            batch = load_pickle(f, encoding="bytes")
        batch = {k.decode("utf8") if isinstance(k, bytes) else k: v for k, v in batch.items()}
        data, labels = batch["data"], batch[label_key]
        data = np.asarray(data).reshape(len(data), 3, 32, 32)
    except (OSError, EOFError, pickle.UnpicklingError, KeyError, ValueError, TypeError,
            AttributeError) as err:
        raise DatasetUnavailableError(
            f"{fpath} is not a readable CIFAR batch ({type(err).__name__}: {err}); delete it to "
            "download again.") from err
    return data, labels


def batches_folder(target: str, inner: str, keras_origin: str, file_hash: str,
                   files: tuple[str, ...]) -> Path:
    """The folder holding CIFAR's batch `files`, extracted where Keras (3 or 2) leaves it.

    Looks in hoarfrost's and Keras's caches for `<target>/<inner>/` (Keras 3's
    layout) or `<inner>/` (Keras 2's); otherwise fetches and extracts the
    archive with `get_file`, as Keras does.
    """
    homes = (_download.datasets_dir(), _download.keras_datasets_dir())
    for home in homes:
        for folder in (home / target / inner, home / inner):
            if all((folder / f).is_file() for f in files):
                return folder
    archive = os.path.basename(keras_origin)
    advice = (f"Or extract {archive} yourself so that {homes[0] / target / inner} holds "
              f"{', '.join(files)}.")
    path = _download.get_dataset_file(target, keras_origin, file_hash, extract=True,
                                      advice=advice)
    folder = Path(path) / inner
    missing = [f for f in files if not (folder / f).is_file()]
    if missing:
        raise DatasetUnavailableError(f"The extracted archive in {path} lacks "
                                      f"{', '.join(inner + '/' + m for m in missing)}.")
    return folder
