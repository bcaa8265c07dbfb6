"""`layers.serialize` / `layers.deserialize`: a layer's config with its class, and back
(Keras's `keras.layers.serialize` / `deserialize`)."""

from __future__ import annotations

from typing import Any

from hoarfrost.layers.layer import Layer
from hoarfrost.object_registration import _BUILTINS
from hoarfrost.saving.serialization_lib import deserialize_keras_object, serialize_keras_object


def serialize(layer: Layer) -> dict[str, Any]:
    """`{"module", "class_name", "config", "registered_name", "build_config"}` of `layer`."""
    return serialize_keras_object(layer)


def deserialize(config: dict[str, Any], custom_objects: dict | None = None) -> Layer:
    """The layer of a `serialize` config (or Keras's `{"class_name", "config"}`).

    Args:
        config: the layer's config.
        custom_objects: `{name: class}` for custom layers that are not
            registered.
    """
    layer = deserialize_keras_object(config, custom_objects=custom_objects,
                                     module_objects=dict(_BUILTINS))
    if not isinstance(layer, Layer):
        raise ValueError("`hoarfrost.layers.deserialize` was passed a `config` object that is "
                         f"not a `hoarfrost.layers.Layer`. Received: {config}")
    return layer
