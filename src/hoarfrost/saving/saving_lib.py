"""Saving and loading models and weights: dispatch by file content, atomic writes.

`save_model` writes a Keras 3 `.keras` zip with hoarfrost's extras
(`keras_archive.py`); `load_model` and `load_weights` tell the formats apart
by their bytes (`keras_archive.detect`): hoarfrost's and Keras 3's `.keras`
zips, Keras's `.weights.h5`, legacy Keras 2 HDF5 models and weights, and
hoarfrost's `.weights.safetensors`.

This module also reads hoarfrost's first format (format 1, before Keras
compatibility): a zip of `config.json`, `model.safetensors` (weights in the
then `model.weights` order), `state.json` (trainable flags, optimizer config,
slot owners) and `optimizer.safetensors`. A loaded model continues training
exactly where it stopped, frozen exactly as it was.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import warnings
import zipfile
from pathlib import Path

import jax
import numpy as np

from hoarfrost.distribution import is_writer
from hoarfrost.saving import archive as archives
from hoarfrost.saving import temp_files, tensor_file, validation
from hoarfrost.saving.serialization import deserialize_layer

FORMAT = "hoarfrost.keras"
FORMAT_VERSION = 1


def _atomic_write(filepath, write) -> None:
    """Write through a temp file in the same directory, then rename over the target.

    The temp file's name marks its writer, so that the next write to the same
    target removes what a killed one left (see `temp_files`).
    """
    path = Path(filepath)
    path.parent.mkdir(parents=True, exist_ok=True)
    temp_files.remove_stale(path)
    fd, tmp = tempfile.mkstemp(prefix=temp_files.prefix(path), suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, _file_mode(path))  # mkstemp's 0600 would hide the file from others
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _file_mode(path: Path) -> int:
    """The mode of the file being replaced, else what `open()` would give (0666 - umask)."""
    try:
        return os.stat(path).st_mode & 0o7777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _check_overwrite(filepath, overwrite: bool) -> None:
    if not overwrite and os.path.exists(filepath):
        raise FileExistsError(f"{filepath} exists and overwrite=False.")


def _layers_in_order(layer):
    """Format 1's layer order: depth first, a functional model's layers in call order."""
    yield layer
    nodes = getattr(layer, "_nodes", None)
    children = (list(dict.fromkeys(node.layer for node in nodes)) if nodes is not None
                else layer._layers)
    for child in children:
        yield from _layers_in_order(child)


def _v1_weights(model) -> list:
    """`model.weights` in format 1's order (functional layers in call order)."""
    seen, out = set(), []
    for layer in _layers_in_order(model):
        for variable in layer._variables:
            if id(variable) not in seen:
                seen.add(id(variable))
                out.append(variable)
    return out


def _contiguous(value: np.ndarray) -> np.ndarray:
    """C-contiguous, keeping the shape (np.ascontiguousarray makes a scalar 1-D)."""
    return np.ascontiguousarray(value).reshape(value.shape)


def _trainability(model) -> dict:
    return {
        "layers": [layer._trainable for layer in _layers_in_order(model)],
        "variables": [{"path": v.path, "shape": list(v.shape), "dtype": str(v.dtype),
                       "trainable": v._trainable} for v in model.weights],
    }


def _optimizer_state(optimizer) -> dict | None:
    """A built-in optimizer's config and learning-rate multipliers (None for another):
    what a saved file needs besides the slots to rebuild it."""
    from hoarfrost import optimizers
    config = optimizers.serialize(optimizer) if optimizer is not None else None
    if config is None:
        return None
    state = {"optimizer": config, "slots": [],
             "lr_multipliers": [_pattern_to_json(p) + [float(f)]
                                for p, f in optimizer.lr_multipliers.items()]}
    if optimizer._schedule is not None and "learning_rate" not in config["config"]:
        # A schedule is a Python callable: keep its current value, say so at load.
        config["config"]["learning_rate"] = float(optimizer.learning_rate)
        state["schedule"] = True
    return state


def _pattern_to_json(pattern) -> list:
    if isinstance(pattern, re.Pattern):
        return ["regex", pattern.pattern, pattern.flags]
    return ["glob", pattern, 0]


