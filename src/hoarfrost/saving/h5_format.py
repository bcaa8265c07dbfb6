"""Keras's HDF5 weight layouts, matched by structural name, never by position.

Two layouts exist:

- Keras 3 (`.weights.h5`, and `model.weights.h5` inside a `.keras` zip): one
  group per object, found by walking the model as `keras/src/saving/
  saving_lib.py` does. A model's layers sit in a container named `layers`,
  each under its class name in snake case, numbered in `model.layers` order
  (`layers/dense`, `layers/dense_1`, ...); a layer's own variables are the
  datasets `vars/0`, `vars/1`, ... (trainable ones first, in creation order);
  sublayers sit under their attribute name (`layers/lstm/cell/vars/0`,
  `layers/bidirectional/forward_layer/cell/vars/0`); the optimizer under
  `optimizer/vars`.
- Legacy Keras 2 HDF5 (`model.save("m.h5")`, `save_weights("w.h5")`, the
  published ImageNet weight files): one group per top-level layer, found by
  the layer's *name*, holding the layer's weights in `layer.weights` order
  (`weight_names` attribute).

h5py is imported only by the functions that open a file.
"""

from __future__ import annotations

import inspect

import io
import math
import warnings
from typing import Any, Iterator

import numpy as np

from hoarfrost.layers.layer import Layer
from hoarfrost.layers.recurrent import _RNN
from hoarfrost.layers.tensor_op import TensorOp
from hoarfrost.naming import to_snake_case
from hoarfrost.saving import hooks
from hoarfrost.object_registration import builtin_class

HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"


def _h5py():
    try:
        import h5py
    except ImportError as exc:  # pragma: no cover - h5py is a dependency
        raise ImportError("Reading and writing Keras's HDF5 files needs h5py "
                          "(`pip install h5py`).") from exc
    return h5py


# --- the Keras 3 object tree ------------------------------------------------------------
class _Cell:
    """The `cell` Keras's recurrent layers keep their weights in (hoarfrost keeps them on
    the layer itself)."""

    def __init__(self, layer):
        self.name = f"{to_snake_case(type(layer).__name__)}_cell"
        self.variables = list(layer._variables)


def _is_recurrent(layer) -> bool:
    return isinstance(layer, _RNN)


def _model_layers(model) -> list | None:
    """The layers Keras saves in a model's `layers` container, or None for a non-model."""
    if isinstance(model, (builtin_class("Functional"), builtin_class("Sequential"))):
        # Keras's model.layers: no TensorOp (Keras's ops are not layers); a Sequential
        # never lists its input layer.
        return [layer for layer in model.layers if not isinstance(layer, TensorOp)]
    return None


def _own_variables(layer) -> list:
    """A layer's own variables in Keras's `save_own_variables` order: trainable first."""
    if _is_recurrent(layer):
        return []  # Keras keeps them in the layer's `cell`
    hook = getattr(layer, "_keras_own_variables", None)
    if hook is not None:  # a wrapper Keras also saves its wrapped layer's kernel in
        return hook()
    adapters = {id(v) for v in hoarfrost_only_variables(layer)}
    own = [v for v in layer._variables if id(v) not in adapters]
    return [v for v in own if not v.is_state] + [v for v in own if v.is_state]


def hoarfrost_only_variables(layer) -> list:
    """A layer's variables Keras's layout has no place for: a LoRA adapter (Keras saves
    the layer merged; hoarfrost keeps the adapter in its extras)."""
    return list(getattr(layer, "lora_variables", None) or [])


def _saved_arrays(obj, variables: list) -> list:
    """The arrays Keras's layout holds for `variables` (a LoRA layer's merged kernel)."""
    hook = getattr(obj, "_keras_saved_values", None)
    values = hook() if hook is not None else {}
    return [values[id(v)] if id(v) in values else v.numpy() for v in variables]


def _key(name: str) -> str:
    """Keras visits public attributes before private ones (`_name_key`)."""
    return f"~{name}" if name.startswith("_") else name


