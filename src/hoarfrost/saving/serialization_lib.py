"""Any Keras object as a JSON-ready config, and back (Keras's `serialize_keras_object` /
`deserialize_keras_object`, `keras/src/saving/serialization_lib.py`).

A config is Keras's `{"module", "class_name", "config", "registered_name"}`
(plus `build_config` / `compile_config` for objects that have them); a
function is `{"module": "builtins", "class_name": "function", "config": name,
"registered_name": "function"}`; lists, dicts
and plain values stay as they are, NumPy and JAX arrays become `__numpy__`
entries. Built-ins are found again by their Keras module (`keras.layers`,
`keras.optimizers`, ...) in hoarfrost's module of the same name; custom
objects in a `custom_object_scope`, among the registered ones, or in
`custom_objects`.
"""

from __future__ import annotations

import importlib
import inspect
import types
from typing import Any

import numpy as np

from hoarfrost.object_registration import (CustomObjectScope, _NAMES, _REGISTRY,
                                           _scope_objects, builtin_class,
                                           get_registered_object)

__all__ = ["deserialize_keras_object", "serialize_keras_object"]

PLAIN_TYPES = (str, int, float, bool)

#: Keras's public modules whose objects a config may name, and hoarfrost's module of each.
MODULES = {
    "keras.layers": "hoarfrost.layers", "keras.models": "hoarfrost.models",
    "keras.optimizers": "hoarfrost.optimizers",
    "keras.optimizers.schedules": "hoarfrost.optimizers.schedules",
    "keras.losses": "hoarfrost.losses", "keras.metrics": "hoarfrost.metrics",
    "keras.activations": "hoarfrost.activations",
    "keras.initializers": "hoarfrost.initializers",
    "keras.regularizers": "hoarfrost.regularizers",
    "keras.constraints": "hoarfrost.constraints",
}
#: Where Keras looks up a built-in function saved with module "builtins" (by name alone).
FUNCTION_MODULES = ("keras.activations", "keras.losses", "keras.metrics")
#: Keras's own module names for its model classes.
MODEL_MODULES = {"Functional": "keras.src.models.functional", "Sequential": "keras",
                 "Model": "keras"}


def _public_module(obj) -> str | None:
    """Keras's module of a hoarfrost built-in (`keras.layers` for `hoarfrost.layers.core`)."""
    cls = obj if inspect.isclass(obj) or isinstance(obj, types.FunctionType) else type(obj)
    module = getattr(cls, "__module__", "") or ""
    if not module.startswith("hoarfrost."):
        return None
    if cls.__name__ in MODEL_MODULES and module.startswith("hoarfrost.models"):
        return MODEL_MODULES[cls.__name__]
    parts = module.split(".")
    candidates = [f"keras.{'.'.join(parts[1:i])}" for i in range(len(parts), 1, -1)]
    for candidate in candidates:  # the deepest public module that exports it
        if candidate in MODULES and _builtin(candidate, cls.__name__) is cls:
            return candidate
    return None


def _builtin(module: str, name: str):
    """hoarfrost's object of Keras's `module.name`, or None."""
    if module in MODEL_MODULES.values():
        return builtin_class(name)
    target = MODULES.get(module)
    if target is None:
        return None
    obj = getattr(importlib.import_module(target), name, None)
    if obj is None or not (inspect.isclass(obj) or callable(obj)):
        return None
    if not (getattr(obj, "__module__", "") or "").startswith("hoarfrost."):
        return None  # a name the module imported (jax, numpy), not one of its own
    return obj


