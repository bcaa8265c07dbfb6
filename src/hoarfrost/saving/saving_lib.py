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
import zipfile
from pathlib import Path

import numpy as np

from hoarfrost.host import is_writer
from hoarfrost.saving import archive as archives
from hoarfrost.saving import (compile_settings, keras_archive, legacy_h5, temp_files,
                              tensor_file, training_state, validation)
from hoarfrost.saving.serialization import deserialize_layer
from hoarfrost.saving.temp_files import atomic_write  # noqa: F401  (its public home for callers)

FORMAT = "hoarfrost.keras"
FORMAT_VERSION = 1


def _check_overwrite(filepath, overwrite: bool) -> None:
    if not overwrite and os.path.exists(filepath):
        raise FileExistsError(f"{filepath} exists and overwrite=False.")


def _contiguous(value: np.ndarray) -> np.ndarray:
    """C-contiguous, keeping the shape (np.ascontiguousarray makes a scalar 1-D)."""
    return np.ascontiguousarray(value).reshape(value.shape)


def save_model(model, filepath, overwrite: bool = True, include_optimizer: bool = True) -> None:
    """Save a model to a `.keras` zip Keras 3 also loads (atomic: a failed save keeps the
    old file); to a legacy HDF5 model file for a path ending in `.h5` or `.hdf5`, as Keras.

    Over several processes every process calls it (values may be gathered)
    and process 0 alone writes, as in Keras.
    """
    filepath = os.fspath(filepath)
    if legacy_h5.is_legacy_path(filepath):
        legacy_h5.save_legacy_h5(model, filepath, overwrite=overwrite,
                                 include_optimizer=include_optimizer)
        return
    if not include_optimizer:
        raise ValueError("save(include_optimizer=False) applies to legacy `.h5` files only; a "
                         f"`.keras` file always holds the optimizer (got {filepath!r}).")
    if not filepath.endswith(".keras"):
        raise ValueError(
            f"save(): the filepath must end in .keras (or .h5 for the legacy HDF5 format), "
            f"got {filepath!r}. Use save_weights() for a weights-only file."
        )
    _check_overwrite(filepath, overwrite)
    members = keras_archive.keras_zip_members(model)

    def write(handle):
        with zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_STORED) as archive:
            for name, blob in members.items():
                archive.writestr(name, blob)

    if is_writer():  # every process gathered the values above; process 0 alone writes
        atomic_write(filepath, write)


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
        model.build(compile_settings.to_tuples(input_shape))
    compile_config = config.get("compile_config")
    if compile and compile_config:
        compile_settings.restore_compile(model, compile_config, state.get("optimizer"), filepath,
                                         custom_objects)
    training_state.restore(model, state, weights, opt_tensors if compile else None, filepath)
    return model


def load_training_state(model, filepath) -> None:
    """Load a `.keras` file's weights, trainable flags and optimizer state into `model`.

    Unlike `load_model`, the architecture is not rebuilt: the values go into
    the model (and its compiled optimizer) that is about to train, as
    `BackupAndRestore` resumes. Everything is read and checked first; the
    model changes only once nothing can fail.
    """
    filepath = os.fspath(filepath)
    if keras_archive.detect(filepath) == keras_archive.KERAS_ZIP:  # what save() writes now
        keras_archive.restore_training_state(model, filepath)
        return
    with _open_archive(filepath) as archive:  # format 1: read and checked whole first
        state = _read_json(archive, "state.json", filepath)
        validation.check_state(state, archives.member_label(filepath, "state.json"))
        weights = _read_tensors(archive, "model.safetensors")
        opt_tensors = None
        if "optimizer.safetensors" in archive.namelist():
            opt_tensors = _read_tensors(archive, "optimizer.safetensors")
            validation.check_optimizer_tensors(
                opt_tensors, (state.get("optimizer") or {}).get("slots", []),
                archives.member_label(filepath, "optimizer.safetensors"))
    training_state.restore(model, state, weights, opt_tensors, filepath,
                           warn_without_optimizer=True)


def _read_json(archive: zipfile.ZipFile, name: str, filepath) -> dict:
    value = validation.loads_json(_read(archive, name, filepath),
                                  archives.member_label(filepath, name))
    if not isinstance(value, dict):
        raise ValueError(f"{filepath!r} is corrupted: {name} holds a {type(value).__name__}, "
                         "expected a JSON object.")
    return value


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
        from hoarfrost.saving import h5_format
        blob = h5_format.weights_blob(model, keras_archive.optimizer_groups(model))
    else:
        tensors = {f"{i:05d}": _contiguous(v.numpy()) for i, v in enumerate(model.weights)}
        state = json.dumps(training_state.trainability(model))
        blob = tensor_file.dumps(tensors, metadata={"format": FORMAT, "state": state})
    if is_writer():  # every process gathered the values above; process 0 alone writes
        atomic_write(filepath, lambda handle: handle.write(blob))


def load_weights(model, filepath, skip_mismatch: bool = False) -> None:
    """Load weights into a built model, from any of the files `detect` knows.

    Keras files are matched by structure (`.keras`, `.weights.h5`) or by layer
    name (legacy HDF5, e.g. Keras's published ImageNet weights); hoarfrost's
    safetensors files in `weights` order. Values only, as in Keras.

    `skip_mismatch` (Keras's): what does not fit keeps its values, with a warning
    each, instead of raising. Keras 3 files: a layer whose group is missing, holds
    another number of weights or another shape (the whole layer). Legacy HDF5 (by
    name): a missing layer or one of another weight count, and each weight of another
    shape. hoarfrost's files (by position): each weight of another shape; another
    number of weights still raises, as Keras's positional loader does.
    """
    if not isinstance(skip_mismatch, bool):
        raise TypeError(f"load_weights(): skip_mismatch must be True or False, got "
                        f"{skip_mismatch!r}.")
    filepath = os.fspath(filepath)
    kind = keras_archive.detect(filepath)
    if not model.built:
        raise ValueError(
            f'load_weights(): model "{model.name}" is not built, so it has no weights to '
            "load into. Build it first (give an input shape, or call it on data)."
        )
    if kind in (keras_archive.KERAS_ZIP, keras_archive.KERAS_WEIGHTS):
        keras_archive.load_keras_weights(model, filepath, skip_mismatch=skip_mismatch)
        return
    if kind in (keras_archive.LEGACY_MODEL, keras_archive.LEGACY_WEIGHTS):
        keras_archive.load_legacy_weights(model, filepath, skip_mismatch=skip_mismatch)
        return
    if kind == keras_archive.HOARFROST_V1:
        with _open_archive(filepath) as archive:
            state = _read_json(archive, "state.json", filepath)
            validation.check_state(state, archives.member_label(filepath, "state.json"))
            tensors = _read_tensors(archive, "model.safetensors")
        training_state.assign_weights(model, tensors, state["variables"], filepath,
                                      skip_mismatch)
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
            problem = (
                f"{filepath!r}: weight {i} ({record['path']}) has shape "
                f"{list(value.shape)}, but the model's variable "
                f"{variable.path} has shape {list(variable.shape)}."
            )
            if not skip_mismatch:
                raise ValueError(problem)
            training_state.skip_warning(variable, problem)
            continue
        values.append((variable, value))
    for variable, value in values:
        variable.assign(value)
