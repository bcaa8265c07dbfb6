"""Keras's model files: the Keras 3 `.keras` zip and the legacy Keras 2 HDF5 model.

A `.keras` file hoarfrost writes is a Keras 3 file (`metadata.json`,
`config.json` in Keras's dialect, `model.weights.h5` in Keras's layout, with
the optimizer's variables where Keras keeps them), plus members Keras
ignores: `hoarfrost/state.json` (every layer's and variable's trainable flag,
hoarfrost's compile settings and optimizer config) and
`hoarfrost/optimizer.safetensors` (every variable's own slots, also the
frozen ones, which Keras's layout has no place for) and, for LoRA layers,
`hoarfrost/lora.safetensors` (the unmerged base weights and the adapters:
Keras saves a LoRA layer merged, as `model.weights.h5` holds it here too): written and
checked by `keras_extras`. hoarfrost reads its extras when they are there and Keras's
members otherwise.

Files are told apart by content (`detect`), never by suffix.

Reading is as defensive as for hoarfrost's first format: every zip goes
through `archive.open_archive` (sizes, ratios, names checked from the
directory before a byte is inflated) and holds only the members listed
here; JSON is parsed with `validation.loads_json`; configs are translated,
then their graph checked (`validation.check_model_config`: references,
layer names, operations only from `ALLOWED_OPS`) before anything is built,
in safe mode; HDF5 datasets are checked against the file's size before they
are read (`h5_format.DatasetBudget`); hoarfrost's optimizer slots carry a
SHA-256 per tensor (`tensor_file`) and are checked against the optimizer's
own slots (count, shape, dtype) before any is assigned.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import warnings
import zipfile

import jax
import jax.numpy as jnp

from hoarfrost import optimizers
from hoarfrost.optimizers import OptimizerState
from hoarfrost.saving import archive as archives
from hoarfrost.saving import (adapters, compile_settings, h5_format, hooks, keras_config,
                              keras_optimizer, legacy_optimizer, tensor_file, validation)
from hoarfrost.saving.keras_extras import (FORMAT, FORMAT_VERSION, LORA, SLOTS, STATE,
                                           checked_lora, checked_slots, extras, layer_paths,
                                           lora_extras, restore_flags, restore_own_slots,
                                           saved_own_state, variable_paths)
from hoarfrost.saving.serialization import deserialize_layer

KERAS_VERSION = "3.15.1"  # the Keras whose files these are checked against
# The members of a Keras 3 `.keras` zip (keras/src/saving/saving_lib.py) and hoarfrost's
# extras; anything else is refused. `assets/...` holds what layers save beside their
# weights (Keras: an adapted StringLookup's or TextVectorization's vocabulary).
KERAS_MEMBERS = ("config.json", "model.weights.h5")
KERAS_OPTIONAL = ("metadata.json", STATE, SLOTS, LORA)
ASSETS = "assets/"

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
    if os.path.isdir(filepath):
        raise ValueError(f"{filepath!r} is a directory, not a model or weights file.")
    with open(filepath, "rb") as handle:
        head = handle.read(16)
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        with archives.open_archive(filepath) as archive:  # the directory checked first
            names = set(archive.namelist())
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
    if _looks_like_safetensors(head, os.path.getsize(filepath)) \
            or filepath.endswith(".safetensors"):  # a damaged one: tensor_file says how
        return SAFETENSORS
    shown = head[:16]
    raise ValueError(f"{filepath!r} is not a model or weights file hoarfrost knows: it starts "
                     f"with {shown!r} (expected a zip, an HDF5 or a safetensors file).")


def _looks_like_safetensors(head: bytes, size: int) -> bool:
    """safetensors: an 8-byte header length that fits the file, then a JSON object."""
    return (len(head) >= 9 and head[8:9] == b"{"
            and int.from_bytes(head[:8], "little") <= size - 8)


@contextlib.contextmanager
def open_keras_zip(filepath, assets: bool = False):
    """A Keras 3 `.keras` zip, checked (`archive.open_archive`) and holding only Keras's
    members and hoarfrost's extras.

    Args:
        assets: whether files under `assets/` may be there. Loading a model refuses
            them (hoarfrost does not read Keras's asset files, so the layer that
            saved one would load without it); loading weights ignores them, as Keras.
    """
    filepath = os.fspath(filepath)
    with archives.open_archive(filepath) as archive:
        names = archive.namelist()
        stored = [n for n in names if n.startswith(ASSETS)]
        archives.check_members(archive, KERAS_MEMBERS, KERAS_OPTIONAL + tuple(stored))
        files = [n for n in stored if not n.endswith("/")]
        if files and not assets:
            raise ValueError(
                f"{archives.member_label(archive, files[0])}: Keras saved an asset file "
                "for a layer (an adapted StringLookup's or TextVectorization's "
                "vocabulary, ...); hoarfrost does not read Keras's asset files, so the "
                "layer would load without it. Load the weights into a model built in "
                "code (model.load_weights), with the vocabulary passed to the layer.")
        yield archive


def _read_json(archive: zipfile.ZipFile, name: str) -> dict:
    """A JSON member, size-bounded and depth-limited, that must be an object."""
    where = archives.member_label(archive, name)
    value = validation.loads_json(
        archives.read_member(archive, name, max_bytes=archives.MAX_JSON_BYTES), where)
    if not isinstance(value, dict):
        raise ValueError(f"{where} is corrupted: it holds a {type(value).__name__}, "
                         "expected a JSON object.")
    return value


def _read_tensors(archive: zipfile.ZipFile, name: str) -> dict:
    """A safetensors member, streamed and checked (entries, checksums)."""
    with archives.open_member(archive, name) as stream:
        return tensor_file.read(stream, archives.member_size(archive, name),
                                archives.member_label(archive, name))[0]


def _read_extras(archive: zipfile.ZipFile) -> tuple[dict | None, dict | None, dict | None]:
    """hoarfrost's members (`keras_extras`), each checked: (state, optimizer tensors,
    LoRA tensors), None where absent."""
    names = set(archive.namelist())
    state = slots = None
    if STATE in names:
        state = _read_json(archive, STATE)
        validation.check_keras_state(state, archives.member_label(archive, STATE))
    if SLOTS in names:
        slots = _read_tensors(archive, SLOTS)
        owners = ((state or {}).get("optimizer") or {}).get("slots")
        if owners is None:
            raise ValueError(f"{archives.member_label(archive, SLOTS)}: optimizer slots "
                             f"without the optimizer's state in {STATE}.")
        validation.check_optimizer_tensors(slots, owners, archives.member_label(archive, SLOTS))
    return state, slots, _read_tensors(archive, LORA) if LORA in names else None


def _h5_tree(archive: zipfile.ZipFile, name: str = "model.weights.h5") -> dict:
    """The weights tree of the HDF5 member `name` (its size bounded by the archive's
    checks; its datasets by its own size)."""
    where = archives.member_label(archive, name)
    blob = archives.read_member(archive, name)
    return _read_h5(io.BytesIO(blob), len(blob), where)


def _read_h5(source, size: int, where: str) -> dict:
    h5py = h5_format._h5py()
    try:
        with h5py.File(source, "r") as f:
            return h5_format.read_tree(f, h5_format.DatasetBudget(size, where))
    except OSError as exc:
        raise ValueError(f"{where} is corrupted: its HDF5 data can not be read ({exc}).") \
            from exc


def _translate(config: dict, custom_objects, where: str) -> dict:
    """A Keras-dialect config as hoarfrost's, its graph checked before anything is built."""
    try:
        entry = keras_config.from_keras(config, custom_objects)
    except ValueError as exc:
        raise ValueError(f"{where}: {exc}") from exc
    except (KeyError, TypeError, IndexError, AttributeError) as exc:
        raise ValueError(f"{where} is corrupted or crafted: its model config is malformed "
                         f"({type(exc).__name__}: {exc}).") from exc
    validation.check_model_config(entry, where)
    return entry


