"""California housing prices, as ``keras.datasets.california_housing``."""

from __future__ import annotations

import numpy as np

from hoarfrost.datasets import _housing

FILE_HASH = "1a2e3a52e0398de6463aebe6f4a8da34fb21fbb6b934cf88c3425e766f2a1a6f"

Split = tuple[np.ndarray, np.ndarray]


def load_data(version: str = "large", path: str = "california_housing.npz",
              test_split: float = 0.2, seed: int = 113) -> tuple[Split, Split]:
    """Loads California housing: 20,640 block groups of 8 features, prices in dollars.

    Args:
        version: 'large' (all 20,640 samples) or 'small' (the first 600).
        path: the file's name in the cache.
        test_split: the fraction held out for testing, in [0, 1).
        seed: the shuffle's seed.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: ``(n, 8)`` and ``(n,)`` floats.
    """
    _housing.check_test_split(test_split)
    x, y = _housing.read_xy(path, "california_housing.npz", FILE_HASH)
    if version == "small":
        x, y = x[:600], y[:600]
    elif version != "large":
        raise ValueError("Argument `version` must be one of 'small', 'large'. Received: "
                         f"version={version}")
    return _housing.split(x, y, test_split, seed)
