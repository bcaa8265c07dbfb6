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
import warnings
import zipfile
from pathlib import Path

import numpy as np
from safetensors import safe_open
from safetensors.numpy import load as st_load
from safetensors.numpy import save as st_save

from hoarfrost import losses, metrics, optimizers
from hoarfrost.host import is_writer
from hoarfrost.naming import to_snake_case
from hoarfrost.saving import hooks, training_state
from hoarfrost.saving.serialization import deserialize_layer, get_registered_object

FORMAT = "hoarfrost.keras"
FORMAT_VERSION = 1
OWN_VARIABLES = "own_variables.safetensors"  # what overridden save_own_variables stored


def atomic_write(filepath, write) -> None:
    """Write through a temp file in the same directory, then rename over the target.

    `write(handle)` writes the content; a failure at any point leaves the
    previous file as it was.
    """
    path = Path(filepath)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
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


def _weights_blob(model) -> bytes:
    tensors = {f"{i:05d}": _contiguous(v.numpy()) for i, v in enumerate(model.weights)}
    return st_save(tensors, metadata={"format": FORMAT})


def _contiguous(value: np.ndarray) -> np.ndarray:
    """C-contiguous, keeping the shape (np.ascontiguousarray makes a scalar 1-D)."""
    return np.ascontiguousarray(value).reshape(value.shape)


def save_model(model, filepath, overwrite: bool = True) -> None:
    """Save a model to a `.keras` zip (atomic: a failed save keeps the old file).

    Over several processes every process calls it (values may be gathered)
    and process 0 alone writes, as in Keras.
    """
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
            "build_config": _build_config(model),
            "compile_config": (_custom_compile_config(model)
                               if hooks.has_custom_compile_hooks(model)
                               else _compile_config(model)),
        })
    except TypeError as exc:
        raise TypeError(
            f"save(): model \"{model.name}\" has a config that is not JSON-serializable ({exc}). "
            "Custom layers must return plain values from get_config()."
        ) from exc
    opt_state, opt_tensors = training_state.optimizer_record(model)
    opt_blob = None if opt_tensors is None else st_save(opt_tensors)
    state = {"format": FORMAT, "version": FORMAT_VERSION, **training_state.trainability(model),
             "optimizer": opt_state}
    weights = _weights_blob(model)
    objects = _hook_objects(model)
    own = {f"{path}/{key}": _contiguous(value) for path, obj in objects.items()
           if hooks.overrides(obj, "save_own_variables")
           for key, value in hooks.own_variables(obj).items()}
    own_blob = st_save(own) if own else None
    assets = hooks.saved_assets(objects)

    def write(handle):
        with zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_STORED) as archive:
            archive.writestr("metadata.json", json.dumps({"format": FORMAT,
                                                          "version": FORMAT_VERSION}))
            archive.writestr("config.json", config)
            archive.writestr("state.json", json.dumps(state))
            archive.writestr("model.safetensors", weights)
            if opt_blob is not None:
                archive.writestr("optimizer.safetensors", opt_blob)
            if own_blob is not None:
                archive.writestr(OWN_VARIABLES, own_blob)
            for name, blob in assets.items():
                archive.writestr(name, blob)

    if is_writer():  # every process gathered the values above; process 0 alone writes
        atomic_write(filepath, write)


def _build_config(model) -> dict:
    """The model's build config: its own `get_build_config()` when its class defines
    one (Keras saves that), else the input shape it was built with."""
    if hooks.overrides(model, "get_build_config"):
        return _jsonable(model.get_build_config())
    return {"input_shape": _jsonable(model._build_shapes_dict)}


def _custom_compile_config(model) -> dict | None:
    """A model whose class defines `get_compile_config` / `compile_from_config`: its
    own compile config (serialized as Keras does), marked for `compile_from_config`."""
    config = hooks.compile_config(model)
    return None if config is None else {"custom": True, "config": config}