def _pattern_from_json(kind, pattern, flags):
    return re.compile(pattern, flags) if kind == "regex" else pattern


def save_model(model, filepath, overwrite: bool = True) -> None:
    """Save a model to a `.keras` zip Keras 3 also loads (atomic: a failed save keeps the
    old file).

    Over several processes every process calls it (values may be gathered)
    and process 0 alone writes, as in Keras.
    """
    from hoarfrost.saving import keras_archive
    filepath = os.fspath(filepath)
    if not filepath.endswith(".keras"):
        raise ValueError(
            f"save(): the filepath must end in .keras, got {filepath!r}. Use "
            "save_weights() for a weights-only file."
        )
    _check_overwrite(filepath, overwrite)
    members = keras_archive.keras_zip_members(model)

    def write(handle):
        with zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_STORED) as archive:
            for name, blob in members.items():
                archive.writestr(name, blob)

    if is_writer():  # every process gathered the values above; process 0 alone writes
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
            "loss_weights": _jsonable(config.loss_weights),
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
    from hoarfrost import metrics
    if isinstance(metric, (str, dict)):
        return metric  # a dict: a built-in's config, as load_model() passes it
    if isinstance(metric, metrics.Metric) and metrics.serialize(metric) is not None:
        return metrics.serialize(metric)
    if isinstance(metric, type) and metric in metrics._CLASSES.values():
        return {"class_name": metric.__name__, "config": {}}
    if metrics._NAMES.get(getattr(metric, "__name__", None)) is metric:
        return metric.__name__  # a built-in function
    return _custom(metric)


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


_MEMBERS = ("metadata.json", "config.json", "state.json", "model.safetensors")
_OPTIONAL_MEMBERS = ("optimizer.safetensors",)


def _open_archive(filepath) -> zipfile.ZipFile:
    """The checked zip (sizes, ratios: `archive.open_archive`) of a hoarfrost `.keras`
    file, holding exactly this format's members."""
    filepath = os.fspath(filepath)
    archive = archives.open_archive(filepath)
    try:
        if "metadata.json" in archive.namelist():
            _check_metadata(_read(archive, "metadata.json", filepath), filepath)
        missing = set(_MEMBERS) - set(archive.namelist())
        if missing:
            raise ValueError(
                f"{filepath!r} is not a hoarfrost .keras file: it lacks {sorted(missing)}."
            )
        archives.check_members(archive, _MEMBERS, _OPTIONAL_MEMBERS)
    except BaseException:
        archive.close()
        raise
    return archive


def _check_metadata(blob: bytes, filepath) -> None:
    """Refuse files of other formats (a Keras 3 `.keras` zip, ...) by their metadata."""
    try:
        meta = json.loads(blob)
    except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError
        raise ValueError(f"{filepath!r} is corrupted: metadata.json is not valid JSON "
                         f"({exc}).") from exc
    if isinstance(meta, dict) and meta.get("format") == FORMAT:
        return
    if isinstance(meta, dict):
        found = (f"Keras {meta['keras_version']}" if "keras_version" in meta
                 else f"format {meta.get('format')!r}")
    else:
        found = f"metadata {json.dumps(meta)[:60]}"
    raise ValueError(f"{filepath!r} was not written by hoarfrost ({found}); expected a "
                     f".keras file from hoarfrost's model.save() (format {FORMAT!r}).")


def _read(archive: zipfile.ZipFile, name: str, filepath) -> bytes:
    """A small member's bytes (JSON), within `archive.MAX_JSON_BYTES`."""
    return archives.read_member(archive, name, max_bytes=archives.MAX_JSON_BYTES)


def _read_tensors(archive: zipfile.ZipFile, name: str) -> dict:
    """A safetensors member's tensors, streamed and checked (sizes, checksums)."""
    with archives.open_member(archive, name) as stream:
        return tensor_file.read(stream, archives.member_size(archive, name),
                                archives.member_label(archive, name))[0]


