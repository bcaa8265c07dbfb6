"""Keras's model files: the Keras 3 `.keras` zip and the legacy Keras 2 HDF5 model.

A `.keras` file hoarfrost writes is a Keras 3 file (`metadata.json`,
`config.json` in Keras's dialect, `model.weights.h5` in Keras's layout, with
the optimizer's variables where Keras keeps them), plus members Keras
ignores: `hoarfrost/state.json` (every layer's and variable's trainable flag,
hoarfrost's compile settings and optimizer config) and
`hoarfrost/optimizer.safetensors` (every variable's own slots, also the
frozen ones, which Keras's layout has no place for). hoarfrost reads its
extras when they are there and Keras's members otherwise.

Files are told apart by content (`detect`), never by suffix.
"""

from __future__ import annotations

import io
import json
import os
import warnings
import zipfile

import jax
import jax.numpy as jnp
import numpy as np

from hoarfrost.saving import h5_format, keras_config

FORMAT = "hoarfrost.keras"
FORMAT_VERSION = 2
KERAS_VERSION = "3.15.1"  # the Keras whose files these are checked against
STATE = "hoarfrost/state.json"
SLOTS = "hoarfrost/optimizer.safetensors"
MAX_MEMBER_BYTES = 1 << 34  # 16 GiB: larger members are refused before reading
MAX_EXPANSION = 100  # stored members are ~1:1; deflate tops out near 1000:1

# --- what a file is --------------------------------------------------------------------
HOARFROST_V1 = "a hoarfrost .keras file (format 1)"
KERAS_ZIP = "a Keras 3 .keras file"
KERAS_WEIGHTS = "a Keras 3 .weights.h5 file"
LEGACY_MODEL = "a legacy Keras (2) HDF5 model file"
LEGACY_WEIGHTS = "a legacy Keras (2) HDF5 weights file"
SAFETENSORS = "a safetensors weights file"


def detect(filepath) -> str:
    """Which kind of model or weights file `filepath` is, from its bytes.

    Raises a ValueError naming what was found for anything else.
    """
    filepath = os.fspath(filepath)
    if not os.path.exists(filepath):
        raise FileNotFoundError(f"No file at {filepath!r}.")
    with open(filepath, "rb") as handle:
        head = handle.read(16)
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        try:
            with zipfile.ZipFile(filepath) as archive:
                names = set(archive.namelist())
        except zipfile.BadZipFile as exc:
            raise ValueError(f"{filepath!r} starts as a zip archive but is not a complete "
                             f"one ({exc}); it may be truncated.") from exc
        if {"state.json", "model.safetensors"} <= names:
            return HOARFROST_V1
        if {"config.json", "model.weights.h5"} <= names:
            return KERAS_ZIP
        raise ValueError(f"{filepath!r} is a zip archive with members {sorted(names)[:8]}, "
                         "neither a Keras 3 .keras file (config.json, metadata.json, "
                         "model.weights.h5) nor a hoarfrost one.")
    if head.startswith(h5_format.HDF5_SIGNATURE):
        h5py = h5_format._h5py()
        try:
            with h5py.File(filepath, "r") as f:
                if "model_config" in f.attrs:
                    return LEGACY_MODEL
                if "layer_names" in f.attrs:
                    return LEGACY_WEIGHTS
                if "model_weights" in f:
                    return LEGACY_MODEL
                if "vars" in f or "layers" in f:
                    return KERAS_WEIGHTS
                found = h5_format.describe(f)
        except OSError as exc:
            raise ValueError(f"{filepath!r} starts as an HDF5 file but can not be read "
                             f"({exc}); it may be truncated.") from exc
        raise ValueError(f"{filepath!r} is {found}: not a Keras model or weights file.")
    if len(head) >= 9 and head[8:9] == b"{":
        return SAFETENSORS
    shown = head[:16]
    raise ValueError(f"{filepath!r} is not a model or weights file hoarfrost knows: it starts "
                     f"with {shown!r} (expected a zip, an HDF5 or a safetensors file).")


