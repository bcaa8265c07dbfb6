"""The `.keras` format: one zip, written atomically.

It holds `config.json` (architecture, compile settings), `model.safetensors`
(weights in `model.weights` order) and `state.json` (every layer's and
variable's trainable flag, the optimizer's config and which variables own
which slots), plus `optimizer.safetensors` (the slots and step count). A
loaded model therefore continues training exactly where it stopped, frozen
exactly as it was.
"""

from __future__ import annotations

import json
import os
import tempfile
import zipfile
from pathlib import Path

import jax
import numpy as np
from safetensors.numpy import load as st_load
from safetensors.numpy import save as st_save

from hoarfrost.saving.serialization import deserialize_layer, serialize_layer

FORMAT = "hoarfrost.keras"
FORMAT_VERSION = 1


def _atomic_write(filepath, write) -> None:
    """Write through a temp file in the same directory, then rename over the target."""
    path = Path(filepath)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _check_overwrite(filepath, overwrite: bool) -> None:
    if not overwrite and os.path.exists(filepath):
        raise FileExistsError(f"{filepath} exists and overwrite=False.")


def _layers_in_order(layer):
    yield layer
    for child in layer._layers:
        yield from _layers_in_order(child)


def _weights_blob(model) -> bytes:
    tensors = {f"{i:05d}": np.ascontiguousarray(v.numpy()) for i, v in enumerate(model.weights)}
    return st_save(tensors, metadata={"format": FORMAT})


def _trainability(model) -> dict:
    return {
        "layers": [layer._trainable for layer in _layers_in_order(model)],
        "variables": [{"path": v.path, "shape": list(v.shape), "dtype": str(v.dtype),
                       "trainable": v._trainable} for v in model.weights],
    }


def _optimizer_blob(model) -> tuple[dict, bytes] | tuple[None, None]:
    from hoarfrost import optimizers
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None:
        return None, None
    config = optimizers.serialize(optimizer)
    if config is None:
        return None, None
    index = {id(v): i for i, v in enumerate(model.weights)}
    tensors = {"iterations": np.asarray(optimizer.iterations.numpy())}
    owners = []
    for variable, slots in optimizer._slots.items():
        if id(variable) not in index:
            continue
        i = index[id(variable)]
        owners.append(i)
        for j, leaf in enumerate(jax.tree.leaves(slots)):
            tensors[f"{i:05d}/{j}"] = np.asarray(leaf)
    return {"optimizer": config, "slots": owners}, st_save(tensors)


def save_model(model, filepath, overwrite: bool = True) -> None:
    """Save a model to a `.keras` zip (atomic: a failed save keeps the old file)."""
    filepath = os.fspath(filepath)
    if not filepath.endswith(".keras"):
        raise ValueError(
            f"save(): the filepath must end in .keras, got {filepath!r}. Use "
            "save_weights() for a weights-only file."
        )
    _check_overwrite(filepath, overwrite)
    try:
        config = json.dumps({
            "class_name": type(model).__name__,
            "registered_name": getattr(type(model), "_registered_name", None),
            "config": model.get_config(),
            "build_config": {"input_shape": _jsonable(model._build_shapes_dict)},
            "compile_config": _compile_config(model),
        })
    except TypeError as exc:
        raise TypeError(
            f"save(): model \"{model.name}\" has a config that is not JSON-serializable ({exc}). "
            "Custom layers must return plain values from get_config()."
        ) from exc
    opt_state, opt_blob = _optimizer_blob(model)
    state = {"format": FORMAT, "version": FORMAT_VERSION, **_trainability(model),
             "optimizer": opt_state}
    weights = _weights_blob(model)

    def write(handle):
        with zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_STORED) as archive:
            archive.writestr("metadata.json", json.dumps({"format": FORMAT,
                                                          "version": FORMAT_VERSION}))
            archive.writestr("config.json", config)
            archive.writestr("state.json", json.dumps(state))
            archive.writestr("model.safetensors", weights)
            if opt_blob is not None:
                archive.writestr("optimizer.safetensors", opt_blob)

    _atomic_write(filepath, write)


