"""What `compile()` was given, as saved in a `.keras` file, and compiling from it again.

`compile_config` records the losses, metrics (built-ins by name or config,
custom ones by registered name), loss weights and steps per execution;
`restore_compile` compiles a loaded model from that record and the
optimizer's, warning (naming what) where something can not be restored.
"""

from __future__ import annotations

import json
import warnings

from hoarfrost import losses, metrics, optimizers
from hoarfrost.object_registration import get_registered_object
from hoarfrost.saving import training_state


def jsonable(tree):
    if isinstance(tree, tuple):
        return [jsonable(t) for t in tree]
    if isinstance(tree, list):
        return [jsonable(t) for t in tree]
    return tree


def compile_config(model) -> dict | None:
    if not getattr(model, "compiled", False):
        return None
    def one_loss(loss, obj):
        if loss is None or isinstance(loss, str):
            return loss
        return losses.serialize(obj) or _custom(loss)

    loss, objects = model.loss, model._loss_obj
    if isinstance(loss, dict) and isinstance(objects, dict):  # one loss per output
        loss = {k: one_loss(v, objects[k]) for k, v in loss.items()}
    elif isinstance(loss, (list, tuple)):
        loss = [one_loss(v, o) for v, o in zip(loss, objects)]
    else:
        loss = one_loss(loss, objects)
    config = model._compile_config
    return {"loss": loss, "metrics": _map_entries(config.metrics, _metric_identifier) or [],
            "weighted_metrics": _map_entries(config.weighted_metrics, _metric_identifier),
            "loss_weights": jsonable(config.loss_weights),
            "steps_per_execution": model.steps_per_execution,
            "has_optimizer": optimizers.serialize(model.optimizer) is not None}


def _map_entries(tree, fn):
    """`fn` on each identifier of a compile argument, keeping its lists and dicts."""
    if tree is None:
        return None
    if isinstance(tree, dict) and "class_name" not in tree and "custom" not in tree:
        return {k: _map_entries(v, fn) for k, v in tree.items()}
    if isinstance(tree, (list, tuple)):
        return [_map_entries(v, fn) for v in tree]
    return fn(tree)


def _metric_identifier(metric):
    """A metric as JSON: a name, a built-in's config, or `_custom(metric)`."""
    found = metrics.identifier_of(metric)
    return _custom(metric) if found is None else found


def _custom(obj) -> dict:
    """`{"custom": name[, "config"]}`: found again at load in `custom_objects` or the registry."""
    named = obj if hasattr(obj, "__name__") else type(obj)
    custom = {"custom": getattr(named, "_registered_name", None) or named.__name__}
    if named is type(obj) and hasattr(obj, "get_config"):
        try:
            custom["config"] = json.loads(json.dumps(obj.get_config()))
        except (TypeError, ValueError):
            pass
    return custom


def to_tuples(shape):
    if isinstance(shape, list) and shape and isinstance(shape[0], list):
        return [tuple(s) for s in shape]
    return tuple(shape)


def restore_compile(model, compile_config: dict, opt_state, filepath, custom_objects) -> None:
    if compile_config.get("loss") is None:
        return
    if opt_state is None:
        warn(filepath, "its optimizer is not one of hoarfrost's built-in optimizers, so it "
              "was not saved; the model is loaded uncompiled. Call compile() to train it.")
        return
    missing: list = []

    def resolve(identifier):
        found = _resolve_custom(identifier, custom_objects)
        if found is None and identifier is not None:
            missing.append(identifier["custom"])
        return found

    loss = _map_entries(compile_config["loss"], resolve)
    if missing:
        name = missing[0]
        warn(filepath, f"its loss '{name}' is not registered; the model is loaded "
              f"uncompiled. Pass custom_objects={{'{name}': {name}}} to load_model().")
        return
    metrics, weighted = (_map_entries(compile_config.get(key), resolve)
                         for key in ("metrics", "weighted_metrics"))
    for name in missing:  # an unknown metric is left out (None: no metric there)
        warn(filepath, f"its metric '{name}' is not registered and is left out. Pass "
              f"custom_objects={{'{name}': {name}}} to load_model().")
    optimizer = optimizers.get(opt_state["optimizer"])
    multipliers = {training_state.pattern_from_json(kind, pattern, flags): factor
                   for kind, pattern, flags, factor in opt_state.get("lr_multipliers", [])}
    model.compile(optimizer=optimizer, loss=loss, metrics=metrics or None,
                  weighted_metrics=weighted or None,
                  loss_weights=compile_config.get("loss_weights"),
                  steps_per_execution=compile_config.get("steps_per_execution", "auto"),
                  lr_multipliers=multipliers)
    if opt_state.get("schedule"):
        warn(filepath, "its optimizer's learning rate was a schedule (a Python function, "
              f"which can not be saved); it continues at the constant rate "
              f"{float(optimizer.learning_rate):g} it had reached. Set "
              "`model.optimizer.learning_rate = schedule` to restore the schedule.")


def _resolve_custom(identifier, custom_objects):
    """A saved loss/metric identifier, with `{"custom": name}` looked up; None if unknown."""
    if not (isinstance(identifier, dict) and "custom" in identifier):
        return identifier
    found = get_registered_object(identifier["custom"], custom_objects)
    if isinstance(found, type):
        config = identifier.get("config")
        return found.from_config(config) if config is not None else found()
    return found


def warn(filepath, message: str) -> None:
    warnings.warn(f"load_model({filepath!r}): {message}", stacklevel=4)  # the caller's line
