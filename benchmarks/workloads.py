"""The benchmark workloads and their data (shared by every system measured).

W1: the first report's MLP (784-300-100-10, Adam, batch 32) on 60,000 samples.
W2: W1 with the first Dense frozen.
W3: a small CNN (Conv2D 32 -> pool -> Conv2D 64 -> pool -> Dense 10, batch 128)
    on 10,000 samples.
Real data (Fashion-MNIST from Debian's `dataset-fashion-mnist`) when installed,
random data of the same shapes otherwise; `data_source()` says which.
"""

from __future__ import annotations

import numpy as np

WORKLOADS = {
    "W1": {"model": "mlp", "frozen_first": False, "batch_size": 32, "samples": 60000},
    "W2": {"model": "mlp", "frozen_first": True, "batch_size": 32, "samples": 60000},
    "W3": {"model": "cnn", "frozen_first": False, "batch_size": 128, "samples": 10000},
}


def load(samples: int):
    """(x_train, y_train, x_test, y_test, source): float32 in [0, 1], int labels."""
    try:
        from hoarfrost.datasets import fashion_mnist
        (x, y), (xt, yt) = fashion_mnist.load_data()
        source = "Fashion-MNIST (real)"
    except Exception:
        rng = np.random.default_rng(0)
        x = rng.integers(0, 256, (60000, 28, 28), dtype=np.uint8)
        y = rng.integers(0, 10, 60000).astype(np.uint8)
        xt, yt = x[:10000], y[:10000]
        source = "random (Fashion-MNIST not installed)"
    x = (x[:samples].astype("float32") / 255.0)
    xt = xt.astype("float32") / 255.0
    return x, y[:samples].astype("int32"), xt, yt.astype("int32"), source