def _jsonable(tree):
    if isinstance(tree, tuple):
        return [_jsonable(t) for t in tree]
    if isinstance(tree, list):
        return [_jsonable(t) for t in tree]
    return tree


def _compile_config(model) -> dict | None:
    from hoarfrost import losses, optimizers
    if not getattr(model, "compiled", False):
        return None
    loss = model.loss if isinstance(model.loss, str) else losses.serialize(model._loss_obj)
    metrics = [m for m in model._metric_identifiers if isinstance(m, str)]
    return {"loss": loss, "metrics": metrics,
            "steps_per_execution": model.steps_per_execution,
            "has_optimizer": optimizers.serialize(model.optimizer) is not None}


def _open_archive(filepath) -> zipfile.ZipFile:
    filepath = os.fspath(filepath)
    if not os.path.exists(filepath):
        raise FileNotFoundError(f"No file at {filepath!r}.")
    try:
        archive = zipfile.ZipFile(filepath)
        names = set(archive.namelist())
    except zipfile.BadZipFile as exc:
        raise ValueError(
            f"{filepath!r} is not a valid .keras file: it is not a complete zip archive "
            f"({exc}); it may be truncated or of another format."
        ) from exc
    missing = {"metadata.json", "config.json", "state.json", "model.safetensors"} - names
    if missing:
        raise ValueError(
            f"{filepath!r} is not a hoarfrost .keras file: it lacks {sorted(missing)}."
        )
    return archive


def _read(archive: zipfile.ZipFile, name: str, filepath) -> bytes:
    try:
        return archive.read(name)
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise ValueError(f"{filepath!r} is corrupted: can not read {name} ({exc}).") from exc


def load_model(filepath, custom_objects: dict | None = None, compile: bool = True):
    """Load a model saved by `model.save()`: architecture, weights, flags, optimizer."""
    with _open_archive(filepath) as archive:
        try:
            meta = json.loads(_read(archive, "metadata.json", filepath))
            config = json.loads(_read(archive, "config.json", filepath))
            state = json.loads(_read(archive, "state.json", filepath))
        except json.JSONDecodeError as exc:
            raise ValueError(f"{filepath!r} is corrupted: invalid JSON ({exc}).") from exc
        if meta.get("format") != FORMAT:
            raise ValueError(f"{filepath!r} was not written by hoarfrost (format "
                             f"{meta.get('format')!r}).")
        weights = _load_tensors(_read(archive, "model.safetensors", filepath), filepath)
        opt_blob = (_read(archive, "optimizer.safetensors", filepath)
                    if "optimizer.safetensors" in archive.namelist() else None)
    model = deserialize_layer(config, custom_objects)
    input_shape = (config.get("build_config") or {}).get("input_shape")
    if not model.built and input_shape is not None:
        model.build(_to_tuples(input_shape))
    _assign_weights(model, weights, state["variables"], filepath)
    _restore_trainability(model, state)
    compile_config = config.get("compile_config")
    if compile and compile_config:
        _restore_compile(model, compile_config, state.get("optimizer"), opt_blob, filepath)
    return model


def _to_tuples(shape):
    if isinstance(shape, list) and shape and isinstance(shape[0], list):
        return [tuple(s) for s in shape]
    return tuple(shape)


def _load_tensors(blob: bytes, filepath) -> dict:
    try:
        return st_load(blob)
    except Exception as exc:
        raise ValueError(f"{filepath!r} is corrupted: can not read its weights ({exc}).") from exc


