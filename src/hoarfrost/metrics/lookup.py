"""Finding metrics by name, class, config or function; configs of the built-in ones."""

from __future__ import annotations

import inspect
from typing import Callable

from hoarfrost import losses as losses_module
from hoarfrost._objects import deserialize_object
from hoarfrost.metrics.accuracy_metrics import (Accuracy, BinaryAccuracy, CategoricalAccuracy,
                                                SparseCategoricalAccuracy,
                                                SparseTopKCategoricalAccuracy,
                                                TopKCategoricalAccuracy, binary_accuracy,
                                                categorical_accuracy,
                                                sparse_categorical_accuracy)
from hoarfrost.metrics.confusion_metrics import (AUC, FalseNegatives, FalsePositives, Precision,
                                                 PrecisionAtRecall, Recall, RecallAtPrecision,
                                                 SensitivityAtSpecificity,
                                                 SpecificityAtSensitivity, TrueNegatives,
                                                 TruePositives)
from hoarfrost.metrics.correlation_metrics import (ConcordanceCorrelation, PearsonCorrelation,
                                                   concordance_correlation, pearson_correlation)
from hoarfrost.metrics.f_score_metrics import F1Score, FBetaScore
from hoarfrost.metrics.iou_metrics import BinaryIoU, IoU, MeanIoU, OneHotIoU, OneHotMeanIoU
from hoarfrost.metrics.hinge_metrics import CategoricalHinge, Hinge, SquaredHinge
from hoarfrost.metrics.metric import Metric
from hoarfrost.metrics.probabilistic_metrics import (BinaryCrossentropy, CategoricalCrossentropy,
                                                     KLDivergence, Poisson,
                                                     SparseCategoricalCrossentropy)
from hoarfrost.metrics.reduction_metrics import Mean, MeanMetricWrapper, Sum
from hoarfrost.metrics.regression_metrics import (CosineSimilarity, LogCoshError,
                                                  MeanAbsoluteError, MeanAbsolutePercentageError,
                                                  MeanSquaredError, MeanSquaredLogarithmicError,
                                                  R2Score, RootMeanSquaredError,
                                                  cosine_similarity)
from hoarfrost.naming import to_snake_case


_CLASSES = {c.__name__: c for c in (Mean, Accuracy, BinaryAccuracy, CategoricalAccuracy,
                                    SparseCategoricalAccuracy, MeanSquaredError,
                                    MeanAbsoluteError, TopKCategoricalAccuracy,
                                    SparseTopKCategoricalAccuracy, Precision, Recall, AUC,
                                    RootMeanSquaredError, MeanAbsolutePercentageError,
                                    MeanSquaredLogarithmicError, LogCoshError, KLDivergence,
                                    Poisson, Hinge, SquaredHinge, CategoricalHinge,
                                    CosineSimilarity, BinaryCrossentropy, CategoricalCrossentropy,
                                    SparseCategoricalCrossentropy, TruePositives,
                                    FalsePositives, TrueNegatives, FalseNegatives, F1Score,
                                    FBetaScore, R2Score, PearsonCorrelation,
                                    ConcordanceCorrelation, IoU, MeanIoU, BinaryIoU, OneHotIoU,
                                    OneHotMeanIoU, PrecisionAtRecall, RecallAtPrecision,
                                    SensitivityAtSpecificity, SpecificityAtSensitivity, Sum)}
