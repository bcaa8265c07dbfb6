"""Layer configs as JSON-ready dicts, and back; custom classes come from the registry.

Built-in classes are found through `hoarfrost.object_registration` (they
register themselves), so rebuilding a layer imports no layer or model here.
"""

from __future__ import annotations

from typing import Any

from hoarfrost.object_registration import (CustomObjectScope, _scope_objects, builtin_class,
                                           get_registered_object, register_keras_serializable)
from hoarfrost.saving.serialization_lib import _takes_custom_objects, serialize_keras_object

__all__ = ["deserialize_layer", "get_registered_object", "register_keras_serializable",
           "serialize_layer"]


def serialize_layer(layer) -> dict[str, Any]:
    """`{class_name, registered_name, config[, build_config]}` for a layer or model."""
    config = layer.get_config()
    if is_custom(layer):
        # Keras's `serialize_dict`: objects a custom get_config() returns as they are
        # (a nested layer, an initializer, a function) become their own configs.
        config = serialize_keras_object(config)
    entry = {
        "class_name": type(layer).__name__,
        "registered_name": getattr(type(layer), "_registered_name", None),
        "config": config,
    }
    if is_custom(layer):
        build_config = layer.get_build_config()
        if build_config is not None:
            entry["build_config"] = build_config
    return entry


def is_custom(layer) -> bool:
    """A class of the user's (not hoarfrost's): Keras's build hooks apply to it as written.

    hoarfrost's own layers inside a model are built by the graph they are
    called in, with the shapes `get_build_config` would give.
    """
    return not type(layer).__module__.startswith("hoarfrost.")


def build_from_saved(layer, build_config) -> None:
    """Keras's step after `from_config`: a custom layer not built yet builds from its
    saved `build_config` through its `build_from_config`."""
    if build_config and is_custom(layer) and not layer.built:
        layer.build_from_config(build_config)
        layer.built = True


class _RebuildError(TypeError):
    """A layer's `from_config` failed on its saved config."""


def deserialize_layer(config: dict[str, Any], custom_objects: dict | None = None,
                      safe_mode: bool = True):
    """Rebuild a layer from `serialize_layer` output.

    Args:
        config: `{class_name, registered_name, config}`.
        custom_objects: classes and functions by name, for unregistered ones.
        safe_mode: refuse Python bytecode in the config (Keras's default); an
            ambient setting (`SafeModeScope`, `enable_unsafe_deserialization()`)
            wins, as in Keras.
    """
    from hoarfrost.saving.safe_mode import SafeModeScope, resolve_safe_mode
    # As Keras: `custom_objects` (with an enclosing scope's) are in scope for everything
    # the configs rebuild (an activation function a layer's __init__ looks up by name, ...).
    scope = {**(custom_objects or {}), **_scope_objects()}
    with SafeModeScope(resolve_safe_mode(safe_mode)), CustomObjectScope(scope):
        return _deserialize_layer(config, custom_objects)


def _deserialize_layer(config: dict[str, Any], custom_objects: dict | None):
    class_name = config["class_name"]
    registered = config.get("registered_name")
    cls = (get_registered_object(class_name, custom_objects)
           or (registered and get_registered_object(registered, custom_objects))
           or builtin_class(class_name))
    if cls is None:
        raise ValueError(
            f"Unknown layer class '{class_name}'"
            + (f" (registered as '{registered}')" if registered else "")
            + ". Register it with @hoarfrost.saving.register_keras_serializable() or pass "
            f"custom_objects={{'{class_name}': {class_name}}} to load_model()."
        )
    try:
        # Classes that rebuild nested objects (models, wrappers, Lambda) get custom_objects.
        if _takes_custom_objects(cls):
            layer = cls.from_config(config["config"], custom_objects=custom_objects)
        else:
            layer = cls.from_config(config["config"])
        build_from_saved(layer, config.get("build_config"))
        return layer
    except _RebuildError:
        raise  # a nested layer's, already explained
    except TypeError as exc:
        name = (config.get("config") or {}).get("name")
        raise _RebuildError(
            f"Could not rebuild layer '{name}' of class '{class_name}' from its saved config "
            f"{sorted(config.get('config') or {})}: {exc}. A custom class whose __init__ takes "
            "arguments must return them from get_config()."
        ) from exc
