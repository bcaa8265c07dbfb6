"""`keras.utils.legacy`: the Keras 2 serialization functions (see `hoarfrost.legacy.saving`)."""

from hoarfrost.legacy.saving.serialization import (deserialize_keras_object,
                                                   serialize_keras_object)

__all__ = ["deserialize_keras_object", "serialize_keras_object"]
