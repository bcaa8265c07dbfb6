"""Offline data for the Keras twins of the guide ports (NumPy only, no hoarfrost import).

The hoarfrost twin imports `hoarfrost.datasets.mnist.load_sample` under the same name,
which reads this same file, so both programs train on the same 8,000/2,000 real digits.
"""

import pathlib

import numpy as np

_SAMPLE = (pathlib.Path(__file__).resolve().parents[3]
           / "src" / "hoarfrost" / "datasets" / "data" / "mnist_sample.npz")


def mnist_sample():
    """((x_train, y_train), (x_test, y_test)): uint8 (8000, 28, 28), (8000,), (2000, ...)."""
    with np.load(_SAMPLE, allow_pickle=False) as f:
        return (f["x_train"], f["y_train"]), (f["x_test"], f["y_test"])