def _deserialize(entry: dict, custom_objects, safe_mode: bool, where: str):
    try:
        model = deserialize_layer(entry, custom_objects, safe_mode=safe_mode)
    except ValueError as exc:  # found while building (an unknown class, bytecode, ...)
        raise ValueError(f"{where}: {exc}") from exc
    _build(model, entry)
    return model


# --- reading -----------------------------------------------------------------------------
def load_keras_zip(filepath, custom_objects=None, compile: bool = True,
                   safe_mode: bool = True):
    """A model from a Keras 3 `.keras` zip (hoarfrost's own ones included).

    Every member is read and checked before the model is built: the config's
    graph, the weights' datasets, hoarfrost's state and slots.
    """
    filepath = os.fspath(filepath)
    with open_keras_zip(filepath, assets=True) as archive:
        names = set(archive.namelist())  # metadata.json is informative only, as in Keras
        assets = {name: archives.read_member(archive, name) for name in sorted(names)
                  if name.startswith(ASSETS) and not name.endswith("/")}
        config = _read_json(archive, "config.json")
        where = archives.member_label(archive, "config.json")
        entry = _translate(config, custom_objects, where)
        tree = _h5_tree(archive)
        state, slots, lora = _read_extras(archive)
    model = _deserialize(entry, custom_objects, safe_mode, where)
    if state is not None:
        adapters.restore_adapted_layers(model, state.get("adapted_layers"),
                                        archives.member_label(filepath, STATE))
    compile_config = config.get("compile_config")
    custom_compile = hooks.has_custom_compile_hooks(model)
    if compile and compile_config and custom_compile:  # Keras's order: compile, then state
        model.compile_from_config(compile_config)
    _assign(model, tree, lora, filepath)  # calls load_own_variables hooks
    hooks.load_assets(layer_paths(model), assets, repr(filepath))
    if state is not None:
        restore_flags(model, state)
    if compile and compile_config and custom_compile:
        saved = ((state or {}).get("optimizer") or {}).get("optimizer") or {}
        if slots is not None and getattr(model, "optimizer", None) is not None \
                and saved.get("class_name") == type(model.optimizer).__name__:
            restore_own_slots(model, state["optimizer"], slots, filepath)
    elif compile and compile_config:
        if state is not None and state.get("compile_config"):
            compile_settings.restore_compile(model, state["compile_config"],
                                             state.get("optimizer"), filepath, custom_objects)
            if slots is not None and model.compiled:
                restore_own_slots(model, state["optimizer"], slots, filepath)
        else:
            _compile_from_keras(model, compile_config, filepath, custom_objects)
            if model.compiled:
                _restore_keras_slots(model, tree.get("optimizer/vars", []), filepath)
    return model


