"""Small standard datasets as NumPy arrays, as in ``keras.datasets``.

Each ``load_data()`` returns ``(x_train, y_train), (x_test, y_test)`` as
Keras's does, from Keras's files: looked for in hoarfrost's cache
(``$HOARFROST_HOME/datasets``, default ``~/.hoarfrost``), then in Keras's
(``~/.keras/datasets``), else downloaded and checked. Pickled parts (CIFAR's
batches, IMDB's and Reuters' ragged arrays) are read without running code.
``mnist.load_sample()`` returns a shipped sample of real digits that needs no
network. Imports only NumPy and the standard library.
"""

from hoarfrost.datasets import (boston_housing, california_housing, cifar10, cifar100,
                                fashion_mnist, imdb, mnist, reuters)
from hoarfrost.datasets._download import DatasetUnavailableError

__all__ = ["DatasetUnavailableError", "boston_housing", "california_housing", "cifar10",
           "cifar100", "fashion_mnist", "imdb", "mnist", "reuters"]
