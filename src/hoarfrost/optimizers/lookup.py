"""Finding optimizers by name, class or config, and their configs (Keras's `get`,
`serialize`, `deserialize`)."""

from __future__ import annotations

import inspect

from hoarfrost.object_registration import get_registered_object
from hoarfrost.optimizers.base_optimizer import Optimizer, built_in_optimizers


def _class_named(name: str, registered: str | None = None, custom_objects=None):
    """A built-in class by name (any case), or a registered / custom one."""
    found = (get_registered_object(name, custom_objects)
             or (registered and get_registered_object(registered, custom_objects))
             or {k.lower(): v for k, v in built_in_optimizers().items()}.get(name.lower()))
    return found if isinstance(found, type) and issubclass(found, Optimizer) else None


def _unknown(identifier) -> ValueError:
    return ValueError(
        f"Unknown optimizer {identifier!r}. Expected an Optimizer or one of (any case): "
        f"{', '.join(sorted(built_in_optimizers()))}."
    )


def get(identifier) -> Optimizer | None:
    """Resolve an optimizer from an instance, a class, a config or a name (any case);
    None gives None (Keras's `optimizers.get`)."""
    if identifier is None or isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Optimizer):
        return identifier()
    if isinstance(identifier, str):
        cls = _class_named(identifier)
        if cls is None:
            raise _unknown(identifier)
        return cls()
    if isinstance(identifier, dict) and "class_name" in identifier:
        return deserialize(identifier)
    raise _unknown(identifier)


def serialize(optimizer: Optimizer) -> dict | None:
    """`{module, class_name, config, registered_name}` (Keras's layout) for a built-in or
    registered optimizer; None for an unregistered custom class (it could not be
    rebuilt from its config)."""
    registered = getattr(type(optimizer), "_registered_name", None)
    if type(optimizer) not in built_in_optimizers().values() and registered is None:
        return None
    return {"module": "hoarfrost.optimizers", "class_name": type(optimizer).__name__,
            "config": optimizer.get_config(), "registered_name": registered}


def deserialize(config: dict, custom_objects: dict | None = None) -> Optimizer:
    """An optimizer from `serialize`'s dict, or from Keras's (`{"class_name", "config"}`);
    built-in class names in any case."""
    if not (isinstance(config, dict) and isinstance(config.get("class_name"), str)):
        raise ValueError(f"optimizers.deserialize(): expected a dict with 'class_name' and "
                         f"'config'; got {config!r}.")
    cls = _class_named(config["class_name"], config.get("registered_name"), custom_objects)
    if cls is None:
        raise _unknown(config["class_name"])
    inner = dict(config.get("config") or {})
    if "custom_objects" in inspect.signature(cls.from_config).parameters:
        return cls.from_config(inner, custom_objects=custom_objects)
    return cls.from_config(inner)