def _children(layer) -> Iterator[tuple[str, Any]]:
    """(attribute path, child) for each sublayer, named as Keras's attribute walk names it."""
    if _is_recurrent(layer):
        yield "cell", _Cell(layer)
        return
    layers = _model_layers(layer)
    if layers is not None:
        yield from _container("layers", layers)
        return
    tracked = {id(sub) for sub in layer._layers}
    skip = {"_layers", "_inbound_nodes", "_variables", "input_spec"}
    attributes = dict(vars(layer))
    for attr in _sublayer_properties(type(layer)):  # Keras walks dir(): `key_dense` before
        value = getattr(layer, attr, None)          # the `_key_dense` it returns
        if isinstance(value, Layer) and id(value) in tracked:
            attributes[attr] = value
    for attr in sorted(attributes, key=_key):
        value = attributes[attr]
        if attr in skip or attr.startswith("__"):
            continue
        if isinstance(value, Layer) and id(value) in tracked:
            yield attr, value
        elif isinstance(value, (list, tuple)) and any(
                isinstance(v, Layer) and id(v) in tracked for v in value):
            yield from _container(attr, [v for v in value if isinstance(v, Layer)])


def _sublayer_properties(cls) -> list[str]:
    """The public properties of a layer class (below Layer) that may return a sublayer."""
    names = {name for klass in cls.__mro__ if klass is not Layer and issubclass(klass, Layer)
             for name in vars(klass) if not name.startswith("_")}
    return [name for name in sorted(names)  # as the class resolves it: a subclass may hide one
            if isinstance(inspect.getattr_static(cls, name, None), property)]


def _container(attr: str, items: list) -> Iterator[tuple[str, Any]]:
    used: dict[str, int] = {}
    for item in items:
        base = to_snake_case(type(item).__name__)
        used[base] = used.get(base, -1) + 1
        yield f"{attr}/{base}" + (f"_{used[base]}" if used[base] else ""), item


def weight_groups(model) -> dict[str, tuple[str, list, Any]]:
    """`{group path: (object name, variables, object)}` of a model, as Keras 3 lays out
    its file.

    The path is the one of the `vars` group (`"vars"` for the model itself,
    `"layers/dense/vars"` for a layer); every layer has one, even without
    variables, as Keras writes them.
    """
    groups: dict[str, tuple[str, list, Any]] = {}
    visited: set[int] = set()

    def walk(obj, path: str) -> None:
        if id(obj) in visited:
            return  # a shared layer is saved where Keras first meets it
        visited.add(id(obj))
        variables = obj.variables if isinstance(obj, _Cell) else _own_variables(obj)
        groups[f"{path}/vars" if path else "vars"] = (obj.name, variables, obj)
        if isinstance(obj, _Cell):
            return
        for attr, child in _children(obj):
            walk(child, f"{path}/{attr}" if path else attr)

    walk(model, "")
    return groups


def keras_weight_order(layer) -> list:
    """A layer's weights in Keras's `layer.weights` order (own trainable, own
    non-trainable, then each sublayer's in tracking order), as legacy HDF5 files
    list them."""
    if _is_recurrent(layer):
        return list(layer._variables)
    out = _own_variables(layer)
    for sub in _model_layers(layer) or layer._layers:
        out += [v for v in keras_weight_order(sub) if all(v is not o for o in out)]
    return out


# --- reading and writing the Keras 3 layout ----------------------------------------------
def write_weights(handle, model, optimizer_groups: dict | None = None) -> None:
    """Write `model`'s weights (and `optimizer_groups`: `{path: (name, arrays)}`) as HDF5.

    Args:
        handle: a path or a binary file object.
    """
    h5py = _h5py()
    with h5py.File(handle, "w") as f:
        for path, (name, variables, obj) in weight_groups(model).items():
            if hooks.overrides(obj, "save_own_variables"):  # the layer's own keys, as Keras
                _write_group(f, path, name, hooks.own_variables(obj))
            else:
                _write_group(f, path, name, _saved_arrays(obj, variables))
        for path, (name, arrays) in (optimizer_groups or {}).items():
            _write_group(f, path, name, arrays)


def _write_group(f, path: str, name: str, arrays) -> None:
    """A `vars` group of `arrays` (a list: keys "0", "1", ...; or a dict by key)."""
    group = f.create_group(path)
    group.attrs["name"] = name
    items = arrays.items() if isinstance(arrays, dict) else enumerate(arrays)
    for i, value in items:
        value = np.asarray(value)
        if value.ndim and value.size:  # HDF5's own checksum (Fletcher-32) per chunk, which
            # HDF5 verifies on every read (Keras's too): a flipped bit fails the load.
            group.create_dataset(str(i), data=value, fletcher32=True)
        else:  # scalars can not be chunked, so carry no checksum
            group[str(i)] = value