def read_member(archive: zipfile.ZipFile, name: str, filepath) -> bytes:
    """A zip member's bytes, its declared size checked first (no decompression bombs).

    Every read of a `.keras` member goes through here.
    """
    try:
        info = archive.getinfo(name)
    except KeyError:
        raise ValueError(f"{filepath!r} lacks {name}.") from None
    if info.file_size > MAX_MEMBER_BYTES or (
            info.file_size > (1 << 28) and info.file_size > MAX_EXPANSION * info.compress_size):
        raise ValueError(f"{filepath!r}: member {name} declares {info.file_size} bytes "
                         f"({info.compress_size} stored); refused.")
    try:
        with archive.open(name) as handle:
            blob = handle.read(info.file_size + 1)
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise ValueError(f"{filepath!r} is corrupted: can not read {name} ({exc}).") from exc
    if len(blob) != info.file_size:
        raise ValueError(f"{filepath!r} is corrupted: {name} is not {info.file_size} bytes.")
    return blob


def _json(blob: bytes, what: str, filepath) -> dict:
    try:
        value = json.loads(blob)
    except ValueError as exc:
        raise ValueError(f"{filepath!r} is corrupted: {what} is not valid JSON ({exc}).") from exc
    if not isinstance(value, dict):
        raise ValueError(f"{filepath!r} is corrupted: {what} holds a {type(value).__name__}, "
                         "expected a JSON object.")
    return value


def _h5_tree(blob: bytes, filepath) -> dict:
    h5py = h5_format._h5py()
    try:
        with h5py.File(io.BytesIO(blob), "r") as f:
            return h5_format.read_tree(f)
    except OSError as exc:
        raise ValueError(f"{filepath!r} is corrupted: model.weights.h5 can not be read "
                         f"({exc}).") from exc


# --- reading -----------------------------------------------------------------------------
def load_keras_zip(filepath, custom_objects=None, compile: bool = True):
    """A model from a Keras 3 `.keras` zip (hoarfrost's own ones included)."""
    from hoarfrost.saving.serialization import deserialize_layer
    with zipfile.ZipFile(filepath) as archive:
        names = set(archive.namelist())
        config = _json(read_member(archive, "config.json", filepath), "config.json", filepath)
        tree = _h5_tree(read_member(archive, "model.weights.h5", filepath), filepath)
        state = (_json(read_member(archive, STATE, filepath), STATE, filepath)
                 if STATE in names else None)
        slots = read_member(archive, SLOTS, filepath) if SLOTS in names else None
    entry = keras_config.from_keras(config, custom_objects)
    model = deserialize_layer(entry, custom_objects)
    _build(model, entry)
    h5_format.assign_tree(model, tree, repr(os.fspath(filepath)))
    if state is not None:
        _restore_flags(model, state)
    compile_config = config.get("compile_config")
    if compile and compile_config:
        if state is not None and state.get("compile_config"):
            from hoarfrost.saving import saving_lib
            saving_lib._restore_compile(model, state["compile_config"], state.get("optimizer"),
                                        None, filepath, custom_objects)
            if slots is not None and model.compiled:
                _restore_own_slots(model, state["optimizer"], slots, filepath)
        else:
            _compile_from_keras(model, compile_config, filepath, custom_objects)
            if model.compiled:
                _restore_keras_slots(model, tree.get("optimizer/vars", []), filepath)
    return model


def _build(model, entry: dict) -> None:
    shape = (entry.get("build_config") or {}).get("input_shape")
    if not model.built and shape is not None:
        from hoarfrost.saving.saving_lib import _to_tuples
        model.build(_to_tuples(shape))


def _compile_from_keras(model, compile_config: dict, filepath, custom_objects) -> None:
    """Compile as the file's Keras compile config says; a setting hoarfrost lacks (an
    optimizer or loss of another name) leaves the model uncompiled, with a warning that
    names it."""
    from hoarfrost.saving import saving_lib
    hf_compile, optimizer = keras_config.compile_from_keras(compile_config, repr(filepath))
    opt_state = None if optimizer is None else {"optimizer": optimizer}
    try:
        saving_lib._restore_compile(model, hf_compile, opt_state, None, filepath,
                                    custom_objects)
    except ValueError as exc:
        _warn(filepath, f"its compile settings can not be restored ({exc}); the model is "
              "loaded uncompiled. Call compile() to train it.")


