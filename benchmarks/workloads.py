"""The benchmark workloads and their data (shared by every system measured).

W1: the first report's MLP (784-300-100-10, Adam, batch 32) on 60,000 samples.
W2: W1 with the first Dense frozen.
W3: a small CNN (Conv2D 32 -> pool -> Conv2D 64 -> pool -> Dense 10, batch 128)
    on 10,000 samples.
Real data (Fashion-MNIST from Debian's `dataset-fashion-mnist`) when installed,
random data of the same shapes otherwise; `load()` says which.

W4-W8 (models: benchmarks/models.py; hand-written JAX: reference_jax_models.py):
W4: a ResNet-style CNN (3 residual blocks, 16/32/64 filters, BatchNormalization)
    on 32x32x3, batch 128, 2,560 samples: CIFAR-10 when a copy is on disk
    (hoarfrost's or Keras's dataset cache), random images otherwise.
W5: a Transformer encoder text classifier (Embedding + position embedding, 2
    blocks of 4-head MultiHeadAttention, LayerNormalization, a 128-unit FFN;
    width 64), sequence 128, batch 64, 2,560 samples.
W6: Embedding(64) -> LSTM(128) -> Dense(2), 100 steps, batch 64, 2,560 samples.
    W5 and W6 learn a synthetic rule (label: more than the expected number of
    tokens from the first tenth of the vocabulary), no text corpus being on disk.
W7: transfer learning on W4's data: the W4 backbone frozen under a new head
    (Dense 64 -> Dense 10), then its last residual block unfrozen.
W8: a DCGAN generator step at 64x64x3 (Conv2DTranspose 512 -> 256 -> 128 -> 64
    -> 3, a frozen 64 -> 512 Conv2D discriminator), batch 16, 64 samples.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

WORKLOADS = {
    "W1": {"model": "mlp", "frozen_first": False, "batch_size": 32, "samples": 60000},
    "W2": {"model": "mlp", "frozen_first": True, "batch_size": 32, "samples": 60000},
    "W3": {"model": "cnn", "frozen_first": False, "batch_size": 128, "samples": 10000},
    "W4": {"model": "resnet", "frozen_first": False, "batch_size": 128, "samples": 2560},
    "W5": {"model": "transformer", "frozen_first": False, "batch_size": 64, "samples": 2560,
           "vocab": 5000, "seq": 128},
    "W6": {"model": "lstm", "frozen_first": False, "batch_size": 64, "samples": 2560,
           "vocab": 5000, "seq": 100},
    "W7": {"model": "transfer", "frozen_first": False, "batch_size": 128, "samples": 2560},
    "W8": {"model": "dcgan", "frozen_first": False, "batch_size": 16, "samples": 64,
           "latent": 100},
}
TEST_SAMPLES = 1000  # W4-W7's test split
if os.environ.get("BENCH_QUICK"):  # run.py --quick: 1/8 of the samples, at least 2 batches
    for _spec in WORKLOADS.values():
        _spec["samples"] = max(2 * _spec["batch_size"], _spec["samples"] // 8)
    TEST_SAMPLES = 125


def load_workload(name: str):
    """(x_train, y_train, x_test, y_test, source) for any workload."""
    spec = WORKLOADS[name]
    model = spec["model"]
    if model in ("mlp", "cnn"):
        return load(spec["samples"])
    if model in ("resnet", "transfer"):
        return load_cifar(spec["samples"])
    if model in ("transformer", "lstm"):
        return load_tokens(spec["samples"], spec["vocab"], spec["seq"])
    rng = np.random.default_rng(0)  # dcgan: latent codes, all labelled "real"
    z = rng.normal(size=(spec["samples"], spec["latent"])).astype("float32")
    return z, np.ones((len(z), 1), "float32"), z[:16], np.ones((16, 1), "float32"), "noise"


def _cifar_on_disk() -> bool:
    homes = [Path(os.environ.get("HOARFROST_HOME") or "~/.hoarfrost").expanduser() / "datasets",
             Path("~/.keras/datasets").expanduser()]
    names = ("cifar-10-batches-py-target", "cifar-10-batches-py", "cifar-10-python.tar.gz")
    return any((home / name).exists() for home in homes for name in names)


def load_cifar(samples: int):
    """CIFAR-10 (float32 in [0, 1]) when on disk, else random images of its shapes."""
    source = "random (no CIFAR-10 on disk)"
    if _cifar_on_disk():
        try:
            from hoarfrost.datasets import cifar10
            (x, y), (xt, yt) = cifar10.load_data()
            source = "CIFAR-10 (real)"
        except Exception:  # noqa: BLE001  an older hoarfrost, or unreadable: random
            pass
    if source.startswith("random"):
        rng = np.random.default_rng(0)
        x = rng.integers(0, 256, (samples + TEST_SAMPLES, 32, 32, 3), dtype=np.uint8)
        y = rng.integers(0, 10, samples + TEST_SAMPLES).astype(np.uint8)
        x, xt, y, yt = x[:samples], x[samples:], y[:samples], y[samples:]
    x = x[:samples].astype("float32") / 255.0
    xt = xt[:TEST_SAMPLES].astype("float32") / 255.0
    return (x, y[:samples].reshape(-1).astype("int32"), xt,
            yt[:TEST_SAMPLES].reshape(-1).astype("int32"), source)


def load_tokens(samples: int, vocab: int, seq: int):
    """Random token sequences labelled by a rule a model can learn (see the module docstring)."""
    rng = np.random.default_rng(0)
    x = rng.integers(0, vocab, (samples + TEST_SAMPLES, seq)).astype("int32")
    y = ((x < vocab // 10).sum(axis=1) > seq // 10).astype("int32")
    return x[:samples], y[:samples], x[samples:], y[samples:], "synthetic tokens"


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