def weights_blob(model, optimizer_groups: dict | None = None) -> bytes:
    buffer = io.BytesIO()
    write_weights(buffer, model, optimizer_groups)
    return buffer.getvalue()


class DatasetBudget:
    """What reading an HDF5 file's datasets may allocate, from the file's size.

    HDF5 states each dataset's shape and type in its header, so a crafted file
    of a few KiB can declare a dataset of GiBs (never written: reading it
    would allocate the whole of it, filled). Data stored without filters
    occupies the file itself, so all such datasets together fit in the file;
    a compressed (filtered) dataset may inflate `MAX_EXPANSION` times what it
    stores. A dataset beyond either bound is refused before it is read.
    """

    MAX_EXPANSION = 100  # as archive.MAX_EXPANSION for zip members

    def __init__(self, file_size: int, source: str):
        self.file_size, self.source = int(file_size), source
        self.plain = self.filtered = 0

    def read(self, item, where: str) -> np.ndarray:
        """The array of dataset `item` (named `where`), checked first."""
        h5py = _h5py()
        if not isinstance(item, h5py.Dataset):
            raise ValueError(f"{self.source}: {where} is a {type(item).__name__}, expected a "
                             "dataset.")
        if item.external or item.is_virtual:
            raise ValueError(f"{self.source}: HDF5 dataset {where} is external or virtual (its "
                             "data would be read from other files); refused.")
        if item.shape is None or item.dtype.kind not in "biufc":
            raise ValueError(f"{self.source}: HDF5 dataset {where} holds {item.dtype} data of "
                             f"shape {item.shape}; weights are arrays of numbers.")
        declared = math.prod(item.shape) * item.dtype.itemsize  # Python ints: no overflow
        stored = item.id.get_storage_size()
        if item.id.get_create_plist().get_nfilters():
            self.filtered += declared
            if declared > self.MAX_EXPANSION * stored \
                    or self.filtered > self.MAX_EXPANSION * self.file_size:
                raise ValueError(
                    f"{self.source}: HDF5 dataset {where} declares {declared} bytes "
                    f"(shape {item.shape}, {item.dtype}) but stores {stored} compressed; "
                    f"refusing more than {self.MAX_EXPANSION}x (a decompression bomb).")
        else:
            self.plain += declared
            if self.plain > self.file_size:
                raise ValueError(
                    f"{self.source}: HDF5 dataset {where} declares {declared} bytes (shape "
                    f"{item.shape}, {item.dtype}), more than the {self.file_size}-byte file "
                    "holds with the datasets before it (a crafted or truncated file); "
                    "refused before reading.")
        return np.asarray(item[()])


def read_tree(f, budget: DatasetBudget) -> dict[str, list[np.ndarray]]:
    """`{vars group path: [array 0, array 1, ...]}` of every group of a Keras 3 file.

    Links other than hard ones are refused, and every dataset is checked by
    `budget` before it is read.
    """
    h5py = _h5py()
    check_links(f, budget.source)
    paths: list[str] = []

    def visit(path, obj):
        if isinstance(obj, h5py.Group) and path.split("/")[-1] == "vars":
            paths.append(path)

    f.visititems(visit)
    tree: dict[str, list[np.ndarray]] = {}
    for path in paths:
        group = f[path]
        by_key = {name: budget.read(group[name], f"{path}/{name}") for name in group}
        numbered = sorted((n for n in by_key if n.isdigit()), key=int)
        tree[path] = Store([by_key[n] for n in numbered], by_key)
    return tree


class Store(list):
    """A group's arrays "0", "1", ... in order, and `by_key`: every array of the group by
    its key, as a layer's `save_own_variables` stored them (its own keys included)."""

    def __init__(self, arrays: list, by_key: dict):
        super().__init__(arrays)
        self.by_key = by_key

    def named(self) -> list[str]:
        """Keys other than "0", "1", ... (only a layer's own save_own_variables writes them)."""
        return [key for key in self.by_key if not key.isdigit()]


def check_links(f, source: str = "HDF5 file") -> None:
    """Refuse soft and external links anywhere in the file (an external one reads another
    file; a soft one can make a walk of the file loop). Every group is visited (each
    object once, so hard-link cycles end) and each of its links inspected."""
    h5py = _h5py()
    groups = [f]
    f.visititems(lambda _, obj: groups.append(obj) if isinstance(obj, h5py.Group) else None)
    for group in groups:
        for name in group:
            link = group.get(name, getlink=True)
            if not isinstance(link, h5py.HardLink):
                where = f"{group.name.rstrip('/')}/{name}"
                raise ValueError(f"{source}: the HDF5 file holds a {type(link).__name__} at "
                                 f"{where!r}; refused (weights files hold groups and "
                                 "datasets only).")