def _hook_objects(model) -> dict:
    """Every layer (the model as ""), by a path as Keras names them in its files:
    `layers/<class>[_n]` in a model's `layers`, nested the same way."""
    objects: dict = {"": model}

    def walk(layer, path: str) -> None:
        used: dict[str, int] = {}
        for child in layer._layers:
            if any(child is o for o in objects.values()):
                continue
            base = to_snake_case(type(child).__name__)
            used[base] = used.get(base, -1) + 1
            child_path = f"{path}/layers/{base}" if path else f"layers/{base}"
            child_path += f"_{used[base]}" if used[base] else ""
            objects[child_path] = child
            walk(child, child_path)

    walk(model, "")
    return objects


def _jsonable(tree):
    if isinstance(tree, tuple):
        return [_jsonable(t) for t in tree]
    if isinstance(tree, list):
        return [_jsonable(t) for t in tree]
    return tree


def _compile_config(model) -> dict | None:
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
    try:
        if "metadata.json" in names:
            _check_metadata(_read(archive, "metadata.json", filepath), filepath)
        missing = {"metadata.json", "config.json", "state.json", "model.safetensors"} - names
        if missing:
            raise ValueError(
                f"{filepath!r} is not a hoarfrost .keras file: it lacks {sorted(missing)}."
            )
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
    try:
        return archive.read(name)
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise ValueError(f"{filepath!r} is corrupted: can not read {name} ({exc}).") from exc


def load_model(filepath, custom_objects: dict | None = None, compile: bool = True):
    """Load a model saved by `model.save()`: architecture, weights, flags, optimizer.

    Custom layers, losses and metrics that are not registered are looked up
    by class or function name in `custom_objects`.
    """
    filepath = os.fspath(filepath)
    with _open_archive(filepath) as archive:
        config = _read_json(archive, "config.json", filepath)
        state = _read_json(archive, "state.json", filepath)
        if not ("class_name" in config and isinstance(state.get("variables"), list)
                and isinstance(state.get("layers"), list)):
            raise ValueError(f"{filepath!r} is corrupted: config.json or state.json lacks "
                             "the model's description.")
        weights = _load_tensors(_read(archive, "model.safetensors", filepath), filepath)
        opt_blob = (_read(archive, "optimizer.safetensors", filepath)
                    if "optimizer.safetensors" in archive.namelist() else None)
        names = archive.namelist()
        own = (_load_tensors(_read(archive, OWN_VARIABLES, filepath), filepath)
               if OWN_VARIABLES in names else {})
        assets = {name: _read(archive, name, filepath) for name in names
                  if name.startswith(hooks.ASSETS + "/") and not name.endswith("/")}
    model = deserialize_layer(config, custom_objects)
    build_config = config.get("build_config") or {}
    if not model.built and hooks.overrides(model, "build_from_config") and build_config:
        model.build_from_config(build_config)
        model.built = True
    elif not model.built and build_config.get("input_shape") is not None:
        model.build(_to_tuples(build_config["input_shape"]))
    compile_config = config.get("compile_config")
    if compile and isinstance(compile_config, dict) and compile_config.get("custom"):
        model.compile_from_config(compile_config["config"])  # the model's own hook
        if not training_state.optimizer_matches(model, state):
            state = {**state, "optimizer": None}
    elif compile and compile_config:
        _restore_compile(model, compile_config, state.get("optimizer"), filepath, custom_objects)
    opt_tensors = None
    if opt_blob is not None and getattr(model, "optimizer", None) is not None \
            and state.get("optimizer") is not None:
        opt_tensors = _load_tensors(opt_blob, filepath)
    training_state.restore(model, state, weights, opt_tensors, filepath)
    objects = _hook_objects(model)
    for path, obj in objects.items():  # Keras's order: variables, then assets
        if hooks.overrides(obj, "load_own_variables"):
            prefix = f"{path}/"
            obj.load_own_variables({key[len(prefix):]: value for key, value in own.items()
                                    if key.startswith(prefix)})
    hooks.load_assets(objects, assets, repr(filepath))
    return model


