"""Saving and loading: `.keras` zips, weight files, custom-object registration."""

from hoarfrost.saving.safe_mode import enable_unsafe_deserialization
from hoarfrost.saving.saving_lib import load_model, load_weights, save_model, save_weights
from hoarfrost.object_registration import (CustomObjectScope, custom_object_scope,
                                           get_custom_objects, get_registered_name)
from hoarfrost.saving.serialization import (deserialize_layer, get_registered_object,
                                            register_keras_serializable, serialize_layer)
from hoarfrost.saving.serialization_lib import deserialize_keras_object, serialize_keras_object

register_serializable = register_keras_serializable

__all__ = ["load_model", "load_weights", "save_model", "save_weights", "deserialize_layer",
           "serialize_layer", "register_keras_serializable", "register_serializable",
           "get_registered_object", "enable_unsafe_deserialization", "get_registered_name",
           "get_custom_objects", "CustomObjectScope", "custom_object_scope",
           "serialize_keras_object", "deserialize_keras_object"]