def _assign_weights(model, tensors: dict, records: list, filepath) -> None:
    variables = model.weights
    if len(variables) != len(records) or len(tensors) != len(records):
        raise ValueError(
            f"{filepath!r} holds {len(records)} weights, but model \"{model.name}\" has "
            f"{len(variables)}."
        )
    values = []
    for i, (variable, record) in enumerate(zip(variables, records)):
        value = tensors.get(f"{i:05d}")
        if value is None or list(value.shape) != list(variable.shape):
            raise ValueError(
                f"{filepath!r}: weight {i} ({record['path']}) has shape "
                f"{None if value is None else list(value.shape)}, but the model's variable "
                f"{variable.path} has shape {list(variable.shape)}."
            )
        values.append(value)
    for variable, value in zip(variables, values):
        variable.assign(value)


def _restore_trainability(model, state: dict) -> None:
    for layer, flag in zip(_layers_in_order(model), state["layers"]):
        layer._trainable = bool(flag)
    for variable, record in zip(model.weights, state["variables"]):
        if not variable._is_state:
            variable._trainable = bool(record["trainable"])


def _restore_compile(model, compile_config: dict, opt_state, opt_blob, filepath) -> None:
    from hoarfrost import optimizers
    if compile_config.get("loss") is None or opt_state is None:
        return
    optimizer = optimizers.get(opt_state["optimizer"])
    model.compile(optimizer=optimizer, loss=compile_config["loss"],
                  metrics=compile_config.get("metrics") or None,
                  steps_per_execution=compile_config.get("steps_per_execution", "auto"))
    if opt_blob is None:
        return
    tensors = _load_tensors(opt_blob, filepath)
    optimizer.iterations.assign(tensors["iterations"])
    variables = model.weights
    for i in opt_state["slots"]:
        variable = variables[i]
        template = optimizer.slots_for(variable)
        leaves, treedef = jax.tree.flatten(template)
        loaded = [jax.numpy.asarray(tensors[f"{i:05d}/{j}"]) for j in range(len(leaves))]
        optimizer._slots[variable] = jax.tree.unflatten(treedef, loaded)


def save_weights(model, filepath, overwrite: bool = True) -> None:
    """Save weights and trainable flags to a `.weights.safetensors` file (atomic)."""
    filepath = os.fspath(filepath)
    if not (filepath.endswith(".safetensors") or filepath.endswith(".weights.h5")):
        raise ValueError(
            f"save_weights(): the filepath must end in .weights.safetensors (or .weights.h5), "
            f"got {filepath!r}."
        )
    _check_overwrite(filepath, overwrite)
    tensors = {f"{i:05d}": np.ascontiguousarray(v.numpy()) for i, v in enumerate(model.weights)}
    blob = st_save(tensors, metadata={"format": FORMAT,
                                      "state": json.dumps(_trainability(model))})
    _atomic_write(filepath, lambda handle: handle.write(blob))


def load_weights(model, filepath) -> None:
    """Load weights from `save_weights` (or a `.keras` file) into a built model."""
    filepath = os.fspath(filepath)
    if filepath.endswith(".keras"):
        with _open_archive(filepath) as archive:
            state = json.loads(_read(archive, "state.json", filepath))
            tensors = _load_tensors(_read(archive, "model.safetensors", filepath), filepath)
    else:
        if not os.path.exists(filepath):
            raise FileNotFoundError(f"No file at {filepath!r}.")
        with open(filepath, "rb") as handle:
            blob = handle.read()
        tensors = _load_tensors(blob, filepath)
        from safetensors import safe_open
        with safe_open(filepath, framework="numpy") as handle:
            meta = handle.metadata() or {}
        if meta.get("format") != FORMAT or "state" not in meta:
            raise ValueError(f"{filepath!r} was not written by hoarfrost's save_weights().")
        state = json.loads(meta["state"])
    if not model.built:
        raise ValueError(
            f'load_weights(): model "{model.name}" is not built, so it has no weights to '
            "load into. Build it first (give an input shape, or call it on data)."
        )
    _assign_weights(model, tensors, state["variables"], filepath)