def assign_tree(model, tree: dict, source: str, skip_mismatch: bool = False) -> None:
    """Set `model`'s variables from `read_tree` output, every group matched by its path.

    Raises (naming the layer and path) when a group the model needs is
    missing, holds another number of arrays or other shapes, or when the file
    has weights for layers the model lacks; nothing is assigned then. With
    `skip_mismatch` (Keras's `load_weights(..., skip_mismatch=True)`), such a
    layer keeps its values, with a warning naming it, and the rest load; the
    file's groups the model lacks are left alone (as Keras, which walks the model).
    """
    expected = weight_groups(model)
    pairs = []
    own_hooks = []  # (layer, its store): layers whose load_own_variables reads the group
    for path, (name, variables, obj) in expected.items():
        if hooks.overrides(obj, "load_own_variables"):
            group = tree.get(path)
            store = dict(getattr(group, "by_key", {})) if group is not None else {}
            own_hooks.append((obj, store))
            continue
        arrays = tree.get(path, [] if not variables else None)
        problem = _group_problem(source, path, name, variables, arrays, tree)
        if problem is not None:
            if not skip_mismatch:
                raise ValueError(problem)
            _skip_warning(name, problem)
            continue
        pairs.extend(zip(variables, arrays))
    extra = [p for p, arrays in tree.items()
             if arrays and p not in expected and not p.startswith("optimizer/")]
    if extra and not skip_mismatch:
        raise ValueError(f"{source}: the file has weights for objects model {model.name!r} "
                         f"does not have: {_listing(extra)}.")
    for variable, value in pairs:
        variable.assign(value.astype(variable.dtype))
    for _, _, obj in expected.values():
        if getattr(obj, "_keras_loaded", None) is not None:
            obj._keras_loaded()  # a merged LoRA kernel: the adapter's B at zeros
    for layer, store in own_hooks:  # Keras calls each layer's own loader
        if not skip_mismatch:
            layer.load_own_variables(store)
            continue
        try:
            layer.load_own_variables(store)
        except Exception as exc:  # as Keras's `_load_state`: skipped, with a warning
            _skip_warning(layer.name, f"{source}: {type(exc).__name__}: {exc}")


def _group_problem(source, path, name, variables, arrays, tree) -> str | None:
    """Why the file's group `path` can not load layer `name`'s `variables` (or None)."""
    if arrays is not None and getattr(arrays, "named", lambda: [])():
        return (f"{source}: the file's group {path!r} holds {arrays.named()[:4]}, which a "
                f"custom save_own_variables wrote; layer {name!r} has no load_own_variables "
                "to read them.")
    if arrays is None:
        return (f"{source}: no weights for layer {name!r} (expected the HDF5 group {path!r} "
                f"with {len(variables)} arrays); the file's groups with weights are "
                f"{_listing(p for p, a in tree.items() if a and not p.startswith('optimizer'))}.")
    if len(arrays) != len(variables):
        return (f"{source}: layer {name!r} has {len(variables)} weights "
                f"({', '.join(v.path for v in variables) or 'none'}), but the file's group "
                f"{path!r} holds {len(arrays)}.")
    for variable, value in zip(variables, arrays):
        if tuple(value.shape) != tuple(variable.shape):
            return (f"{source}: weight {variable.path} of layer {name!r} has shape "
                    f"{tuple(variable.shape)}, but the file's {path} holds shape "
                    f"{tuple(value.shape)}.")
    return None


def _skip_warning(name: str, problem: str) -> None:
    warnings.warn(f"load_weights(skip_mismatch=True): skipping layer {name!r}, which keeps "
                  f"its values: {problem}", stacklevel=4)


def _listing(items, limit: int = 6) -> str:
    items = list(items)
    text = ", ".join(repr(i) for i in items[:limit])
    return f"[{text}{', ...' if len(items) > limit else ''}]"


# --- legacy Keras 2 HDF5 ------------------------------------------------------------------
def _text(value) -> str:
    return value.decode("utf8") if isinstance(value, bytes) else str(value)


def legacy_layer_names(group) -> list[str]:
    return [_text(n) for n in group.attrs.get("layer_names", [])]


