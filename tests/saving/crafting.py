"""Crafted files for the saving tests: saved models taken apart and put back altered."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path


def members(path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def write_zip(path, contents: dict[str, bytes], compression=zipfile.ZIP_STORED) -> Path:
    with zipfile.ZipFile(path, "w", compression=compression) as archive:
        for name, data in contents.items():
            archive.writestr(name, data)
    return Path(path)


def altered(source, target, **changes) -> Path:
    """A copy of the zip `source` with members replaced (bytes), or removed (None).

    Names with a dot are passed as `**{"config.json": ...}`.
    """
    contents = members(source)
    for name, data in changes.items():
        if data is None:
            contents.pop(name)
        else:
            contents[name] = data
    return write_zip(target, contents)


def with_json(source, target, name: str, edit) -> Path:
    """A copy of `source` whose JSON member `name` went through `edit(value)` (in place)."""
    value = json.loads(members(source)[name])
    edit(value)
    return altered(source, target, **{name: json.dumps(value).encode()})


def write_v1(model, path) -> Path:
    """`model` as a format-1 `.keras` file, as hoarfrost wrote them before it wrote Keras's
    format (with the per-tensor checksums of that last version): the file the format-1
    reader still loads. Its functional layers and weights in call order."""
    import numpy as np

    from hoarfrost.saving import compile_settings, saving_lib, tensor_file, training_state
    from hoarfrost.saving.serialization import serialize_layer
    variables = training_state.v1_weights(model)
    config = {**serialize_layer(model),
              "build_config": {"input_shape": compile_settings.jsonable(model._build_shapes_dict)},
              "compile_config": compile_settings.compile_config(model)}
    state = {"format": saving_lib.FORMAT, "version": 1,
             "layers": [layer.trainable for layer in training_state.layers_in_order(model)],
             "variables": [{"path": v.path, "shape": list(v.shape), "dtype": str(v.dtype),
                            "trainable": v.trainable} for v in variables],
             "optimizer": None}
    contents = {"metadata.json": json.dumps({"format": saving_lib.FORMAT,
                                             "version": 1}).encode(),
                "config.json": json.dumps(config).encode()}
    weights = tensor_file.dumps({f"{i:05d}": np.asarray(v.numpy())
                                 for i, v in enumerate(variables)},
                                metadata={"format": saving_lib.FORMAT})
    optimizer = getattr(model, "optimizer", None)
    opt_state = training_state.optimizer_config(optimizer)
    if opt_state is not None:
        import jax
        snapshot = optimizer.snapshot(variables, copy=False)
        tensors = {"iterations": np.asarray(snapshot.iterations)}
        for i, slots in enumerate(snapshot.slots):
            if slots is None:
                continue
            opt_state["slots"].append(i)
            for j, leaf in enumerate(jax.tree.leaves(slots)):
                tensors[f"{i:05d}/{j}"] = np.asarray(leaf)
        state["optimizer"] = opt_state
    contents["state.json"] = json.dumps(state).encode()
    contents["model.safetensors"] = weights
    if opt_state is not None:
        contents["optimizer.safetensors"] = tensor_file.dumps(tensors)
    return write_zip(path, contents)