def keras_slot_layout(optimizer) -> list[list[tuple[str, object]]]:
    """Keras's slot variables of `optimizer`: groups of (Keras name, hoarfrost slot key),
    each group laid out variable by variable (`add_optimizer_variables`)."""
    kind = type(optimizer).__name__
    if kind in ("Adam", "AdamW"):
        groups = [[("momentum", "m"), ("velocity", "v")]]
        return groups + ([[("velocity_hat", "v_hat")]] if optimizer.amsgrad else [])
    if kind == "SGD":
        return [[("momentum", "momentum")]] if optimizer.momentum else []
    if kind == "RMSprop":
        return ([[("velocity", "velocity")]]
                + ([[("momentum", "momentum")]] if optimizer.momentum else [])
                + ([[("average_gradient", "average_gradient")]] if optimizer.centered else []))
    if kind == "Adagrad":
        return [[("accumulator", 0)]]
    raise ValueError(f"optimizer {kind}: no Keras slot layout known.")


def _slot_get(slots, key):
    if isinstance(slots, dict):
        return slots[key]
    return jax.tree.leaves(slots)[key]


def _slot_set(slots, key, value):
    if isinstance(slots, dict):
        return {**slots, key: value}
    leaves, treedef = jax.tree.flatten(slots)
    leaves[key] = value
    return jax.tree.unflatten(treedef, leaves)


def _has_lr_variable(optimizer) -> bool:
    return optimizer._schedule is None


def keras_optimizer_arrays(model) -> list[np.ndarray]:
    """The optimizer's state as Keras 3 lays it out: iterations, the learning rate (unless
    a schedule), then the slots of the trainable variables (now), group by group."""
    optimizer = model.optimizer
    arrays = [np.asarray(optimizer.iterations.numpy(), np.int64)]
    if _has_lr_variable(optimizer):
        arrays.append(np.asarray(optimizer._learning_rate.numpy(), np.float32))
    trainable = model.trainable_weights
    for group in keras_slot_layout(optimizer):
        for variable in trainable:
            slots = optimizer._slots.get(variable)
            if slots is None:
                slots = optimizer._direction.init(jnp.zeros(variable.shape, variable.dtype))
            for _, key in group:
                arrays.append(np.asarray(_slot_get(slots, key)))
    return arrays


def _restore_keras_slots(model, arrays: list, filepath, names=None) -> None:
    """Slots from Keras's `optimizer/vars` (the trainable variables', as Keras keeps them)."""
    optimizer = model.optimizer
    if not arrays:
        return
    try:
        layout = keras_slot_layout(optimizer)
    except ValueError as exc:
        _warn(filepath, f"{exc} Its optimizer state is not restored.")
        return
    trainable = model.trainable_weights
    head = 2 if _has_lr_variable(optimizer) else 1
    expected = head + sum(len(group) for group in layout) * len(trainable)
    if len(arrays) != expected:
        _warn(filepath, f"its optimizer holds {len(arrays)} variables, but "
              f"{type(optimizer).__name__} over the model's {len(trainable)} trainable "
              f"variables has {expected}; the optimizer state is not restored (fit starts "
              "with fresh slots).")
        return
    iterations = int(np.asarray(arrays[0]))
    values = iter(arrays[head:])
    new = {v: optimizer.slots_for(v) for v in trainable}
    for group in layout:
        for variable in trainable:
            for _, key in group:
                value = np.asarray(next(values))
                if tuple(value.shape) != tuple(variable.shape):
                    _warn(filepath, f"an optimizer slot has shape {value.shape} where "
                          f"{variable.path} has {variable.shape}; the optimizer state is not "
                          "restored.")
                    return
                new[variable] = _slot_set(new[variable], key, jnp.asarray(value, variable.dtype))
    optimizer.iterations.assign(iterations)
    if head == 2:
        optimizer.learning_rate = float(np.asarray(arrays[1]))
    for variable, slots in new.items():
        if isinstance(slots, dict) and "count" in slots:  # Keras counts steps globally
            slots = {**slots, "count": jnp.asarray(iterations, slots["count"].dtype)}
        optimizer._slots[variable] = slots


def _warn(filepath, message: str) -> None:
    warnings.warn(f"load_model({os.fspath(filepath)!r}): {message}", stacklevel=4)


