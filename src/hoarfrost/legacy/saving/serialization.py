"""The Keras 2 (tf.keras) serialization format, as Keras 3 keeps it in `keras.legacy.saving`.

An object with `get_config` becomes `{"class_name": registered name, "config": ...}`
(no module); objects in its config that serialize so are marked
`__passive_serialization__` and rebuilt on the way back; a function becomes its
registered name. Keras's shared-object scopes (used only inside Keras 2's model
saving) are not kept: a config's `shared_object_id` is not honoured.
"""

from __future__ import annotations

import inspect

from hoarfrost.object_registration import (_REGISTRY, CustomObjectScope, _scope_objects,
                                           get_registered_name, get_registered_object)


def serialize_keras_object(instance):
    """`instance` in the Keras 2 form: a `{class_name, config}` dict, or a function's name.

    Raises:
        ValueError: it has neither `get_config` nor a `__name__`.
    """
    instance = inspect.unwrap(instance) if callable(instance) else instance
    if instance is None:
        return None
    if hasattr(instance, "get_config"):
        config = {}
        for key, item in instance.get_config().items():
            if isinstance(item, str):
                config[key] = item
                continue
            try:
                serialized = serialize_keras_object(item)
                if isinstance(serialized, dict) and not isinstance(item, dict):
                    serialized["__passive_serialization__"] = True
                config[key] = serialized
            except ValueError:
                config[key] = item
        return {"class_name": get_registered_name(type(instance)), "config": config}
    if hasattr(instance, "__name__"):
        return get_registered_name(instance)
    raise ValueError(f"Cannot serialize {instance} because it doesn't implement "
                     "`get_config()`.")


def _unknown(kind: str, name: str) -> ValueError:
    return ValueError(f"Unknown {kind}: '{name}'. Please ensure you are using a "
                      "`keras.utils.custom_object_scope` and that this object is included in "
                      "the scope.")


def _class_and_config(config, module_objects, custom_objects, printable_module_name):
    if not isinstance(config, dict) or "class_name" not in config or "config" not in config:
        raise ValueError(f"Improper config format for {config}. Expecting python dict contains "
                         "`class_name` and `config` as keys")
    class_name = config["class_name"]
    cls = get_registered_object(class_name, custom_objects, module_objects)
    if cls is None:
        raise _unknown(printable_module_name, class_name)
    cls_config = config["config"]
    if isinstance(cls_config, list):
        return cls, cls_config
    cls_config = dict(cls_config)
    for key, item in list(cls_config.items()):
        if key == "name":
            continue
        if isinstance(item, dict) and "__passive_serialization__" in item:
            cls_config[key] = deserialize_keras_object(item, module_objects, custom_objects,
                                                       "config_item")
        elif isinstance(item, str) and inspect.isfunction(
                get_registered_object(item, custom_objects, module_objects)):
            cls_config[key] = get_registered_object(item, custom_objects, module_objects)
    return cls, cls_config


def deserialize_keras_object(identifier, module_objects: dict | None = None,
                             custom_objects: dict | None = None,
                             printable_module_name: str = "object"):
    """The object a Keras 2 config (or name) describes.

    Args:
        identifier: a `{class_name, config}` dict, a name, a function, or None.
        module_objects: the built-in objects to look names up in.
        custom_objects: more objects by name (checked before the registry's).
        printable_module_name: what the object is, for error messages.
    """
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        cls, cls_config = _class_and_config(identifier, module_objects, custom_objects,
                                            printable_module_name)
        custom_objects = custom_objects or {}
        if hasattr(cls, "from_config"):
            if "custom_objects" in inspect.getfullargspec(cls.from_config).args:
                return cls.from_config(cls_config,
                                       custom_objects={**_REGISTRY, **custom_objects})
            with CustomObjectScope(custom_objects):
                return cls.from_config(cls_config)
        with CustomObjectScope(custom_objects):
            return cls(**cls_config)
    if isinstance(identifier, str):
        if custom_objects and identifier in custom_objects:
            obj = custom_objects[identifier]
        elif identifier in _scope_objects():
            obj = _scope_objects()[identifier]
        elif identifier in _REGISTRY:
            obj = _REGISTRY[identifier]
        else:
            obj = (module_objects or {}).get(identifier)
            if obj is None:
                raise _unknown(printable_module_name, identifier)
        return obj() if inspect.isclass(obj) else obj
    if inspect.isfunction(identifier):
        return identifier
    raise ValueError(f"Could not interpret serialized {printable_module_name}: {identifier}")
