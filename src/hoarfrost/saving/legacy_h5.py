"""`model.save("model.h5")`: the legacy HDF5 model file, as Keras 3's legacy writer makes it.

Keras 3 still writes it (with a warning that the format is legacy) and both
Keras and hoarfrost load it: `model_config` and `training_config` attributes
(JSON), the weights under `model_weights/<layer>/<weight path>` listed by the
`layer_names` and `weight_names` attributes, the optimizer's under
`optimizer_weights` named as Keras names them (`adam/dense_kernel_momentum`).
Layer trainable flags travel in the config; hoarfrost's per-variable flags ride
along in a `hoarfrost_state` attribute, which Keras ignores. The optimizer state
of frozen variables has no place in this format (the `.keras` file keeps it).
"""

from __future__ import annotations

import json
import os
import warnings

import numpy as np

from hoarfrost.host import is_writer, to_host
from hoarfrost.saving import h5_format, keras_optimizer
from hoarfrost.saving.keras_archive import (KERAS_VERSION, config_json, keras_model_config,
                                            savable_optimizer)
from hoarfrost.saving.keras_extras import flags_state
from hoarfrost.saving.temp_files import atomic_write

#: What Keras 3 says when a model is saved to `.h5`, said here too.
LEGACY_WARNING = (
    "You are saving your model as an HDF5 file via `model.save()` or "
    "`keras.saving.save_model(model)`. This file format is considered legacy. We recommend "
    "using instead the native Keras format, e.g. `model.save('my_model.keras')` or "
    "`keras.saving.save_model(model, 'my_model.keras')`.")
STATE_ATTR = "hoarfrost_state"


def is_legacy_path(filepath) -> bool:
    return os.fspath(filepath).endswith((".h5", ".hdf5"))


def save_legacy_h5(model, filepath, overwrite: bool = True,
                   include_optimizer: bool = True) -> None:
    """Write `model` to a legacy HDF5 file (atomic: a failed save keeps the old file)."""
    warnings.warn(LEGACY_WARNING, stacklevel=4)  # at the caller of model.save()
    filepath = os.fspath(filepath)
    if os.path.exists(filepath) and not overwrite:
        raise FileExistsError(f"save(): {filepath!r} exists and overwrite=False.")
    state = flags_state(model)
    optimizer_weights = _optimizer_weights(model) if include_optimizer else []
    config = keras_model_config(model, state, bool(optimizer_weights))
    training = config.pop("compile_config", None) if include_optimizer else None
    if training is not None and training.get("optimizer") is not None:
        optimizer = training.pop("optimizer")
        training["optimizer_config"] = {"class_name": optimizer["class_name"],
                                        "config": optimizer["config"]}
    model_config = {"class_name": config["class_name"], "config": config["config"]}
    layers = [layer for layer in model.layers if layer.name]
    weights = {layer.name: [(v.path, to_host(v.value))
                            for v in h5_format.keras_weight_order(layer)] for layer in layers}
    model_json = config_json(model, model_config)
    training_json = None if training is None else config_json(model, training)
    h5py = h5_format._h5py()

    def write(handle):
        with h5py.File(handle, "w") as f:
            f.attrs["keras_version"] = KERAS_VERSION
            f.attrs["backend"] = "jax"
            f.attrs["model_config"] = model_json
            if training_json is not None:
                f.attrs["training_config"] = training_json
            f.attrs[STATE_ATTR] = json.dumps({"layers": state["layers"],
                                              "variables": state["variables"]})
            group = f.create_group("model_weights")
            group.attrs["layer_names"] = [layer.name.encode("utf8") for layer in layers]
            group.attrs["backend"] = b"jax"
            group.attrs["keras_version"] = KERAS_VERSION.encode("utf8")
            for name in sorted(weights):
                _write_named(group.create_group(name), weights[name])
            if optimizer_weights:
                _write_named(f.create_group("optimizer_weights"), optimizer_weights)

    if is_writer():
        atomic_write(filepath, write)


def _write_named(group, named: list) -> None:
    group.attrs["weight_names"] = [name.encode("utf8") for name, _ in named]
    for name, value in named:
        group.create_dataset(name, data=np.asarray(value))


def _optimizer_weights(model) -> list:
    """`[(name, array)]` of the optimizer's state in Keras 3's legacy naming; `[]` for a
    model without a savable optimizer, or one whose Keras layout hoarfrost does not know."""
    optimizer = savable_optimizer(model)
    if optimizer is None:
        return []
    variables = model.trainable_weights
    arrays = keras_optimizer.keras_arrays(optimizer, variables)
    if arrays is None:
        return []
    entries = keras_optimizer.keras_entries(optimizer, variables)
    inner = getattr(optimizer, "inner_optimizer", optimizer)
    named = []
    for (kind, variable, name), value in zip(entries, arrays):
        if kind == "iterations":
            key = f"{inner.name}/iteration"
        elif kind == "rate":
            key = f"{inner.name}/learning_rate"
        elif kind == "own":
            key = f"{optimizer.name}/{('iteration', 'learning_rate')[name]}"
        elif kind in ("extra", "shared"):
            key = f"{optimizer.name if kind == 'extra' else inner.name}/{name}"
        else:  # a slot or its placeholder: the variable's path, Keras's way
            key = f"{inner.name}/{variable.path.replace('/', '_')}_{name}"
        named.append((key, value))
    return named
