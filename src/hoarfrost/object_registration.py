"""The registry of classes `load_model` can rebuild by name: built-ins and custom ones.

Built-in layers and models register themselves when their class is defined
(`Layer.__init_subclass__`), so the code that rebuilds a saved model never
imports the layers and models it rebuilds. Custom classes and functions
register with `register_keras_serializable`, or come in `custom_objects` or
a `custom_object_scope`, as in Keras (`keras/src/saving/object_registration.py`).
"""

from __future__ import annotations

import inspect
import threading

_REGISTRY: dict[str, object] = {}  # "package>Name" -> custom class or function (Keras's
#                                    GLOBAL_CUSTOM_OBJECTS)
_NAMES: dict[object, str] = {}  # custom class or function -> "package>Name"
_SCOPE = threading.local()  # the objects of the innermost custom_object_scope
_BUILTINS: dict[str, type] = {}  # class name -> hoarfrost's class

#: Other names Keras gives built-in classes (a config may use either).
ALIASES = {
    "Model": "Functional", "GroupQueryAttention": "GroupedQueryAttention",
    "AvgPool1D": "AveragePooling1D", "AvgPool2D": "AveragePooling2D",
    "Convolution1D": "Conv1D", "Convolution2D": "Conv2D",
    "Convolution2DTranspose": "Conv2DTranspose", "SeparableConvolution2D": "SeparableConv2D",
    "GlobalAvgPool1D": "GlobalAveragePooling1D", "GlobalAvgPool2D": "GlobalAveragePooling2D",
    "GlobalMaxPool1D": "GlobalMaxPooling1D", "GlobalMaxPool2D": "GlobalMaxPooling2D",
    "MaxPool1D": "MaxPooling1D", "MaxPool2D": "MaxPooling2D",
    "Convolution1DTranspose": "Conv1DTranspose", "Convolution3D": "Conv3D",
    "Convolution3DTranspose": "Conv3DTranspose", "SeparableConvolution1D": "SeparableConv1D",
    "AvgPool3D": "AveragePooling3D", "GlobalAvgPool3D": "GlobalAveragePooling3D",
    "GlobalMaxPool3D": "GlobalMaxPooling3D", "MaxPool3D": "MaxPooling3D",
}


def register_keras_serializable(package: str = "Custom", name: str | None = None):
    """Decorator: register a class or function as `"package>name"` (Keras's decorator).

    `load_model`, `deserialize_keras_object` and the layers that take a
    function (an activation, a loss) then find it by that name without
    `custom_objects`. Registering the name again replaces the entry, as in
    Keras (re-running a notebook cell).

    Example:
        >>> @register_keras_serializable(package="MyLayers")
        ... class Scale(Layer):
        ...     ...
        >>> @register_keras_serializable(package="my_package", name="custom_fn")
        ... def custom_fn(x):
        ...     return x**2
    """

    def decorator(cls):  # a class or a function
        registered = f"{package}>{name if name is not None else cls.__name__}"
        if inspect.isclass(cls) and not hasattr(cls, "get_config"):
            raise ValueError("Cannot register a class that does not have a get_config() "
                             f"method: {cls.__name__}.")
        _REGISTRY[registered] = cls
        _NAMES[cls] = registered
        try:
            cls._registered_name = registered
        except (AttributeError, TypeError):  # a builtin function takes no attributes
            pass
        return cls

    return decorator


def get_custom_objects() -> dict:
    """The live global dictionary of custom objects by name (Keras's
    `get_custom_objects`): what `register_keras_serializable` registers, and
    anything added to it (`get_custom_objects()["MyLayer"] = MyLayer`).
    Objects of a `custom_object_scope` are not in it."""
    return _REGISTRY


def get_registered_name(obj) -> str:
    """The name `obj` is registered under, else its `__name__`."""
    return _NAMES.get(obj) or obj.__name__


def get_registered_object(name: str, custom_objects: dict | None = None,
                          module_objects: dict | None = None):
    """The object registered as `name`, or None (Keras's lookup order: the
    innermost `custom_object_scope`, the global custom objects, then
    `custom_objects`, then `module_objects`)."""
    scope = _scope_objects()
    if name in scope:
        return scope[name]
    if name in _REGISTRY:
        return _REGISTRY[name]
    if custom_objects and name in custom_objects:
        return custom_objects[name]
    if module_objects and name in module_objects:
        return module_objects[name]
    return None


def _scope_objects() -> dict:
    return getattr(_SCOPE, "objects", {})


class CustomObjectScope:
    """Make custom classes and functions known to deserialization inside a
    `with` block (Keras's `custom_object_scope`); this thread only.

    Args:
        custom_objects: `{name: class or function}`.

    Example:
        >>> with custom_object_scope({"CustomLayer": CustomLayer}):
        ...     model = hoarfrost.Model.from_config(config)
    """

    def __init__(self, custom_objects: dict | None):
        self.custom_objects = dict(custom_objects or {})
        self.backup: dict | None = None

    def __enter__(self):
        self.backup = _scope_objects()
        _SCOPE.objects = dict(self.custom_objects)  # Keras: the scope's objects replace
        return self

    def __exit__(self, *exc_info):
        _SCOPE.objects = self.backup


custom_object_scope = CustomObjectScope


def register_builtin(cls: type) -> type:
    """Record one of hoarfrost's own classes under its name (called as it is defined)."""
    known = _BUILTINS.get(cls.__name__)
    if known is not None and known.__module__ != cls.__module__:
        raise ValueError(f"Two built-in classes are named {cls.__name__} ({known.__module__} and "
                         f"{cls.__module__}); a saved config could not tell them apart.")
    _BUILTINS[cls.__name__] = cls
    return cls


def builtin_class(name: str) -> type | None:
    """hoarfrost's class of a saved `class_name` (Keras's aliases included), or None."""
    return _BUILTINS.get(ALIASES.get(name, name))
