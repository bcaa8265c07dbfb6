"""CIFAR-10 small colour images, as ``keras.datasets.cifar10``."""

from __future__ import annotations

import numpy as np

from hoarfrost.datasets._cifar import batches_folder, load_batch

ORIGIN = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
FILE_HASH = "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce"
FILES = tuple(f"data_batch_{i}" for i in range(1, 6)) + ("test_batch",)

Split = tuple[np.ndarray, np.ndarray]


def load_data() -> tuple[Split, Split]:
    """Loads CIFAR-10: 50,000 training and 10,000 test 32x32 colour images in 10 classes.

    Classes: 0 airplane, 1 automobile, 2 bird, 3 cat, 4 deer, 5 dog, 6 frog,
    7 horse, 8 ship, 9 truck. The batches are looked for, extracted, in
    hoarfrost's cache (``$HOARFROST_HOME/datasets``) and Keras's
    (``~/.keras/datasets``), as Keras 3 (``cifar-10-batches-py-target/``) or
    Keras 2 (``cifar-10-batches-py/``) left them; otherwise Keras's archive is
    found in a cache or downloaded (``$HOARFROST_DATASETS_ORIGIN`` can point at
    a mirror), checked (SHA-256) and extracted. The batch files are pickles,
    read with an unpickler that builds arrays and nothing else.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: uint8 images
        ``(n, 32, 32, 3)`` and uint8 labels ``(n, 1)``.

    Raises:
        DatasetUnavailableError: the data is nowhere and cannot be downloaded
            (the message says what to put where), or a file is unreadable.
    """
    folder = batches_folder("cifar-10-batches-py-target", "cifar-10-batches-py", ORIGIN,
                            FILE_HASH, FILES)
    parts = [load_batch(folder / f) for f in FILES[:-1]]
    x_train = np.concatenate([data for data, _ in parts]).astype("uint8")
    y_train = np.concatenate([np.asarray(labels) for _, labels in parts]).astype("uint8")
    x_test, y_test = load_batch(folder / "test_batch")
    y_train = np.reshape(y_train, (len(y_train), 1))
    y_test = np.reshape(y_test, (len(y_test), 1))
    x_train = x_train.transpose(0, 2, 3, 1)
    x_test = x_test.transpose(0, 2, 3, 1)
    return (x_train, y_train), (x_test.astype(x_train.dtype), y_test.astype(y_train.dtype))