def _assign(model, tree: dict, lora: dict | None, filepath,
            skip_mismatch: bool = False) -> None:
    """Keras's weights (a LoRA layer merged), then hoarfrost's exact LoRA weights when the
    file has them; everything checked before anything is set."""
    pairs = [] if lora is None else checked_lora(model, lora,
                                                  archives.member_label(filepath, LORA))
    h5_format.assign_tree(model, tree, repr(filepath), skip_mismatch=skip_mismatch)
    for variable, value in pairs:
        variable.assign(value)


def _build(model, entry: dict) -> None:
    build_config = entry.get("build_config") or {}
    if not model.built and build_config and hooks.overrides(model, "build_from_config"):
        model.build_from_config(build_config)  # the model's own hook, as Keras calls it
        model.built = True
        return
    shape = build_config.get("input_shape")
    if not model.built and shape is not None:
        model.build(compile_settings.to_tuples(shape))


def _compile_from_keras(model, compile_config: dict, filepath, custom_objects) -> None:
    """Compile as the file's Keras compile config says; a setting hoarfrost lacks (an
    optimizer or loss of another name) leaves the model uncompiled, with a warning that
    names it."""
    hf_compile, optimizer = keras_config.compile_from_keras(compile_config, repr(filepath))
    opt_state = None if optimizer is None else {"optimizer": optimizer}
    try:
        compile_settings.restore_compile(model, hf_compile, opt_state, filepath, custom_objects)
    except ValueError as exc:
        _warn(filepath, f"its compile settings can not be restored ({exc}); the model is "
              "loaded uncompiled. Call compile() to train it.")


def _restore_keras_slots(model, arrays: list, filepath) -> None:
    """Slots from Keras's `optimizer/vars` (the trainable variables', as Keras keeps them);
    a layout that does not fit leaves the optimizer fresh, with a warning that says why."""
    if not arrays:
        return
    problem = keras_optimizer.restore_keras(model.optimizer, model.trainable_weights,
                                            list(arrays))
    if problem is not None:
        _warn(filepath, f"{problem}; the optimizer state is not restored (fit starts with "
              "fresh slots).")


def _warn(filepath, message: str) -> None:
    warnings.warn(f"load_model({os.fspath(filepath)!r}): {message}", stacklevel=4)


# --- writing -------------------------------------------------------------------------------
def savable_optimizer(model):
    """The optimizer of a compiled model when it is built-in or registered (its config can
    be written), else None."""
    optimizer = getattr(model, "optimizer", None) if getattr(model, "compiled", False) else None
    if optimizer is None or optimizers.serialize(optimizer) is None:
        return None
    return optimizer


def optimizer_groups(model) -> dict:
    """`{"optimizer/vars": (name, arrays)}` for a compiled model with a built-in optimizer
    whose Keras layout hoarfrost knows (else `{}`: hoarfrost's extras keep its state)."""
    optimizer = savable_optimizer(model)
    if optimizer is None:
        return {}
    return keras_optimizer.keras_groups(optimizer, model.trainable_weights)


