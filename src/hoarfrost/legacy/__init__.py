"""Keras's `keras.legacy` names: the Keras 2 (tf.keras) serialization format."""

from hoarfrost.legacy import saving

__all__ = ["saving"]
