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
                                     SparseCategoricalCrossentropy, binary_crossentropy,
                                     kl_divergence, mean_absolute_error,
                                     mean_absolute_percentage_error, mean_squared_error,
                                     mean_squared_logarithmic_error)
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
    "binary_crossentropy": BinaryCrossentropy, "bce": BinaryCrossentropy,
    "categorical_crossentropy": CategoricalCrossentropy,
    "sparse_categorical_crossentropy": SparseCategoricalCrossentropy,
    **{alias: cls for cls, aliases in _EXTRA.items() for alias in aliases},
    **{fn.__name__: cls for fn, cls in _ADDED.items()},
}
_FUNCTION_OBJECTS = {**_CORE, **_ADDED}


#: What Keras's `losses.get` finds by name (`ALL_OBJECTS_DICT`): each class by its name
#: (made into an instance), each function by its name, and Keras's short aliases.
_KERAS_NAMES = {**_CLASSES, **{fn.__name__: fn for fn in _FUNCTION_OBJECTS},
                "bce": binary_crossentropy, "BCE": binary_crossentropy,
                "kld": kl_divergence, "KLD": kl_divergence,
                "mae": mean_absolute_error, "MAE": mean_absolute_error,
                "mse": mean_squared_error, "MSE": mean_squared_error,
                "mape": mean_absolute_percentage_error, "MAPE": mean_absolute_percentage_error,
                "msle": mean_squared_logarithmic_error, "MSLE": mean_squared_logarithmic_error}


def get(identifier):
    """What Keras's `losses.get` returns: a class name gives an instance
    (`"MeanSquaredError"`), a function's name or alias the function itself (`"mse"` ->
    `mean_squared_error`), a config an instance; a function or `Loss` comes back as it
    is, a class as an instance, None as None.

    Beyond Keras, a name in another case (`"Mse"`) or one of hoarfrost's aliases
    (`"logcosh"`) resolves too, to the same kind of object. `compile()` turns whatever
    it is given into a `Loss` with `loss_object`.
    """
    if identifier is None:
        return None
    if isinstance(identifier, str):
        found = _KERAS_NAMES.get(identifier)
        if found is None:
            cls = _lenient(identifier)
            found = cls if cls is not None and identifier.lower() in {
                k.lower() for k in _CLASSES} else _function_of(cls)
        if found is None:
            _unknown(identifier)
        return found() if isinstance(found, type) else found
    if isinstance(identifier, dict):
        return loss_object(identifier)
    if isinstance(identifier, type) and issubclass(identifier, Loss):
        return identifier()
    if callable(identifier):
        return identifier
    _unknown(identifier)


def _lenient(name: str):
    """The class hoarfrost finds for a name in any case or an alias (or None)."""
    key = name.lower()
    return _FUNCTIONS.get(key) or {k.lower(): v for k, v in _CLASSES.items()}.get(key)


def _function_of(cls):
    """The function a loss class wraps (None for None)."""
    if cls is None:
        return None
    return next((fn for fn, c in _FUNCTION_OBJECTS.items() if c is cls), cls)


def _unknown(identifier):
    raise ValueError(
        f"Unknown loss {identifier!r}. Expected a Loss, a function (y_true, y_pred), or one "
        f"of: {', '.join(sorted(_FUNCTIONS))}."
    )


def loss_object(identifier) -> Loss:
    """A `Loss` from a name (any case), a class, a function or a `Loss`: what
    `compile()` computes with (a built-in function or name gives its class, so the
    targets are checked against the outputs)."""
    if isinstance(identifier, Loss):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Loss):
        return identifier()
    if isinstance(identifier, str):
        cls = _lenient(identifier)
        if cls is not None:
            return cls()
    elif isinstance(identifier, dict) and identifier.get("class_name") in _CLASSES:
        return _CLASSES[identifier["class_name"]].from_config(identifier.get("config", {}))
    elif callable(identifier):
        if identifier in _FUNCTION_OBJECTS:
            return _FUNCTION_OBJECTS[identifier]()
        return LossFunctionWrapper(identifier)
    _unknown(identifier)


def serialize(loss: Loss):
    if type(loss) in _CLASSES.values():
        return {"class_name": type(loss).__name__, "config": loss.get_config()}
    if callable(loss) and not isinstance(loss, type) and hasattr(loss, "__name__") \
            and not hasattr(loss, "get_config"):  # a function: Keras's function record
        return {"module": "builtins", "class_name": "function", "config": loss.__name__,
                "registered_name": "function"}
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