def keras_model_config(model, state: dict, with_optimizer: bool) -> dict:
    """The model's Keras 3 config, its compile config included (`config.json` of a
    `.keras` file; a legacy HDF5 file's `model_config` and `training_config`); the
    optimizer's config only `with_optimizer` (its state in Keras's layout beside it)."""
    config = keras_config.to_keras(model)
    if state["compile_config"] is not None:
        keras_optimizer = None
        if with_optimizer:
            keras_optimizer = keras_config.optimizer_to_keras(optimizers.serialize(model.optimizer))
        config["compile_config"] = keras_config.compile_to_keras(
            model, state["compile_config"], keras_optimizer)
    else:
        config["compile_config"] = None
    if hooks.has_custom_compile_hooks(model):  # the model's own (Keras saves that)
        config["compile_config"] = hooks.compile_config(model)
    if hooks.overrides(model, "get_build_config"):
        config["build_config"] = model.get_build_config()
    return config


def config_json(model, config) -> str:
    """`config` as JSON, or an error naming the model when a custom config is not plain."""
    try:
        return json.dumps(config)
    except TypeError as exc:
        raise TypeError(
            f"save(): model \"{model.name}\" has a config that is not JSON-serializable ({exc}). "
            "Custom layers must return plain values from get_config()."
        ) from exc


def keras_zip_members(model) -> dict[str, bytes]:
    """The members of the `.keras` zip `model.save()` writes, in writing order."""
    import datetime
    state, slots = extras(model)
    groups = optimizer_groups(model)
    config = config_json(model, keras_model_config(model, state, bool(groups)))
    metadata = {"keras_version": KERAS_VERSION,
                "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S"),
                "hoarfrost": {"format": FORMAT, "version": FORMAT_VERSION}}
    members = {"metadata.json": json.dumps(metadata).encode(),
               "config.json": config.encode(),
               "model.weights.h5": h5_format.weights_blob(model, groups),
               STATE: json.dumps(state).encode()}
    if slots is not None:
        members[SLOTS] = slots
    lora = lora_extras(model)
    if lora is not None:
        members[LORA] = lora
    members.update(hooks.saved_assets(layer_paths(model)))  # assets/<layer path>/...
    return members


# --- legacy HDF5 models --------------------------------------------------------------------
def load_legacy_h5(filepath, custom_objects=None, compile: bool = True,
                   safe_mode: bool = True):
    """A model from a legacy Keras HDF5 file (`model_config`, `model_weights`, ...).

    The config is translated and its graph checked, and every dataset read
    within the file's size, before the model is built.
    """
    h5py = h5_format._h5py()
    filepath = os.fspath(filepath)
    source = repr(filepath)
    try:
        with h5py.File(filepath, "r") as f:
            h5_format.check_links(f, source)
            config = h5_format.legacy_json_attr(f, "model_config", source)
            if config is None:
                raise ValueError(f"{source} is a legacy HDF5 weights file without a model "
                                 "configuration; build the model and call "
                                 "model.load_weights().")
            where = f"{source}, attribute model_config"
            if not isinstance(config, dict):
                raise ValueError(f"{where} is corrupted: it holds a {type(config).__name__}, "
                                 "expected a JSON object.")
            training = h5_format.legacy_json_attr(f, "training_config", source)
            flags = h5_format.legacy_json_attr(f, "hoarfrost_state", source)  # hoarfrost's
            if not isinstance(training, (dict, type(None))):
                raise ValueError(f"{source}, attribute training_config is corrupted: it holds "
                                 f"a {type(training).__name__}, expected a JSON object.")
            entry = _translate(config, custom_objects, where)
            budget = h5_format.DatasetBudget(os.path.getsize(filepath), source)
            group = f["model_weights"] if "model_weights" in f else f
            weights = h5_format.read_legacy_weights(group, budget)
            opt_weights = None
            if "optimizer_weights" in f:
                og = f["optimizer_weights"]
                opt_names = [h5_format._text(n) for n in og.attrs.get("weight_names", [])]
                missing = [n for n in opt_names if n not in og]
                if missing:
                    raise ValueError(f"{source}: optimizer_weights lists {missing[0]!r} but "
                                     "has no dataset of that name.")
                opt_weights = [(n, budget.read(og[n], f"optimizer_weights/{n}"))
                               for n in opt_names]
    except OSError as exc:
        raise ValueError(f"{source} is corrupted: its HDF5 data can not be read ({exc}).") \
            from exc
    model = _deserialize(entry, custom_objects, safe_mode, where)
    names = h5_format.assign_legacy(model, weights, source)
    if isinstance(flags, dict):  # before compiling: the slots are the trainable ones'
        restore_flags(model, flags)
    if compile and training:
        _compile_from_keras(model, training, filepath, custom_objects)
        if model.compiled and opt_weights:
            _restore_legacy_slots(model, opt_weights, names, filepath)
    return model