def load_training_state(model, filepath) -> None:
    """Load a `.keras` file's weights, trainable flags and optimizer state into `model`.

    Unlike `load_model`, the architecture is not rebuilt: the values go into
    the model (and its compiled optimizer) that is about to train, as
    `BackupAndRestore` resumes. Everything is read and checked first; the
    model changes only once nothing can fail.
    """
    filepath = os.fspath(filepath)
    with _open_archive(filepath) as archive:
        state = _read_json(archive, "state.json", filepath)
        weights = _load_tensors(_read(archive, "model.safetensors", filepath), filepath)
        opt_tensors = (_load_tensors(_read(archive, "optimizer.safetensors", filepath), filepath)
                       if "optimizer.safetensors" in archive.namelist() else None)
    training_state.restore(model, state, weights, opt_tensors, filepath,
                           warn_without_optimizer=True)


def _read_json(archive: zipfile.ZipFile, name: str, filepath) -> dict:
    blob = _read(archive, name, filepath)
    try:
        value = json.loads(blob)
    except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError
        raise ValueError(f"{filepath!r} is corrupted: {name} is not valid JSON ({exc}).") from exc
    if not isinstance(value, dict):
        raise ValueError(f"{filepath!r} is corrupted: {name} holds a {type(value).__name__}, "
                         "expected a JSON object.")
    return value


def _to_tuples(shape):
    if isinstance(shape, list) and shape and isinstance(shape[0], list):
        return [tuple(s) for s in shape]
    return tuple(shape)


def _load_tensors(blob: bytes, filepath) -> dict:
    try:
        return st_load(blob)
    except Exception as exc:
        raise ValueError(f"{filepath!r} is corrupted: can not read its weights ({exc}).") from exc


def _restore_compile(model, compile_config: dict, opt_state, filepath, custom_objects) -> None:
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
    multipliers = {training_state.pattern_from_json(kind, pattern, flags): factor
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


def _resolve_custom(identifier, custom_objects):
    """A saved loss/metric identifier, with `{"custom": name}` looked up; None if unknown."""
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
    """Save weights and trainable flags to a `.weights.safetensors` file (atomic).

    Over several processes every process calls it and process 0 alone writes.
    """
    filepath = os.fspath(filepath)
    if not (filepath.endswith(".safetensors") or filepath.endswith(".weights.h5")):
        raise ValueError(
            f"save_weights(): the filepath must end in .weights.safetensors (or .weights.h5), "
            f"got {filepath!r}."
        )
    _check_overwrite(filepath, overwrite)
    tensors = {f"{i:05d}": _contiguous(v.numpy()) for i, v in enumerate(model.weights)}
    blob = st_save(tensors, metadata={"format": FORMAT,
                                      "state": json.dumps(training_state.trainability(model))})
    if is_writer():  # every process gathered the values above; process 0 alone writes
        atomic_write(filepath, lambda handle: handle.write(blob))


def load_weights(model, filepath) -> None:
    """Load weights from `save_weights` (or a `.keras` file) into a built model."""
    filepath = os.fspath(filepath)
    if filepath.endswith(".keras"):
        with _open_archive(filepath) as archive:
            state = _read_json(archive, "state.json", filepath)
            tensors = _load_tensors(_read(archive, "model.safetensors", filepath), filepath)
    else:
        if not os.path.exists(filepath):
            raise FileNotFoundError(f"No file at {filepath!r}.")
        with open(filepath, "rb") as handle:
            blob = handle.read()
        if blob.startswith(b"\x89HDF"):
            raise ValueError(
                f"{filepath!r} is an HDF5 file (from Keras?); hoarfrost reads weight files "
                "written by its own save_weights() (safetensors, whatever the suffix)."
            )
        tensors = _load_tensors(blob, filepath)
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
    training_state.assign_weights(model, tensors, state["variables"], filepath)
