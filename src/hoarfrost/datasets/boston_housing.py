"""Boston housing prices, as ``keras.datasets.boston_housing``."""

from __future__ import annotations

import numpy as np

from hoarfrost.datasets import _housing

FILE_HASH = "f553886a1f8d56431e820c5b82552d9d95cfcb96d1e678153f8839538947dff5"

Split = tuple[np.ndarray, np.ndarray]


def load_data(path: str = "boston_housing.npz", test_split: float = 0.2,
              seed: int = 113) -> tuple[Split, Split]:
    """Loads the Boston housing dataset: 506 samples of 13 attributes, prices in k$.

    Keras warns that the dataset has an ethical problem (its "B" attribute);
    use it only to illustrate that. Shuffled with `seed` and split as Keras.

    Args:
        path: the file's name in the cache.
        test_split: the fraction held out for testing, in [0, 1).
        seed: the shuffle's seed.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: ``(n, 13)`` and ``(n,)`` floats.
    """
    _housing.check_test_split(test_split)
    x, y = _housing.read_xy(path, "boston_housing.npz", FILE_HASH)
    return _housing.split(x, y, test_split, seed)
