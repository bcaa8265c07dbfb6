"""The hooks Keras calls on layers and models as it saves and loads a `.keras` file,
called by hoarfrost's writer and reader at the same moments
(`keras/src/saving/saving_lib.py`):

- `save_own_variables(store)` / `load_own_variables(store)`: each object's
  weights, a dict of arrays by key (`"0"`, `"1"`, ... by default);
- `save_assets(directory)` / `load_assets(directory)`: files of the object's
  own, stored in the zip under `assets/<object path>/`;
- `get_compile_config()` / `compile_from_config(config)`: a model's compile
  settings, when the model overrides them.

`get_build_config` / `build_from_config` are called where layers are
deserialized (`serialization.build_from_saved`).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np

from hoarfrost.saving.serialization_lib import serialize_keras_object

ASSETS = "assets"


def own_variables(obj) -> dict[str, np.ndarray]:
    """What `obj.save_own_variables` stores, as arrays by key, in the order stored."""
    store: dict = {}
    obj.save_own_variables(store)
    return {str(key): np.asarray(value.numpy() if hasattr(value, "numpy") else value)
            for key, value in store.items()}


def overrides(obj, name: str) -> bool:
    """Whether `obj`'s class (the user's, or a base of the user's) defines hook `name`
    instead of hoarfrost's default."""
    method = getattr(type(obj), name, None)
    return method is not None and not method.__module__.startswith("hoarfrost.")


def saved_assets(objects: dict) -> dict[str, bytes]:
    """`{zip member: bytes}` of what the objects' `save_assets` write.

    Args:
        objects: `{path: object}`, the path as Keras names the object in the
            file (`"layers/dense"`; `""` for the model itself).
    """
    members: dict[str, bytes] = {}
    with tempfile.TemporaryDirectory(prefix="hoarfrost-assets-") as tmp:
        root = Path(tmp) / ASSETS
        for path, obj in objects.items():
            if not hasattr(obj, "save_assets"):
                continue
            directory = root / path if path else root
            directory.mkdir(parents=True, exist_ok=True)
            obj.save_assets(str(directory))
        if root.exists():
            for file in sorted(p for p in root.rglob("*") if p.is_file()):
                members[f"{ASSETS}/{file.relative_to(root).as_posix()}"] = file.read_bytes()
    return members


def load_assets(objects: dict, members: dict[str, bytes], source: str) -> None:
    """Give each object that has `load_assets` the directory of its saved files.

    As in Keras, nothing is called when the file holds no assets. A file
    stored for an object that has no `load_assets` raises, naming it (it
    would otherwise load without what it saved).
    """
    if not members:
        return
    owners = sorted(objects, key=len, reverse=True)  # the deepest path first
    for name in members:
        relative = name[len(ASSETS) + 1:]
        owner = next((p for p in owners if not p or relative.startswith(p + "/")), None)
        if owner is None or not hasattr(objects[owner], "load_assets"):
            folder = relative.rsplit("/", 1)[0] if "/" in relative else ""
            label = f"layer {owner!r}" if owner else (f"{folder!r}" if folder else "the model")
            raise ValueError(
                f"{source}, member {name}: Keras saved an asset file for {label} (an adapted "
                "StringLookup's or TextVectorization's vocabulary, ...), but nothing there "
                "has a load_assets() to read it, so the layer would load without it. Give "
                "its class a load_assets() (Keras calls it), or load the weights into a "
                "model built in code (model.load_weights).")
    with tempfile.TemporaryDirectory(prefix="hoarfrost-assets-") as tmp:
        root = Path(tmp).resolve() / ASSETS
        root.mkdir()
        for name, blob in members.items():
            target = (root / name[len(ASSETS) + 1:]).resolve()
            if root not in target.parents:
                raise ValueError(f"{source}: asset member {name!r} points outside its folder.")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(blob)
        for path, obj in objects.items():
            if hasattr(obj, "load_assets"):
                directory = root / path if path else root
                directory.mkdir(parents=True, exist_ok=True)
                obj.load_assets(str(directory))


def has_custom_compile_hooks(model) -> bool:
    """Whether the model's class defines `get_compile_config` or `compile_from_config`."""
    return overrides(model, "get_compile_config") or overrides(model, "compile_from_config")


def compile_config(model):
    """`model.get_compile_config()` as JSON-ready values (Keras serializes it)."""
    if not getattr(model, "compiled", False):
        return None
    config = model.get_compile_config()
    return None if config is None else serialize_keras_object(config)