# --- hoarfrost's extras --------------------------------------------------------------------
def _layer_paths(model) -> dict[str, object]:
    """Each layer by its Keras weight-group path (`layers/dense`), the model as ""."""
    from hoarfrost.layers.layer import Layer
    return {path[:-len("vars")].rstrip("/"): obj
            for path, (_, _, obj) in h5_format.weight_groups(model).items()
            if isinstance(obj, Layer)}


def _variable_paths(model) -> dict[str, object]:
    return {f"{path}/{i}": v for path, (_, variables, _) in h5_format.weight_groups(model).items()
            for i, v in enumerate(variables)}


def extras(model) -> tuple[dict, bytes | None]:
    """(`hoarfrost/state.json`, `hoarfrost/optimizer.safetensors` or None) for `model`."""
    from safetensors.numpy import save as st_save

    from hoarfrost import optimizers
    from hoarfrost.distribution import to_host
    from hoarfrost.saving import saving_lib
    state = {"format": FORMAT, "version": FORMAT_VERSION,
             "layers": {p: layer._trainable for p, layer in _layer_paths(model).items()},
             "variables": {p: v._trainable for p, v in _variable_paths(model).items()},
             "compile_config": saving_lib._compile_config(model), "optimizer": None}
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None or optimizers.serialize(optimizer) is None:
        return state, None
    opt_state, _ = saving_lib._optimizer_blob(model)  # config, multipliers, schedule
    by_id = {id(v): p for p, v in _variable_paths(model).items()}
    tensors = {"iterations": np.asarray(optimizer.iterations.numpy())}
    owners = []
    for variable, slots in optimizer._slots.items():
        if id(variable) not in by_id:
            continue
        path = by_id[id(variable)]
        owners.append(path)
        for j, leaf in enumerate(jax.tree.leaves(slots)):
            tensors[f"{path}/{j}"] = to_host(leaf)
    opt_state["slots"] = owners
    state["optimizer"] = opt_state
    return state, st_save(tensors)


def _restore_flags(model, state: dict) -> None:
    layers = _layer_paths(model)
    for path, flag in state.get("layers", {}).items():
        if path in layers:
            layers[path]._trainable = bool(flag)
    variables = _variable_paths(model)
    for path, flag in state.get("variables", {}).items():
        if path in variables and not variables[path]._is_state:
            variables[path]._trainable = bool(flag)


def _restore_own_slots(model, opt_state: dict, blob: bytes, filepath) -> None:
    from safetensors.numpy import load as st_load
    optimizer = model.optimizer
    try:
        tensors = st_load(blob)
    except Exception as exc:
        raise ValueError(f"{filepath!r} is corrupted: can not read {SLOTS} ({exc}).") from exc
    optimizer.iterations.assign(tensors["iterations"])
    variables = _variable_paths(model)
    for path in opt_state.get("slots", []):
        variable = variables.get(path)
        if variable is None:
            raise ValueError(f"{filepath!r} is corrupted: optimizer slots for {path}, which "
                             "the model does not have.")
        leaves, treedef = jax.tree.flatten(optimizer.slots_for(variable))
        loaded = [jnp.asarray(tensors[f"{path}/{j}"]) for j in range(len(leaves))]
        optimizer._slots[variable] = jax.tree.unflatten(treedef, loaded)


# --- writing -------------------------------------------------------------------------------
def optimizer_groups(model) -> dict:
    """`{"optimizer/vars": (name, arrays)}` for a compiled model with a built-in optimizer."""
    from hoarfrost import optimizers
    optimizer = getattr(model, "optimizer", None) if getattr(model, "compiled", False) else None
    if optimizer is None or optimizers.serialize(optimizer) is None:
        return {}
    return {"optimizer/vars": (optimizer.name, keras_optimizer_arrays(model))}


