"""Finding optimizers by name, class or config, and configs of the built-in ones."""

from __future__ import annotations

from hoarfrost.optimizers.adagrad import Adagrad
from hoarfrost.optimizers.adam import Adam
from hoarfrost.optimizers.adamw import AdamW
from hoarfrost.optimizers.base_optimizer import Optimizer
from hoarfrost.optimizers.rmsprop import RMSprop
from hoarfrost.optimizers.sgd import SGD

_CLASSES = {c.__name__: c for c in (SGD, Adam, AdamW, RMSprop, Adagrad)}


def get(identifier) -> Optimizer:
    """Resolve an optimizer from an instance, a class, a config or a name (any case)."""
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Optimizer):
        return identifier()
    if isinstance(identifier, str):
        cls = {k.lower(): v for k, v in _CLASSES.items()}.get(identifier.lower())
        if cls is not None:
            return cls()
    if isinstance(identifier, dict) and identifier.get("class_name") in _CLASSES:
        return _CLASSES[identifier["class_name"]].from_config(identifier.get("config", {}))
    raise ValueError(
        f"Unknown optimizer {identifier!r}. Expected an Optimizer or one of (any case): "
        f"{', '.join(sorted(_CLASSES))}."
    )


def serialize(optimizer: Optimizer) -> dict | None:
    """`{class_name, config}` for a built-in optimizer; None for any other."""
    if type(optimizer) in _CLASSES.values():
        return {"class_name": type(optimizer).__name__, "config": optimizer.get_config()}
    return None