def read_legacy_weights(group, budget: DatasetBudget) -> dict[str, list[tuple[str, np.ndarray]]]:
    """`{layer name: [(weight name, array), ...]}` of a legacy group (`model_weights` or
    a weights file's root), in each layer's `weight_names` order; every dataset checked
    by `budget` before it is read."""
    out = {}
    for layer_name in legacy_layer_names(group):
        if layer_name not in group:
            raise ValueError(f"{budget.source}: the file lists layer {layer_name!r} but has no "
                             "group of that name.")
        layer_group = group[layer_name]
        names = [_text(n) for n in layer_group.attrs.get("weight_names", [])]
        arrays = []
        for n in names:
            if n not in layer_group:
                raise ValueError(f"{budget.source}: layer {layer_name!r} lists the weight "
                                 f"{n!r} but has no dataset of that name.")
            arrays.append((n, budget.read(layer_group[n], f"{layer_group.name}/{n}")))
        out[layer_name] = arrays
    return out


def assign_legacy(model, weights: dict, source: str,
                  skip_mismatch: bool = False) -> dict[str, Any]:
    """Set `model`'s weights from `read_legacy_weights` output, layer by layer *name*.

    Within a layer the arrays come in Keras's `layer.weights` order (as Keras
    loads them); shapes are checked. Every model layer with weights must be
    in the file and every file layer with weights in the model. With
    `skip_mismatch`, as Keras's by-name loader: a layer missing from the file or
    holding another number of weights keeps its values, and so does each weight of
    another shape, with a warning; the file's other layers are left alone.

    Returns `{weight name in the file: variable}` (for optimizer weights).
    """
    layers = [layer for layer in model.layers if not isinstance(layer, TensorOp)]
    by_name = {layer.name: layer for layer in layers}
    with_weights = {name for name, arrays in weights.items() if arrays}
    missing = [layer.name for layer in layers if layer.weights and layer.name not in with_weights]
    if missing and not skip_mismatch:
        raise ValueError(f"{source}: no weights for layer(s) {_listing(missing)} of model "
                         f"{model.name!r}; the file has weights for {_listing(sorted(with_weights))}.")
    for name in missing:
        _skip_warning(name, f"{source} has no weights for it.")
    extra = sorted(with_weights - set(by_name))
    if extra and not skip_mismatch:
        raise ValueError(f"{source}: the file has weights for layer(s) {_listing(extra)}, which "
                         f"model {model.name!r} does not have (its layers: "
                         f"{_listing(by_name)}).")
    names, pairs = {}, []
    for layer_name in sorted(with_weights & set(by_name)):
        layer = by_name[layer_name]
        variables = keras_weight_order(layer)
        arrays = weights[layer_name]
        if len(arrays) != len(variables):
            problem = (
                f"{source}: layer {layer_name!r} has {len(variables)} weights "
                f"({', '.join(v.path for v in variables)}), but the file holds {len(arrays)} "
                f"({', '.join(n for n, _ in arrays)}).")
            if not skip_mismatch:
                raise ValueError(problem)
            _skip_warning(layer_name, problem)
            continue
        for variable, (weight_name, value) in zip(variables, arrays):
            if tuple(value.shape) != tuple(variable.shape):
                problem = (
                    f"{source}: weight {variable.path} of layer {layer_name!r} has shape "
                    f"{tuple(variable.shape)}, but the file's {weight_name!r} has shape "
                    f"{tuple(value.shape)}.")
                if not skip_mismatch:
                    raise ValueError(problem)
                warnings.warn(f"load_weights(skip_mismatch=True): skipping weight "
                              f"{variable.path}, which keeps its value: {problem}",
                              stacklevel=3)
                continue
            pairs.append((variable, value))
            names[weight_name] = variable
    for variable, value in pairs:
        variable.assign(value.astype(variable.dtype))
    return names


def describe(f) -> str:
    """What an HDF5 file looks like, for errors about files of no known kind."""
    keys = sorted(f.keys())[:8]
    attrs = sorted(f.attrs.keys())[:8]
    return f"an HDF5 file with groups {keys} and attributes {attrs}"


def legacy_json_attr(f, name: str, source: str):
    """A JSON attribute of a legacy file (`model_config`, `training_config`), parsed with
    the depth-limited loader."""
    from hoarfrost.saving.validation import loads_json
    value = f.attrs.get(name)
    if value is None:
        return None
    return loads_json(_text(value), f"{source}, attribute {name}")