def keras_zip_members(model) -> dict[str, bytes]:
    """The members of the `.keras` zip `model.save()` writes, in writing order."""
    from hoarfrost import optimizers
    import datetime
    config = keras_config.to_keras(model)
    state, slots = extras(model)
    groups = optimizer_groups(model)
    if state["compile_config"] is not None:
        keras_optimizer = None
        if groups:
            keras_optimizer = keras_config.optimizer_to_keras(optimizers.serialize(model.optimizer))
        config["compile_config"] = keras_config.compile_to_keras(
            model, state["compile_config"], keras_optimizer)
    else:
        config["compile_config"] = None
    try:
        config_json = json.dumps(config)
    except TypeError as exc:
        raise TypeError(
            f"save(): model \"{model.name}\" has a config that is not JSON-serializable ({exc}). "
            "Custom layers must return plain values from get_config()."
        ) from exc
    metadata = {"keras_version": KERAS_VERSION,
                "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S"),
                "hoarfrost": {"format": FORMAT, "version": FORMAT_VERSION}}
    members = {"metadata.json": json.dumps(metadata).encode(),
               "config.json": config_json.encode(),
               "model.weights.h5": h5_format.weights_blob(model, groups),
               STATE: json.dumps(state).encode()}
    if slots is not None:
        members[SLOTS] = slots
    return members


# --- legacy HDF5 models --------------------------------------------------------------------
def load_legacy_h5(filepath, custom_objects=None, compile: bool = True):
    """A model from a legacy Keras HDF5 file (`model_config`, `model_weights`, ...)."""
    from hoarfrost.saving.serialization import deserialize_layer
    h5py = h5_format._h5py()
    source = repr(os.fspath(filepath))
    with h5py.File(filepath, "r") as f:
        h5_format._check_links(f)
        config = h5_format.legacy_json_attr(f, "model_config")
        if config is None:
            raise ValueError(f"{source} is a legacy HDF5 weights file without a model "
                             "configuration; build the model and call model.load_weights().")
        training = h5_format.legacy_json_attr(f, "training_config")
        entry = keras_config.from_keras(config, custom_objects)
        model = deserialize_layer(entry, custom_objects)
        _build(model, entry)
        group = f["model_weights"] if "model_weights" in f else f
        names = h5_format.assign_legacy(model, h5_format.read_legacy_weights(group), source)
        opt_weights = None
        if "optimizer_weights" in f:
            og = f["optimizer_weights"]
            opt_names = [h5_format._text(n) for n in og.attrs.get("weight_names", [])]
            opt_weights = [(n, np.asarray(og[n][()])) for n in opt_names]
    if compile and training:
        _compile_from_keras(model, training, filepath, custom_objects)
        if model.compiled and opt_weights:
            _restore_legacy_slots(model, opt_weights, names, filepath)
    return model


_TF_KERAS_SLOTS = {"m": "momentum", "v": "velocity", "vhat": "velocity_hat"}


def _restore_legacy_slots(model, weights: list, names: dict, filepath) -> None:
    """Optimizer slots of a legacy file, matched by the weight names the file gives them
    (tf_keras: `Adam/m/dense/kernel:0`; Keras 3's writer: `adam/dense_kernel_momentum`)."""
    optimizer = model.optimizer
    try:
        layout = keras_slot_layout(optimizer)
    except ValueError as exc:
        _warn(filepath, f"{exc} Its optimizer state is not restored.")
        return
    by_variable = {id(v): n for n, v in names.items()}
    found = {}
    iterations = None
    for name, value in weights:
        short = name.split("/")[-1]
        if short.split(":")[0] in ("iteration", "iter", "iterations"):
            iterations = int(value)
            continue
        found[name] = value
    if iterations is None:
        _warn(filepath, "its optimizer weights have no iteration count; the optimizer state "
              "is not restored.")
        return
    new = {}
    for variable in model.trainable_weights:
        weight_name = by_variable.get(id(variable))
        slots = optimizer.slots_for(variable)
        for group in layout:
            for keras_name, key in group:
                short = {v: k for k, v in _TF_KERAS_SLOTS.items()}.get(keras_name, keras_name)
                stem = weight_name.split(":")[0] if weight_name else None
                candidates = [n for n in found if stem and (
                    n.endswith(f"/{short}/{weight_name}") or n.endswith(f"/{keras_name}/{weight_name}")
                    or n.endswith(f"/{stem.replace('/', '_')}_{keras_name}"))]
                if len(candidates) != 1:
                    _warn(filepath, f"no single optimizer weight for slot {keras_name} of "
                          f"{variable.path} (file weight {weight_name!r}); the optimizer state "
                          "is not restored.")
                    return
                value = found[candidates[0]]
                if tuple(value.shape) != tuple(variable.shape):
                    _warn(filepath, f"optimizer weight {candidates[0]!r} has shape "
                          f"{value.shape}; the optimizer state is not restored.")
                    return
                slots = _slot_set(slots, key, jnp.asarray(value, variable.dtype))
        if isinstance(slots, dict) and "count" in slots:
            slots = {**slots, "count": jnp.asarray(iterations, slots["count"].dtype)}
        new[variable] = slots
    optimizer.iterations.assign(iterations)
    optimizer._slots.update(new)