def _restore_legacy_slots(model, weights: list, names: dict, filepath) -> None:
    """Optimizer state of a legacy file, matched by the names the file gives its weights
    (`legacy_optimizer`); one that does not fit leaves the optimizer fresh, with a
    warning that says why."""
    problem = legacy_optimizer.restore(model.optimizer, model.trainable_weights, weights,
                                       names)
    if problem is not None:
        _warn(filepath, f"{problem}; the optimizer state is not restored (fit starts with "
              "fresh slots).")


def load_legacy_weights(model, filepath, skip_mismatch: bool = False) -> None:
    """Weights from a legacy HDF5 file (weights-only or full model) into `model`, by layer name."""
    h5py = h5_format._h5py()
    filepath = os.fspath(filepath)
    source = repr(filepath)
    try:
        with h5py.File(filepath, "r") as f:
            h5_format.check_links(f, source)
            group = f["model_weights"] if "model_weights" in f else f
            weights = h5_format.read_legacy_weights(
                group, h5_format.DatasetBudget(os.path.getsize(filepath), source))
    except OSError as exc:
        raise ValueError(f"{source} is corrupted: its HDF5 data can not be read ({exc}).") \
            from exc
    h5_format.assign_legacy(model, weights, source, skip_mismatch=skip_mismatch)


def load_keras_weights(model, filepath, skip_mismatch: bool = False) -> None:
    """Weights from a Keras 3 `.weights.h5` file or a `.keras` zip, by structural name."""
    filepath = os.fspath(filepath)
    lora = None
    if detect(filepath) == KERAS_ZIP:
        with open_keras_zip(filepath, assets=True) as archive:  # Keras ignores them here too
            tree = _h5_tree(archive)
            if LORA in archive.namelist():
                lora = _read_tensors(archive, LORA)
    else:
        tree = _read_h5(filepath, os.path.getsize(filepath), repr(filepath))
    _assign(model, tree, lora, filepath, skip_mismatch=skip_mismatch)


# --- training state into an existing model (BackupAndRestore) ------------------------------
def restore_training_state(model, filepath) -> None:
    """A `.keras` file's weights, trainable flags and optimizer slots into `model` (built,
    maybe compiled), without rebuilding it; everything is read and checked first."""
    filepath = os.fspath(filepath)
    with open_keras_zip(filepath, assets=True) as archive:
        tree = _h5_tree(archive)
        state, tensors, lora = _read_extras(archive)
    optimizer = getattr(model, "optimizer", None)
    opt_state = (state or {}).get("optimizer")
    slots = iterations = rate = own_state = None
    if optimizer is not None and opt_state is not None and tensors is not None:
        saved = opt_state["optimizer"]
        if saved.get("class_name") != type(optimizer).__name__:
            raise ValueError(
                f"{filepath!r} holds the state of a {saved.get('class_name')} optimizer, but "
                f'model "{model.name}" was compiled with {type(optimizer).__name__}.')
        slots = checked_slots(optimizer, opt_state, tensors, variable_paths(model),
                               archives.member_label(filepath, SLOTS))
        iterations = tensors["iterations"]
        own_state = saved_own_state(optimizer, tensors, archives.member_label(filepath, SLOTS))
        rate = (saved.get("config") or {}).get("learning_rate")
    elif optimizer is not None:
        warnings.warn(f"{filepath!r} holds no optimizer state; the optimizer of model "
                      f'"{model.name}" starts fresh.', stacklevel=3)
    _assign(model, tree, lora, filepath)  # checks everything, then sets
    if state is not None:
        restore_flags(model, state)
    if slots is not None:  # the saved state exactly: variables saved without slots lose theirs
        variables = list(variable_paths(model).values())
        optimizer.restore(OptimizerState(
            variables, [slots.get(v) for v in variables],
            jnp.asarray(iterations, optimizer.iterations.dtype), own_state))
        if isinstance(rate, (int, float)) and not isinstance(rate, bool) \
                and optimizer.learning_rate_schedule is None:
            optimizer.learning_rate = rate
