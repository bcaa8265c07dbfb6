"""Finding losses by name, class, config or function; configs of the built-in ones."""

from __future__ import annotations

from hoarfrost._objects import deserialize_object
from hoarfrost.losses.circle_loss import Circle, circle
from hoarfrost.losses.ctc import CTC, ctc
from hoarfrost.losses.focal_losses import (BinaryFocalCrossentropy, CategoricalFocalCrossentropy,
                                           binary_focal_crossentropy,
                                           categorical_focal_crossentropy)
from hoarfrost.losses.loss import Loss, LossFunctionWrapper
from hoarfrost.losses.losses import (_CORE, _EXTRA, BinaryCrossentropy, CategoricalCrossentropy,
                                     MeanAbsoluteError, MeanSquaredError,
                                     SparseCategoricalCrossentropy)
from hoarfrost.losses.robust_losses import (CategoricalGeneralizedCrossEntropy,
                                            categorical_generalized_cross_entropy)
from hoarfrost.losses.segmentation_losses import Dice, Tversky, dice, tversky

#: Functions (besides the core ones) and the class that wraps each.
_ADDED = {binary_focal_crossentropy: BinaryFocalCrossentropy,
          categorical_focal_crossentropy: CategoricalFocalCrossentropy,
          categorical_generalized_cross_entropy: CategoricalGeneralizedCrossEntropy,
          circle: Circle, ctc: CTC, dice: Dice, tversky: Tversky}
_CLASSES = {c.__name__: c for c in (MeanSquaredError, MeanAbsoluteError, BinaryCrossentropy,
                                    CategoricalCrossentropy, SparseCategoricalCrossentropy,
                                    *_EXTRA, *_ADDED.values())}
_FUNCTIONS = {
    "mean_squared_error": MeanSquaredError, "mse": MeanSquaredError,
    "mean_absolute_error": MeanAbsoluteError, "mae": MeanAbsoluteError,
    "binary_crossentropy": BinaryCrossentropy,
    "categorical_crossentropy": CategoricalCrossentropy,
    "sparse_categorical_crossentropy": SparseCategoricalCrossentropy,
    **{alias: cls for cls, aliases in _EXTRA.items() for alias in aliases},
    **{fn.__name__: cls for fn, cls in _ADDED.items()},
}
_FUNCTION_OBJECTS = {**_CORE, **_ADDED}


def get(identifier) -> Loss:
    """Resolve a loss from a name (any case), a class, a function or a `Loss`."""
    if isinstance(identifier, Loss):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Loss):
        return identifier()
    if isinstance(identifier, str):
        key = identifier.lower()
        if key in _FUNCTIONS:
            return _FUNCTIONS[key]()
        cls = _CLASSES.get(identifier) or {k.lower(): v for k, v in _CLASSES.items()}.get(key)
        if cls is not None:
            return cls()
    elif isinstance(identifier, dict) and identifier.get("class_name") in _CLASSES:
        return _CLASSES[identifier["class_name"]].from_config(identifier.get("config", {}))
    elif callable(identifier):
        if identifier in _FUNCTION_OBJECTS:
            return _FUNCTION_OBJECTS[identifier]()
        return LossFunctionWrapper(identifier)
    raise ValueError(
        f"Unknown loss {identifier!r}. Expected a Loss, a function (y_true, y_pred), or one "
        f"of: {', '.join(sorted(_FUNCTIONS))}."
    )


def serialize(loss: Loss):
    if type(loss) in _CLASSES.values():
        return {"class_name": type(loss).__name__, "config": loss.get_config()}
    return None


def deserialize(config, custom_objects: dict | None = None):
    """The loss (or loss function) a config or a name describes (Keras's
    `losses.deserialize`): a class's name gives an instance, a function's name the
    function; an unknown name comes back as the string, as in Keras."""
    objects = {**_CLASSES, **{fn.__name__: fn for fn in _FUNCTION_OBJECTS}}
    if isinstance(config, str):
        if config in (custom_objects or {}):
            return custom_objects[config]
        if config not in objects:
            return config
    return deserialize_object(config, objects, "loss", custom_objects)
