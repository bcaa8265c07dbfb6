"""Input pipelines without TensorFlow: Keras's `*_dataset_from_directory` and friends.

`Dataset` is a small, lazy, re-iterable stand-in for `tf.data.Dataset` that
yields NumPy arrays; `fit`, `evaluate` and `predict` take it as `x`. The
functions Keras exports from `keras.utils` are re-exported by
`hoarfrost.utils`.
"""

from hoarfrost.data.dataset import AUTOTUNE, INFINITE_CARDINALITY, UNKNOWN_CARDINALITY, Dataset

__all__ = ["AUTOTUNE", "INFINITE_CARDINALITY", "UNKNOWN_CARDINALITY", "Dataset"]
