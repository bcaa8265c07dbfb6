"""CIFAR-100 small colour images, as ``keras.datasets.cifar100``."""

from __future__ import annotations

import numpy as np

from hoarfrost.datasets._cifar import batches_folder, load_batch

ORIGIN = "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz"
FILE_HASH = "85cd44d02ba6437773c5bbd22e183051d648de2e7d6b014e1ef29b855ba677a7"
FILES = ("train", "test")

Split = tuple[np.ndarray, np.ndarray]


def load_data(label_mode: str = "fine") -> tuple[Split, Split]:
    """Loads CIFAR-100: 50,000 training and 10,000 test 32x32 colour images.

    Found, downloaded and read as ``cifar10.load_data`` (folder
    ``cifar-100-python-target/cifar-100-python/``).

    Args:
        label_mode: 'fine' (100 classes) or 'coarse' (20 superclasses).

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: uint8 images
        ``(n, 32, 32, 3)`` and int64 labels ``(n, 1)`` (as Keras).
    """
    if label_mode not in ("fine", "coarse"):
        raise ValueError('`label_mode` must be one of `"fine"`, `"coarse"`. Received: '
                         f"label_mode={label_mode}.")
    folder = batches_folder("cifar-100-python-target", "cifar-100-python", ORIGIN, FILE_HASH,
                            FILES)
    x_train, y_train = load_batch(folder / "train", label_key=f"{label_mode}_labels")
    x_test, y_test = load_batch(folder / "test", label_key=f"{label_mode}_labels")
    y_train = np.reshape(y_train, (len(y_train), 1))
    y_test = np.reshape(y_test, (len(y_test), 1))
    return (x_train.transpose(0, 2, 3, 1), y_train), (x_test.transpose(0, 2, 3, 1), y_test)
