"""Configs of small Keras objects (initializers, constraints, ...) in Keras 3's form.

`{"module": ..., "class_name": ..., "config": ..., "registered_name": ...}`
out, and back from that, a bare name, or the older `{"class_name", "config"}`.
Custom classes are found in `custom_objects` or among those registered with
`register_keras_serializable`.
"""

from __future__ import annotations

import inspect
from typing import Any


def _registered(name: str | None, custom_objects: dict | None):
    if not name:
        return None
    from hoarfrost.saving.serialization import get_registered_object
    return get_registered_object(name, custom_objects)


def serialize_object(obj, module: str) -> Any:
    """Keras's config of `obj`; a function without config passes through by name when
    registered, else as itself."""
    cls = type(obj)
    registered = getattr(cls, "_registered_name", None)
    if hasattr(obj, "get_config"):
        builtin = cls.__module__.startswith("hoarfrost.")
        return {"module": module if builtin else cls.__module__, "class_name": cls.__name__,
                "config": obj.get_config(), "registered_name": registered}
    name = getattr(obj, "_registered_name", None)
    if name is not None:
        return {"module": None, "class_name": "function", "config": name,
                "registered_name": name}
    return obj


def deserialize_object(config, objects: dict[str, Any], kind: str,
                       custom_objects: dict | None = None):
    """The object `config` describes, from Keras's `objects` of this `kind` or custom ones."""
    if isinstance(config, str):
        obj = (custom_objects or {}).get(config) or objects.get(config) \
            or _registered(config, custom_objects)
        if obj is None:
            raise ValueError(f"Unknown {kind} {config!r}. Expected one of {sorted(objects)}, or "
                             "a custom one passed in custom_objects or registered with "
                             "@hoarfrost.saving.register_keras_serializable().")
        return obj() if inspect.isclass(obj) else obj
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"Could not interpret {kind} config {config!r}: expected a name or a "
                         "dict with 'class_name' and 'config'.")
    class_name = config["class_name"]
    inner = config.get("config") or {}
    if class_name == "function":
        return deserialize_object(inner, objects, kind, custom_objects)
    registered = config.get("registered_name")
    cls = ((custom_objects or {}).get(class_name) or _registered(registered, custom_objects)
           or _registered(class_name, custom_objects) or objects.get(class_name))
    if cls is None:
        raise ValueError(f"Unknown {kind} class {class_name!r}. Pass it in custom_objects or "
                         "register it with @hoarfrost.saving.register_keras_serializable().")
    if not inspect.isclass(cls):
        return cls
    return cls.from_config(inner)
