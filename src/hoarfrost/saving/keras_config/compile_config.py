"""Compile settings both ways: optimizer configs, loss and metric identifiers, and
Keras's `compile_config`."""

from __future__ import annotations

import re

from hoarfrost.saving.keras_config.dialect import (_fail, _IGNORABLE, _KERAS_ONLY,
                                                   _object_from_keras, _short)


def optimizer_from_keras(config: dict, where: str = "optimizer") -> dict:
    """A Keras optimizer config as hoarfrost's `{"class_name", "config"}`."""
    class_name = config.get("class_name")
    if isinstance(class_name, str) and class_name.startswith("Custom>"):
        class_name = class_name[len("Custom>"):]  # tf_keras registers its optimizers so
    if class_name == "LossScaleOptimizerV3":  # tf_keras's name of Keras 3's wrapper
        class_name = "LossScaleOptimizer"
    inner = dict(config.get("config") or {})
    out = {}
    for key, value in inner.items():
        if key in _KERAS_ONLY:
            if value != _KERAS_ONLY[key]:
                _fail(where, f"{class_name}'s {key}={_short(value)} is not supported by "
                      f"hoarfrost (only {key}={_short(_KERAS_ONLY[key])}).")
            continue
        if key in _IGNORABLE:
            continue
        if key in ("is_legacy_optimizer", "jit_compile", "decay") and not value:
            continue
        if key == "inner_optimizer" and isinstance(value, dict):
            value = optimizer_from_keras(value, where)
        elif isinstance(value, dict) and "class_name" in value:
            value = _object_from_keras(value, where)
        out[key] = value
    if isinstance(out.get("name"), str):
        out["name"] = re.sub(r"_\d+$", "", out["name"]).lower()
    return {"class_name": class_name, "config": out}


def optimizer_to_keras(serialized: dict) -> dict:
    config = dict(serialized["config"])
    if serialized["class_name"] == "LossScaleOptimizer":  # no base arguments, as Keras's
        config["inner_optimizer"] = optimizer_to_keras(config["inner_optimizer"])
        return {"module": "keras.optimizers", "class_name": "LossScaleOptimizer",
                "config": config, "registered_name": None}
    for key, default in (("use_ema", False), ("ema_momentum", 0.99),
                         ("ema_overwrite_frequency", None), ("loss_scale_factor", None),
                         ("gradient_accumulation_steps", None)):
        config.setdefault(key, default)
    if isinstance(config.get("learning_rate"), dict):
        schedule = dict(config["learning_rate"])
        schedule["module"] = "keras.optimizers.schedules"
        config["learning_rate"] = schedule
    return {"module": "keras.optimizers", "class_name": serialized["class_name"],
            "config": config, "registered_name": None}


def identifier_to_keras(value, module: str):
    """A loss/metric identifier (a name, or `{"class_name", "config"}`) for Keras."""
    if isinstance(value, dict) and "class_name" in value:
        return {"module": module, "class_name": value["class_name"],
                "config": value.get("config", {}), "registered_name": None}
    if isinstance(value, dict) and "custom" in value:
        return value["custom"]
    if isinstance(value, list):
        return [identifier_to_keras(v, module) for v in value]
    if isinstance(value, dict):
        return {k: identifier_to_keras(v, module) for k, v in value.items()}
    return value


def identifier_from_keras(value):
    """A loss/metric identifier from Keras's compile config, unwrapped."""
    if isinstance(value, dict) and value.get("class_name") == "MeanMetricWrapper":
        return (value.get("config") or {}).get("name")  # tf_keras's form of "mae", ...
    if isinstance(value, dict) and "class_name" in value and "config" in value:
        return {"class_name": value["class_name"], "config": value["config"]}
    if isinstance(value, list):
        return [identifier_from_keras(v) for v in value]
    if isinstance(value, dict):
        return {k: identifier_from_keras(v) for k, v in value.items()}
    return value


def compile_to_keras(model, hoarfrost_compile: dict, optimizer: dict | None) -> dict:
    spe = hoarfrost_compile.get("steps_per_execution")
    return {"optimizer": optimizer,
            "loss": identifier_to_keras(hoarfrost_compile.get("loss"), "keras.losses"),
            "loss_weights": hoarfrost_compile.get("loss_weights"),
            "metrics": identifier_to_keras(hoarfrost_compile.get("metrics"), "keras.metrics"),
            "weighted_metrics": identifier_to_keras(hoarfrost_compile.get("weighted_metrics"),
                                                    "keras.metrics"),
            "run_eagerly": False, "steps_per_execution": spe if isinstance(spe, int) else 1,
            "jit_compile": True}


def compile_from_keras(config: dict, where: str) -> tuple[dict, dict | None]:
    """Keras's compile config as (hoarfrost's compile config, optimizer config or None)."""
    optimizer = config.get("optimizer") or config.get("optimizer_config")
    if isinstance(optimizer, str):
        optimizer = {"class_name": optimizer, "config": {}}
    # run_eagerly / jit_compile are execution modes: hoarfrost always compiles its steps.
    spe = config.get("steps_per_execution", 1)
    out = {"loss": identifier_from_keras(config.get("loss")),
           "metrics": identifier_from_keras(config.get("metrics")) or [],
           "weighted_metrics": identifier_from_keras(config.get("weighted_metrics")),
           "loss_weights": config.get("loss_weights"),
           "steps_per_execution": spe if isinstance(spe, int) and spe > 1 else "auto"}
    opt = None
    if optimizer is not None:
        opt = optimizer_from_keras(optimizer, f"{where}, optimizer")
    return out, opt
