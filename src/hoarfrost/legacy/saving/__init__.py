"""`keras.legacy.saving`: serialize and deserialize in the Keras 2 `{class_name, config}` form."""

from hoarfrost.legacy.saving.serialization import (deserialize_keras_object,
                                                   serialize_keras_object)

__all__ = ["deserialize_keras_object", "serialize_keras_object"]