def load_legacy_weights(model, filepath) -> None:
    """Weights from a legacy HDF5 file (weights-only or full model) into `model`, by layer name."""
    h5py = h5_format._h5py()
    with h5py.File(filepath, "r") as f:
        h5_format._check_links(f)
        group = f["model_weights"] if "model_weights" in f else f
        h5_format.assign_legacy(model, h5_format.read_legacy_weights(group),
                                repr(os.fspath(filepath)))


def load_keras_weights(model, filepath) -> None:
    """Weights from a Keras 3 `.weights.h5` file or a `.keras` zip, by structural name."""
    kind = detect(filepath)
    if kind == KERAS_ZIP:
        with zipfile.ZipFile(filepath) as archive:
            tree = _h5_tree(read_member(archive, "model.weights.h5", filepath), filepath)
    else:
        with open(filepath, "rb") as handle:
            tree = _h5_tree(handle.read(), filepath)
    h5_format.assign_tree(model, tree, repr(os.fspath(filepath)))


# --- training state into an existing model (BackupAndRestore) ------------------------------
def restore_training_state(model, filepath) -> None:
    """A `.keras` file's weights, trainable flags and optimizer slots into `model` (built,
    maybe compiled), without rebuilding it; everything is read and checked first."""
    from safetensors.numpy import load as st_load
    filepath = os.fspath(filepath)
    with zipfile.ZipFile(filepath) as archive:
        names = set(archive.namelist())
        tree = _h5_tree(read_member(archive, "model.weights.h5", filepath), filepath)
        state = (_json(read_member(archive, STATE, filepath), STATE, filepath)
                 if STATE in names else None)
        blob = read_member(archive, SLOTS, filepath) if SLOTS in names else None
    optimizer = getattr(model, "optimizer", None)
    opt_state = (state or {}).get("optimizer")
    slots = iterations = rate = None
    if optimizer is not None and opt_state is not None and blob is not None:
        saved = opt_state["optimizer"]
        if saved.get("class_name") != type(optimizer).__name__:
            raise ValueError(
                f"{filepath!r} holds the state of a {saved.get('class_name')} optimizer, but "
                f'model "{model.name}" was compiled with {type(optimizer).__name__}.')
        tensors = st_load(blob)
        variables = _variable_paths(model)
        slots = {}
        for path in opt_state["slots"]:
            variable = variables.get(path)
            if variable is None:
                raise ValueError(f"{filepath!r} holds optimizer slots for {path}, which model "
                                 f'"{model.name}" does not have.')
            template = optimizer._direction.init(jnp.zeros(variable.shape, variable.dtype))
            leaves, treedef = jax.tree.flatten(template)
            loaded = [tensors.get(f"{path}/{j}") for j in range(len(leaves))]
            if any(t is None or t.shape != leaf.shape for t, leaf in zip(loaded, leaves)):
                raise ValueError(f"{filepath!r}: the optimizer slots of {path} "
                                 f"({variable.path}) do not match the model's optimizer.")
            slots[variable] = jax.tree.unflatten(treedef, [jnp.asarray(t) for t in loaded])
        iterations = tensors["iterations"]
        rate = saved.get("config", {}).get("learning_rate")
    elif optimizer is not None:
        warnings.warn(f"{filepath!r} holds no optimizer state; the optimizer of model "
                      f'"{model.name}" starts fresh.', stacklevel=3)
    h5_format.assign_tree(model, tree, repr(filepath))  # checks everything, then sets
    if state is not None:
        _restore_flags(model, state)
    if slots is not None:
        optimizer._slots.clear()
        optimizer._slots.update(slots)
        optimizer.iterations.assign(iterations)
        if rate is not None and not isinstance(rate, dict) \
                and getattr(optimizer, "_schedule", None) is None:
            optimizer.learning_rate = rate