_NAMES: dict[str, Callable] = {
    "binary_accuracy": binary_accuracy,
    "categorical_accuracy": categorical_accuracy,
    "sparse_categorical_accuracy": sparse_categorical_accuracy,
    "mse": losses_module.mean_squared_error,
    "mean_squared_error": losses_module.mean_squared_error,
    "mae": losses_module.mean_absolute_error,
    "mean_absolute_error": losses_module.mean_absolute_error,
    "binary_crossentropy": losses_module.binary_crossentropy,
    "bce": losses_module.binary_crossentropy,
    "categorical_crossentropy": losses_module.categorical_crossentropy,
    "sparse_categorical_crossentropy": losses_module.sparse_categorical_crossentropy,
    "mape": losses_module.mean_absolute_percentage_error,
    "mean_absolute_percentage_error": losses_module.mean_absolute_percentage_error,
    "msle": losses_module.mean_squared_logarithmic_error,
    "mean_squared_logarithmic_error": losses_module.mean_squared_logarithmic_error,
    "kld": losses_module.kl_divergence, "kl_divergence": losses_module.kl_divergence,
    "logcosh": losses_module.log_cosh, "poisson": losses_module.poisson,
    "hinge": losses_module.hinge, "squared_hinge": losses_module.squared_hinge,
    "categorical_hinge": losses_module.categorical_hinge,
    "cosine_similarity": cosine_similarity, "huber": losses_module.huber,
    "log_cosh": losses_module.log_cosh,
    "binary_focal_crossentropy": losses_module.binary_focal_crossentropy,
    "categorical_focal_crossentropy": losses_module.categorical_focal_crossentropy,
    "pearson_correlation": pearson_correlation,
    "concordance_correlation": concordance_correlation,
}


def get(identifier):
    """What Keras's `metrics.get` returns: a class's name, its snake case or one of
    Keras's aliases gives an instance (`"accuracy"` -> `Accuracy()`, `"mse"` ->
    `MeanSquaredError()`, `"auc"` -> `AUC()`); a config an instance; a `Metric` or a
    function comes back as it is, a class as an instance, None as None.

    Beyond Keras, a name in another case or of a function only hoarfrost knows by name
    (`"kld"`, `"huber"`) gives a metric too. `compile()` resolves its metrics with
    `compile_metric` (`"accuracy"` there depends on the loss and shapes, as in Keras).
    """
    if identifier is None:
        return None
    if isinstance(identifier, str):
        cls = _KERAS_NAMES.get(identifier)
        if cls is not None:
            return cls()
        return compile_metric(identifier)
    if isinstance(identifier, Metric) or (callable(identifier)
                                          and not isinstance(identifier, type)):
        return identifier
    return compile_metric(identifier)


def compile_metric(identifier, loss=None, y_true_shape=None, y_pred_shape=None) -> Metric:
    """A `Metric` from a `Metric`, a function or a name (any case), as `compile()` takes it.

    `'accuracy'`/`'acc'` become binary, sparse or categorical accuracy from
    the loss and the target and output shapes, as in Keras.
    """
    if isinstance(identifier, Metric):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Metric):
        return identifier()
    if isinstance(identifier, str):
        key = identifier.lower()
        if key in ("accuracy", "acc"):
            return _resolve_accuracy(identifier, loss, y_true_shape, y_pred_shape)
        if identifier in _CLASSES:  # a class name as written ("Poisson"), as in Keras
            return _CLASSES[identifier]()
        if key in _NAMES:
            return MeanMetricWrapper(_NAMES[key], name=identifier)
        cls = _class_names().get(key)
        if cls is not None:
            return cls()
    elif isinstance(identifier, dict) and identifier.get("class_name") in _CLASSES:
        return _CLASSES[identifier["class_name"]].from_config(identifier.get("config", {}))
    elif callable(identifier):  # named as Keras's get_object_name: `<lambda>` -> `lambda`
        return MeanMetricWrapper(identifier,
                                 name=to_snake_case(getattr(identifier, "__name__", "")) or None)
    names = sorted(set(_NAMES) | {to_snake_case(k) for k, c in _CLASSES.items()
                                  if not _needs_arguments(c)} | {"auc"})
    raise ValueError(
        f"Unknown metric {identifier!r}. Expected a Metric, a function (y_true, y_pred), or "
        f"one of: accuracy, acc, {', '.join(n for n in names if n not in ('accuracy', 'acc'))}."
    )


