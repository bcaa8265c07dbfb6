"""The registry of classes `load_model` can rebuild by name: built-ins and custom ones.

Built-in layers and models register themselves when their class is defined
(`Layer.__init_subclass__`), so the code that rebuilds a saved model never
imports the layers and models it rebuilds. Custom classes register with
`register_keras_serializable`, or come in `custom_objects`.
"""

from __future__ import annotations

_REGISTRY: dict[str, type] = {}  # "package>Name" -> custom class
_BUILTINS: dict[str, type] = {}  # class name -> hoarfrost's class

#: Other names Keras gives built-in classes (a config may use either).
ALIASES = {
    "Model": "Functional",
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
    """Decorator: make a custom layer or model loadable by `load_model`.

    Example:
        >>> @register_keras_serializable(package="MyLayers")
        ... class Scale(Layer):
        ...     ...
    """

    def decorator(cls):
        registered = f"{package}>{name or cls.__name__}"
        if registered in _REGISTRY and _REGISTRY[registered] is not cls:
            raise ValueError(f"{registered} is already registered to {_REGISTRY[registered]}.")
        _REGISTRY[registered] = cls
        cls._registered_name = registered
        return cls

    return decorator


def get_registered_object(name: str, custom_objects: dict | None = None):
    """A custom object by name: from `custom_objects` first, then the registry; else None."""
    if custom_objects and name in custom_objects:
        return custom_objects[name]
    return _REGISTRY.get(name)


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
