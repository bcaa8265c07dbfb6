"""Small standard datasets as NumPy arrays, as in ``keras.datasets``.

``mnist.load_data()`` and ``fashion_mnist.load_data()`` return
``(x_train, y_train), (x_test, y_test)`` like Keras, caching files under
``$HOARFROST_HOME/datasets`` (default ``~/.hoarfrost``). ``mnist.load_sample()``
returns a shipped sample of real digits that needs no network. Imports only
NumPy and the standard library.
"""

from hoarfrost.datasets import fashion_mnist, mnist
from hoarfrost.datasets._download import DatasetUnavailableError

__all__ = ["DatasetUnavailableError", "fashion_mnist", "mnist"]