def _needs_arguments(cls: type) -> bool:
    """Whether the class can not be made by name alone (`IoU` needs `num_classes`)."""
    return any(p.default is inspect.Parameter.empty and p.kind is p.POSITIONAL_OR_KEYWORD
               for p in list(inspect.signature(cls.__init__).parameters.values())[1:])


def _class_names() -> dict[str, type]:
    """Classes by lower-case name (`'auc'`, `'meansquarederror'`) and snake case
    (`'top_k_categorical_accuracy'`), as Keras's `metrics.get` accepts them."""
    table = {k.lower(): v for k, v in _CLASSES.items()}
    table.update({to_snake_case(k): v for k, v in _CLASSES.items()})
    return table


def _resolve_accuracy(name, loss, y_true_shape, y_pred_shape) -> Metric:
    if isinstance(loss, losses_module.BinaryCrossentropy) or (y_pred_shape and y_pred_shape[-1] == 1):
        return BinaryAccuracy(name=name)
    if isinstance(loss, losses_module.SparseCategoricalCrossentropy):
        return SparseCategoricalAccuracy(name=name)
    if isinstance(loss, losses_module.CategoricalCrossentropy):
        return CategoricalAccuracy(name=name)
    if y_true_shape is not None and y_pred_shape is not None and (
            len(y_true_shape) < len(y_pred_shape) or y_true_shape[-1] == 1):
        return SparseCategoricalAccuracy(name=name)
    return CategoricalAccuracy(name=name)


def serialize(metric: Metric):
    """`{class_name, config}` for a built-in metric object; None for any other."""
    if type(metric) in _CLASSES.values():
        return {"class_name": type(metric).__name__, "config": metric.get_config()}
    if callable(metric) and not isinstance(metric, type) and hasattr(metric, "__name__") \
            and not hasattr(metric, "get_config"):  # a function: Keras's function record
        return {"module": "builtins", "class_name": "function", "config": metric.__name__,
                "registered_name": "function"}
    return None


def identifier_of(metric):
    """A metric as `compile()` can take it again: a name, or a built-in's config; None
    for anything else (a custom metric)."""
    if isinstance(metric, (str, dict)):
        return metric  # a dict: a built-in's config, as load_model() passes it
    if isinstance(metric, Metric):
        return serialize(metric)
    if isinstance(metric, type) and metric in _CLASSES.values():
        return {"class_name": metric.__name__, "config": {}}
    if _NAMES.get(getattr(metric, "__name__", None)) is metric:
        return metric.__name__  # a built-in function
    return None


#: Short names `metrics.deserialize` takes for classes, as Keras's.
_ALIASES = {"bce": BinaryCrossentropy, "BCE": BinaryCrossentropy, "mse": MeanSquaredError,
            "MSE": MeanSquaredError, "mae": MeanAbsoluteError, "MAE": MeanAbsoluteError,
            "mape": MeanAbsolutePercentageError, "MAPE": MeanAbsolutePercentageError,
            "msle": MeanSquaredLogarithmicError, "MSLE": MeanSquaredLogarithmicError}


#: What Keras's `metrics.get` finds by name (`ALL_OBJECTS_DICT`): every class by its name
#: and its snake case, and the short aliases.
_KERAS_NAMES = {**{to_snake_case(k): c for k, c in _CLASSES.items()}, **_CLASSES, **_ALIASES}


def deserialize(config, custom_objects: dict | None = None):
    """The metric a config or a name describes (Keras's `metrics.deserialize`).

    A class's name (`"F1Score"`, `"f1_score"`, `"mse"`) gives an instance; a custom
    object's name gives that object; any other name comes back as the string, as in
    Keras (`metrics.get` resolves function names such as `"huber"`).
    """
    objects = {**{to_snake_case(k): c for k, c in _CLASSES.items()}, **_CLASSES, **_ALIASES}
    if isinstance(config, str):
        if config in (custom_objects or {}):
            return custom_objects[config]
        return objects[config]() if config in objects else config
    return deserialize_object(config, objects, "metric", custom_objects)