def load_model(filepath, custom_objects: dict | None = None, compile: bool = True,
               safe_mode: bool = True):
    """Load a model: architecture, weights, flags and (with `compile`) the optimizer.

    Reads hoarfrost's `.keras` files (both formats), Keras 3's `.keras` files
    and legacy Keras 2 HDF5 models, told apart by content. Custom layers,
    losses and metrics that are not registered are looked up by class or
    function name in `custom_objects`. The whole file is read and checked
    (structure, counts, shapes, checksums) before anything is built.

    Args:
        filepath: a `.keras` or legacy `.h5` model file.
        custom_objects: classes and functions by name, for unregistered ones.
        compile: restore the compile settings and optimizer state.
        safe_mode: refuse Python bytecode in the file (as Keras, by default);
            False only for files from a trusted source. See
            `hoarfrost.saving.safe_mode`.
    """
    from hoarfrost.saving import keras_archive
    filepath = os.fspath(filepath)
    kind = keras_archive.detect(filepath)
    if kind == keras_archive.KERAS_ZIP:
        return keras_archive.load_keras_zip(filepath, custom_objects, compile, safe_mode)
    if kind == keras_archive.LEGACY_MODEL:
        return keras_archive.load_legacy_h5(filepath, custom_objects, compile, safe_mode)
    if kind != keras_archive.HOARFROST_V1:
        raise ValueError(f"{filepath!r} is {kind}, which holds weights but no model; build "
                         "the model and call model.load_weights() on it.")
    return _load_v1(filepath, custom_objects, compile, safe_mode)


def _load_v1(filepath, custom_objects, compile, safe_mode):
    with _open_archive(filepath) as archive:
        config = _read_json(archive, "config.json", filepath)
        state = _read_json(archive, "state.json", filepath)
        validation.check_model_config(config, archives.member_label(filepath, "config.json"))
        validation.check_state(state, archives.member_label(filepath, "state.json"))
        weights = _read_tensors(archive, "model.safetensors")
        validation.check_weight_tensors(weights, state["variables"],
                                        archives.member_label(filepath, "model.safetensors"))
        opt_tensors = None
        if "optimizer.safetensors" in archive.namelist():
            opt_tensors = _read_tensors(archive, "optimizer.safetensors")
            validation.check_optimizer_tensors(
                opt_tensors, (state.get("optimizer") or {}).get("slots", []),
                archives.member_label(filepath, "optimizer.safetensors"))
    try:
        model = deserialize_layer(config, custom_objects, safe_mode=safe_mode)
    except ValueError as exc:  # found while building (an unknown class, a missing output)
        raise ValueError(f"{archives.member_label(filepath, 'config.json')}: {exc}") from exc
    input_shape = (config.get("build_config") or {}).get("input_shape")
    if not model.built and input_shape is not None:
        model.build(_to_tuples(input_shape))
    _assign_weights(model, weights, state["variables"], filepath)
    _restore_trainability(model, state)
    compile_config = config.get("compile_config")
    if compile and compile_config:
        _restore_compile(model, compile_config, state.get("optimizer"), opt_tensors, filepath,
                         custom_objects)
    return model


def _read_json(archive: zipfile.ZipFile, name: str, filepath) -> dict:
    value = validation.loads_json(_read(archive, name, filepath),
                                  archives.member_label(filepath, name))
    if not isinstance(value, dict):
        raise ValueError(f"{filepath!r} is corrupted: {name} holds a {type(value).__name__}, "
                         "expected a JSON object.")
    return value


def _to_tuples(shape):
    if isinstance(shape, list) and shape and isinstance(shape[0], list):
        return [tuple(s) for s in shape]
    return tuple(shape)