def serialize_keras_object(obj) -> Any:
    """A JSON-ready config of `obj` that `deserialize_keras_object` turns back into it.

    Args:
        obj: a layer, model, optimizer, loss, metric, initializer,
            regularizer, constraint, a function (built-in or registered), or
            lists / dicts / plain values of these.
    """
    if obj is None or isinstance(obj, PLAIN_TYPES):
        return obj
    if isinstance(obj, (list, tuple)):
        items = [serialize_keras_object(x) for x in obj]
        return tuple(items) if isinstance(obj, tuple) else items
    if isinstance(obj, dict):
        return {key: serialize_keras_object(value) for key, value in obj.items()}
    if isinstance(obj, (np.ndarray, np.generic)) or _is_jax_array(obj):
        value = np.asarray(obj)
        if value.ndim == 0:
            return value.item()
        return {"class_name": "__numpy__",
                "config": {"value": value.tolist(), "dtype": value.dtype.name}}
    if isinstance(obj, types.FunctionType) and obj.__name__ == "<lambda>":
        raise TypeError("serialize_keras_object(): a lambda can not be serialized (Keras "
                        "would store its bytecode, which only loads with safe_mode=False); "
                        "use a named function registered with register_keras_serializable().")
    if isinstance(obj, types.FunctionType) or (callable(obj) and not hasattr(obj, "get_config")
                                               and hasattr(obj, "__name__")):
        return _serialize_function(obj)
    if not hasattr(obj, "get_config"):
        raise TypeError(f"Cannot serialize object {obj!r} of type {type(obj).__name__}. To be "
                        "serializable, a class must implement the `get_config()` method.")
    inner = obj.get_config()
    if not isinstance(inner, dict):
        raise TypeError(f"The `get_config()` method of {obj!r} should return a dict. It "
                        f"returned: {inner!r}")
    inner = serialize_keras_object(inner)
    cls = type(obj)
    registered = _NAMES.get(cls)
    module = None if registered else _public_module(cls)
    config = {"module": module or _own_module(cls), "class_name": cls.__name__,
              "config": inner, "registered_name": registered}
    if module is None and registered is None:
        config["registered_name"] = cls.__name__  # found again only through custom_objects
    _add_build_and_compile_config(obj, config)
    return config


def _own_module(obj) -> str | None:
    """A custom object's module; None for a script's `__main__` (as Keras writes it)."""
    module = obj.__module__
    return None if module == "__main__" else module


def _is_jax_array(obj) -> bool:
    return type(obj).__module__.startswith("jaxlib") and hasattr(obj, "__array__")


def _serialize_function(fn) -> dict:
    """Keras 3's config of any function (its `serialize_with_public_class` of the
    `function` type): `module` "builtins", `registered_name` "function", and the
    function's registered name (`package>name`) or its own name as `config`. Loading
    finds it among the registered and custom objects, else among Keras's built-ins."""
    name = _NAMES.get(fn) or fn.__name__
    return {"module": "builtins", "class_name": "function", "config": name,
            "registered_name": "function"}


def _add_build_and_compile_config(obj, config: dict) -> None:
    """`build_config` and `compile_config` of objects that have them (Keras does the same)."""
    if hasattr(obj, "get_build_config"):
        build_config = obj.get_build_config()
        if build_config is not None:
            config["build_config"] = serialize_keras_object(build_config)
    if hasattr(obj, "get_compile_config"):
        compile_config = obj.get_compile_config()
        if compile_config is not None:
            config["compile_config"] = serialize_keras_object(compile_config)


