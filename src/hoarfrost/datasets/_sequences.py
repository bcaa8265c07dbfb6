"""Shared by `imdb` and `reuters`: Keras's word-index processing and safe file reading."""

from __future__ import annotations

import json
import pickle
import zipfile

import numpy as np

from hoarfrost.datasets import _download
from hoarfrost.datasets._download import DatasetUnavailableError
from hoarfrost.datasets._safe_pickle import load_npz

KERAS_ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"


def read_npz(path: str, keys: tuple[str, ...]) -> list[np.ndarray]:
    try:
        arrays = load_npz(path)
        return [arrays[k] for k in keys]
    except (OSError, EOFError, ValueError, KeyError, zipfile.BadZipFile,
            pickle.UnpicklingError) as err:
        raise DatasetUnavailableError(
            f"{path} is not a readable dataset file ({type(err).__name__}: {err}); delete it to "
            "download again.") from err


def remove_long_seq(maxlen: int, seq, label):
    """Keep the sequences shorter than `maxlen` (strictly, as Keras)."""
    new_seq, new_label = [], []
    for x, y in zip(seq, label):
        if len(x) < maxlen:
            new_seq.append(x)
            new_label.append(y)
    return new_seq, new_label


def shift(xs, start_char, index_from):
    """Prefix `start_char` and add `index_from` to every word, as Keras does."""
    if start_char is not None:
        return [[start_char] + [w + index_from for w in x] for x in xs]
    if index_from:
        return [[w + index_from for w in x] for x in xs]
    return [[w for w in x] for x in xs]


def cut_vocabulary(xs, num_words, skip_top, oov_char):
    """Replace (or drop, with `oov_char=None`) words outside `[skip_top, num_words)`.

    Without `num_words` the bound is the largest index seen -- which, as in
    Keras, itself falls outside and becomes `oov_char`.
    """
    if not num_words:
        num_words = max(max(x) for x in xs)
    if oov_char is not None:
        return [[w if skip_top <= w < num_words else oov_char for w in x] for x in xs]
    return [[w for w in x if skip_top <= w < num_words] for x in xs]


def get_word_index(path: str, keras_name: str, file_hash: str) -> dict[str, int]:
    local = _download.get_dataset_file(path, KERAS_ORIGIN + keras_name, file_hash)
    try:
        with open(local, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError) as err:
        raise DatasetUnavailableError(f"{local} is not a readable word index ({err}).") from err
