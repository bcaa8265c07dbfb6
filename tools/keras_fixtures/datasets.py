"""Keras fixtures for hoarfrost.datasets: imdb, reuters, boston_housing, california_housing.

Run from this folder:

    cd tools/keras_fixtures && KERAS_BACKEND=jax ../../.venv-keras/bin/python datasets.py

Builds small synthetic files in Keras's formats (IMDB / Reuters: .npz of
ragged object arrays; the housing sets: .npz of x and y), runs Keras's own
`load_data` on them (its `get_file` pointed at the synthetic file) with
several arguments, and writes tests/datasets/fixtures/keras_datasets.npz:
the synthetic inputs and Keras's outputs, ragged arrays stored flat with
their lengths (`<key>/flat`, `<key>/lengths`), arguments in `meta` (JSON).
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import numpy as np

os.environ.setdefault("KERAS_BACKEND", "jax")
from keras.src.datasets import boston_housing, california_housing, imdb, reuters  # noqa: E402

OUT = Path(__file__).resolve().parents[2] / "tests" / "datasets" / "fixtures"
rng = np.random.default_rng(0)


def ragged(count: int, top: int) -> np.ndarray:
    out = np.empty(count, dtype=object)
    for i in range(count):
        out[i] = rng.integers(1, top, size=int(rng.integers(1, 15))).tolist()
    return out


def put(data: dict, key: str, array) -> None:
    array = np.asarray(array, dtype=object) if not isinstance(array, np.ndarray) else array
    if array.dtype == object:
        rows = [list(r) for r in array]
        data[f"{key}/flat"] = np.array([w for r in rows for w in r], dtype=np.int64)
        data[f"{key}/lengths"] = np.array([len(r) for r in rows], dtype=np.int64)
    else:
        data[key] = array


def run(module, path: str, kwargs: dict):
    original = module.get_file
    module.get_file = lambda *a, **k: path
    try:
        return module.load_data(**kwargs)
    finally:
        module.get_file = original


def main() -> None:
    data, meta = {}, {}
    inputs = {
        "imdb": {"x_train": ragged(30, 40), "y_train": rng.integers(0, 2, 30),
                 "x_test": ragged(20, 40), "y_test": rng.integers(0, 2, 20)},
        "reuters": {"x": ragged(40, 30), "y": rng.integers(0, 46, 40)},
        "boston_housing": {"x": rng.normal(size=(50, 13)), "y": rng.normal(size=50) * 10 + 20},
        "california_housing": {"x": rng.normal(size=(610, 2)).astype(np.float32),
                               "y": (rng.random(610) * 5e5).astype(np.float32)},
    }
    cases = {
        "imdb": [{}, {"num_words": 20, "skip_top": 2}, {"maxlen": 8, "seed": 1},
                 {"start_char": None, "oov_char": None, "index_from": 0},
                 {"start_char": None, "index_from": 2, "oov_char": 5, "num_words": 25}],
        "reuters": [{}, {"test_split": 0.3, "num_words": 15, "maxlen": 10},
                    {"start_char": None, "index_from": 0},
                    {"oov_char": None, "skip_top": 3, "seed": 4}],
        "boston_housing": [{}, {"test_split": 0.1, "seed": 5}, {"test_split": 0.0}],
        "california_housing": [{}, {"version": "small"},
                               {"version": "small", "test_split": 0.5, "seed": 9}],
    }
    modules = {"imdb": imdb, "reuters": reuters, "boston_housing": boston_housing,
               "california_housing": california_housing}
    with tempfile.TemporaryDirectory() as root:
        for name, arrays in inputs.items():
            path = os.path.join(root, f"{name}.npz")
            np.savez(path, **arrays)
            for key, array in arrays.items():
                put(data, f"{name}/input/{key}", array)
            meta[name] = cases[name]
            for i, kwargs in enumerate(cases[name]):
                (x_train, y_train), (x_test, y_test) = run(modules[name], path, kwargs)
                for key, array in (("x_train", x_train), ("y_train", y_train),
                                   ("x_test", x_test), ("y_test", y_test)):
                    put(data, f"{name}/{i}/{key}", array)
                    data[f"{name}/{i}/{key}/dtype"] = np.array(str(np.asarray(array).dtype))
    data["meta"] = np.array(json.dumps(meta))
    OUT.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(OUT / "keras_datasets.npz", **data)
    print("wrote", OUT / "keras_datasets.npz")


if __name__ == "__main__":
    main()