def deserialize_keras_object(config, custom_objects: dict | None = None,
                             safe_mode: bool = True, **kwargs):
    """The object a `serialize_keras_object` config describes.

    Args:
        config: the config (a dict, a list of them, a plain value).
        custom_objects: `{name: class or function}` for custom objects that
            are neither registered nor in a `custom_object_scope`.
        safe_mode: refuse Python bytecode (hoarfrost never deserializes any).
        **kwargs: `module_objects`, Keras's table of a module's objects by
            name (used by `layers.deserialize`).
    """
    module_objects = kwargs.pop("module_objects", None)
    if kwargs:
        raise TypeError(f"deserialize_keras_object(): unexpected arguments {sorted(kwargs)}.")
    custom_objects = {**(custom_objects or {}), **_scope_objects(), **_REGISTRY}
    if config is None:
        return None
    if isinstance(config, str):
        if config in custom_objects:
            return custom_objects[config]  # a plain function saved by name (older files)
        if module_objects and config in module_objects:
            found = module_objects[config]
            return found() if inspect.isclass(found) else found
        return config
    if isinstance(config, (list, tuple)):
        return [deserialize_keras_object(x, custom_objects, safe_mode) for x in config]
    if isinstance(config, PLAIN_TYPES):
        return config
    if not isinstance(config, dict):
        raise TypeError(f"Could not parse config: {config!r}")
    if "class_name" not in config or "config" not in config:
        return {key: deserialize_keras_object(value, custom_objects, safe_mode)
                for key, value in config.items()}
    class_name = config["class_name"]
    inner = config["config"] if config["config"] is not None else {}
    if class_name == "__numpy__":
        return np.array(inner["value"], dtype=inner["dtype"])
    if class_name == "__lambda__":
        raise ValueError("Requested the deserialization of a Python lambda; hoarfrost does "
                         "not run bytecode from a config. Use a named function registered "
                         "with register_keras_serializable().")
    if class_name.startswith("__"):
        raise ValueError(f"deserialize_keras_object(): {class_name} entries are not "
                         "supported.")
    module = config.get("module")
    registered = config.get("registered_name") or class_name
    if class_name == "function":
        if not isinstance(inner, str):
            raise TypeError(f"Expected 'config' to be a function's name, got {inner!r}.")
        return _retrieve(inner, registered, module, "function", config, custom_objects,
                         module_objects)
    if not isinstance(inner, dict):
        raise TypeError(f"Expected 'config' to be a dict for {class_name}, instead got "
                        f"{type(inner).__name__}. Full config: {config}")
    cls = _retrieve(class_name, registered, module, "class", config, custom_objects,
                    module_objects)
    if isinstance(cls, types.FunctionType):
        return cls
    if not hasattr(cls, "from_config"):
        raise TypeError(f"Unable to reconstruct an instance of '{class_name}' because the "
                        f"class is missing a `from_config()` method. Full config: {config}")
    with CustomObjectScope(custom_objects):
        instance = _from_config(cls, inner, custom_objects)
        build_config = config.get("build_config")
        if build_config and not getattr(instance, "built", True):
            instance.build_from_config(build_config)
            instance.built = True
        compile_config = config.get("compile_config")
        if compile_config and hasattr(instance, "compile_from_config"):
            instance.compile_from_config(compile_config)
    return instance


def _takes_custom_objects(cls) -> bool:
    """Whether `cls.from_config` accepts `custom_objects` (models, wrappers, Lambda)."""
    try:
        return "custom_objects" in inspect.signature(cls.from_config).parameters
    except (TypeError, ValueError):
        return False


def _from_config(cls, inner: dict, custom_objects: dict):
    try:
        if _takes_custom_objects(cls):  # models, wrappers: they rebuild nested layers
            return cls.from_config(inner, custom_objects=custom_objects)
        return cls.from_config(inner)
    except TypeError as exc:
        raise TypeError(
            f"{cls.__name__} could not be deserialized properly. Please ensure that "
            "components that are Python object instances (layers, models, etc.) returned by "
            "`get_config()` are explicitly deserialized in the model's `from_config()` "
            f"method.\n\nconfig={inner}.\n\nException encountered: {exc}") from exc


def _retrieve(name: str, registered: str, module, kind: str, config: dict,
              custom_objects: dict, module_objects: dict | None):
    """A class or function by Keras's lookup: registered / custom first, then built-in."""
    found = get_registered_object(name if kind == "function" else registered, custom_objects)
    if found is None and kind == "class":
        found = get_registered_object(name, custom_objects)
    if found is not None:
        return found
    if module_objects and name in module_objects:
        return module_objects[name]
    if module:
        if module in MODULES or module in MODEL_MODULES.values():
            found = _builtin(module, name)
            if found is not None:
                return found
        if kind == "function" and module == "builtins":
            for candidate in FUNCTION_MODULES:
                found = _builtin(candidate, name)
                if found is not None:
                    return found
        if module.startswith("hoarfrost."):  # a config hoarfrost wrote for its own object
            for candidate in MODULES:
                found = _builtin(candidate, name)
                if found is not None and found.__module__ == module:
                    return found
    raise TypeError(
        f"Could not locate {kind} '{name}'. Make sure custom classes and functions are "
        "decorated with `@hoarfrost.saving.register_keras_serializable()`, or passed in "
        "`custom_objects` / a `custom_object_scope`. If they are already decorated, make "
        "sure they are all imported so that the decorator is run before trying to load "
        f"them. Full object config: {config}")