def _assign_weights(model, tensors: dict, records: list, filepath) -> None:
    validation.check_weight_tensors(tensors, records, repr(os.fspath(filepath)))
    variables = _v1_weights(model)
    if len(variables) != len(records):
        raise ValueError(
            f"{filepath!r} holds {len(records)} weights with shapes "
            f"{_shapes([r['shape'] for r in records])}, but model \"{model.name}\" has "
            f"{len(variables)} with shapes {_shapes([v.shape for v in variables])}."
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


def _in_saved_order(variables: list, records: list) -> list:
    """`variables` in the order of a weights file that names the same (unique) paths in
    another order: a functional model's file written before its layers took Keras's order
    (by depth; before, in call order). Otherwise as they are (matched by position, as
    Keras matches weights lists)."""
    saved, paths = [r["path"] for r in records], [v.path for v in variables]
    if saved == paths or len(set(paths)) != len(paths) or sorted(saved) != sorted(paths):
        return variables
    by_path = {v.path: v for v in variables}
    return [by_path[path] for path in saved]


def _shapes(shapes, limit: int = 8) -> str:
    text = ", ".join(str(list(s)) for s in shapes[:limit])
    return f"[{text}{', ...' if len(shapes) > limit else ''}]"


def _restore_trainability(model, state: dict) -> None:
    for layer, flag in zip(_layers_in_order(model), state["layers"]):
        layer._trainable = bool(flag)
    for variable, record in zip(_v1_weights(model), state["variables"]):
        if not variable._is_state:
            variable._trainable = bool(record["trainable"])


def _restore_compile(model, compile_config: dict, opt_state, opt_tensors, filepath,
                     custom_objects) -> None:
    from hoarfrost import optimizers
    if compile_config.get("loss") is None:
        return
    if opt_state is None:
        _warn(filepath, "its optimizer is not one of hoarfrost's built-in optimizers, so it "
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
        _warn(filepath, f"its loss '{name}' is not registered; the model is loaded "
              f"uncompiled. Pass custom_objects={{'{name}': {name}}} to load_model().")
        return
    metrics, weighted = (_map_entries(compile_config.get(key), resolve)
                         for key in ("metrics", "weighted_metrics"))
    for name in missing:  # an unknown metric is left out (None: no metric there)
        _warn(filepath, f"its metric '{name}' is not registered and is left out. Pass "
              f"custom_objects={{'{name}': {name}}} to load_model().")
    optimizer = optimizers.get(opt_state["optimizer"])
    multipliers = {_pattern_from_json(kind, pattern, flags): factor
                   for kind, pattern, flags, factor in opt_state.get("lr_multipliers", [])}
    model.compile(optimizer=optimizer, loss=loss, metrics=metrics or None,
                  weighted_metrics=weighted or None,
                  loss_weights=compile_config.get("loss_weights"),
                  steps_per_execution=compile_config.get("steps_per_execution", "auto"),
                  lr_multipliers=multipliers)
    if opt_state.get("schedule"):
        _warn(filepath, "its optimizer's learning rate was a schedule (a Python function, "
              f"which can not be saved); it continues at the constant rate "
              f"{float(optimizer.learning_rate):g} it had reached. Set "
              "`model.optimizer.learning_rate = schedule` to restore the schedule.")
    if opt_tensors is None:
        return
    tensors = opt_tensors
    variables = _v1_weights(model)  # format 1's order
    templates = [jax.tree.leaves(t) for t in
                 optimizer.slots_of([variables[i] for i in opt_state["slots"]])]
    validation.check_optimizer_slots(templates, tensors, opt_state["slots"], variables,
                                     archives.member_label(filepath, "optimizer.safetensors"))
    optimizer.iterations.assign(tensors["iterations"])
    for i in opt_state["slots"]:
        variable = variables[i]
        template = optimizer.slots_for(variable)
        leaves, treedef = jax.tree.flatten(template)
        loaded = [jax.numpy.asarray(tensors[f"{i:05d}/{j}"]) for j in range(len(leaves))]
        optimizer._slots[variable] = jax.tree.unflatten(treedef, loaded)


def _resolve_custom(identifier, custom_objects):
    """A saved loss/metric identifier, with `{"custom": name}` looked up; None if unknown."""
    from hoarfrost.saving.serialization import get_registered_object
    if not (isinstance(identifier, dict) and "custom" in identifier):
        return identifier
    found = get_registered_object(identifier["custom"], custom_objects)
    if isinstance(found, type):
        config = identifier.get("config")
        return found.from_config(config) if config is not None else found()
    return found


def _warn(filepath, message: str) -> None:
    warnings.warn(f"load_model({filepath!r}): {message}", stacklevel=4)  # the caller's line


def save_weights(model, filepath, overwrite: bool = True) -> None:
    """Save the weights (atomic): `*.weights.h5` as Keras's HDF5 layout, any other
    `*.safetensors` name as hoarfrost's safetensors file (with trainable flags).

    Over several processes every process calls it and process 0 alone writes.
    """
    filepath = os.fspath(filepath)
    if not (filepath.endswith(".safetensors") or filepath.endswith(".weights.h5")):
        raise ValueError(
            f"save_weights(): the filepath must end in .weights.h5 (Keras's HDF5 layout) or "
            f".weights.safetensors, got {filepath!r}."
        )
    _check_overwrite(filepath, overwrite)
    if not model.built:
        raise ValueError(f'save_weights(): model "{model.name}" is not built, so it has no '
                         "weights yet. Build it first (give an input shape, or call it).")
    if filepath.endswith(".weights.h5"):  # with the optimizer's variables, as Keras
        from hoarfrost.saving import h5_format, keras_archive
        blob = h5_format.weights_blob(model, keras_archive.optimizer_groups(model))
    else:
        tensors = {f"{i:05d}": _contiguous(v.numpy()) for i, v in enumerate(model.weights)}
        blob = tensor_file.dumps(tensors, metadata={"format": FORMAT,
                                                    "state": json.dumps(_trainability(model))})
    if is_writer():  # every process gathered the values above; process 0 alone writes
        _atomic_write(filepath, lambda handle: handle.write(blob))


def load_weights(model, filepath) -> None:
    """Load weights into a built model, from any of the files `detect` knows.

    Keras files are matched by structure (`.keras`, `.weights.h5`) or by layer
    name (legacy HDF5, e.g. Keras's published ImageNet weights); hoarfrost's
    safetensors files in `weights` order. Values only, as in Keras.
    """
    from hoarfrost.saving import keras_archive
    filepath = os.fspath(filepath)
    kind = keras_archive.detect(filepath)
    if not model.built:
        raise ValueError(
            f'load_weights(): model "{model.name}" is not built, so it has no weights to '
            "load into. Build it first (give an input shape, or call it on data)."
        )
    if kind in (keras_archive.KERAS_ZIP, keras_archive.KERAS_WEIGHTS):
        keras_archive.load_keras_weights(model, filepath)
        return
    if kind in (keras_archive.LEGACY_MODEL, keras_archive.LEGACY_WEIGHTS):
        keras_archive.load_legacy_weights(model, filepath)
        return
    if kind == keras_archive.HOARFROST_V1:
        with _open_archive(filepath) as archive:
            state = _read_json(archive, "state.json", filepath)
            validation.check_state(state, archives.member_label(filepath, "state.json"))
            tensors = _read_tensors(archive, "model.safetensors")
        _assign_weights(model, tensors, state["variables"], filepath)
        return
    tensors, meta = tensor_file.read_file(filepath)
    if meta.get("format") != FORMAT or "state" not in meta:
        raise ValueError(f"{filepath!r} was not written by hoarfrost's save_weights().")
    where = f"{filepath!r} (its metadata)"
    state = validation.loads_json(meta["state"], where)
    validation.check_state(state, where)
    records = state["variables"]
    validation.check_weight_tensors(tensors, records, repr(filepath))
    variables = _in_saved_order(model.weights, records)
    if len(records) != len(variables):
        raise ValueError(
            f"{filepath!r} holds {len(records)} weights with shapes "
            f"{_shapes([r['shape'] for r in records])}, but model \"{model.name}\" has "
            f"{len(variables)} with shapes {_shapes([v.shape for v in variables])}."
        )
    values = []
    for i, (variable, record) in enumerate(zip(variables, records)):
        value = tensors[f"{i:05d}"]
        if list(value.shape) != list(variable.shape):
            raise ValueError(
                f"{filepath!r}: weight {i} ({record['path']}) has shape "
                f"{list(value.shape)}, but the model's variable "
                f"{variable.path} has shape {list(variable.shape)}."
            )
        values.append(value)
    for variable, value in zip(variables, values):
        variable.assign(value)
