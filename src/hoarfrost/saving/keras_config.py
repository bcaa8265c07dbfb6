"""Keras's config dialects, translated to and from hoarfrost's.

hoarfrost's layer configs already use Keras's argument names; what differs
is the wrapping and the graph:

- Keras 3 (`.keras` files, `to_json`): `module` / `registered_name` on every
  object, dtypes as `DTypePolicy` dicts, functional graphs as each layer's
  `inbound_nodes` with `keras_history` references, and operations on
  tensors (`x + y`, the `NotEqual` a masking Embedding adds) as entries of
  their own (hoarfrost's `TensorOp`).
- Keras 2 (tf_keras, legacy `.h5` files): `batch_input_shape`, `axis` as a
  list, `time_major`, graphs as `[[layer, node, tensor, kwargs], ...]`.

Keys Keras has and hoarfrost does not (`sparse`, initializer axes, ...) are
accepted at Keras's default value and refused, by name, otherwise: a setting
hoarfrost would ignore is an error. LoRA (`lora_rank`, `lora_alpha`) and int8
layers (`QuantizedDTypePolicy`, `quantization_config`) are read and written
as Keras 3 does; a LoRA layer's weights are saved merged (`h5_format`). Initializers,
regularizers and constraints (`{"module": "keras.constraints", "class_name":
"MaxNorm", "config": {...}}`) are Keras's objects on both sides, resolved by
name (built-in, registered or `custom_objects`) when the layer is made.
"""

from __future__ import annotations

import inspect
import json
import re

import jax

from hoarfrost.layers.tensor_op import TensorOp
from hoarfrost.object_registration import builtin_class, get_registered_object
from hoarfrost.saving import keras_ops
from hoarfrost.saving.serialization import is_custom
from hoarfrost.symbolic import is_keras_tensor

# Keys of Keras's layer configs that hoarfrost's layers lack, with the value hoarfrost
# behaves as (the only value accepted when reading; written so Keras sees its own keys).
_KERAS_ONLY = {
    "quantization_config": None, "sparse": False, "ragged": False, "optional": False,
    "time_major": False, "lora_rank": None, "lora_alpha": None, "synchronized": False,
    "renorm": False, "renorm_clipping": None, "input_axes": None, "output_axes": None,
}
# Keys whose value has no effect in hoarfrost (or given the keys above): any value.
# (Keras 3 drops Keras 2's `input_length` too: the input shape says it.)
_IGNORABLE = {"implementation", "renorm_momentum", "shared_object_id", "input_length"}
# Keys Keras writes per class that hoarfrost's configs lack (all at None unless listed).
_KERAS_KEYS = {
    "InputLayer": {"sparse": False, "ragged": False, "optional": False},
    "Dense": ("kernel_constraint", "bias_constraint", "quantization_config"),
    "Embedding": ("embeddings_constraint", "quantization_config"),
    "BatchNormalization": ("beta_constraint", "gamma_constraint"),
    "LayerNormalization": ("beta_constraint", "gamma_constraint"),
    "Conv1D": ("kernel_constraint", "bias_constraint"),
    "Conv2D": ("kernel_constraint", "bias_constraint"),
    "Conv2DTranspose": ("kernel_constraint", "bias_constraint"),
    "DepthwiseConv2D": ("depthwise_constraint", "bias_constraint"),
    "SeparableConv2D": ("depthwise_constraint", "pointwise_constraint", "bias_constraint"),
    "SimpleRNN": ("kernel_constraint", "recurrent_constraint", "bias_constraint"),
    "LSTM": ("kernel_constraint", "recurrent_constraint", "bias_constraint"),
    "GRU": ("kernel_constraint", "recurrent_constraint", "bias_constraint"),
}
# hoarfrost keys Keras's configs (and constructors) lack: dropped when at this value.
_HOARFROST_ONLY = {
    "Dense": {"activity_regularizer": None}, "SimpleRNN": {"seed": None},
    "SpatialDropout1D": {"trainable": True}, "SpatialDropout2D": {"trainable": True},
    "Discretization": {"trainable": True},
}
_VARIANCE_SCALING = {"GlorotUniform", "GlorotNormal", "HeUniform", "HeNormal", "LecunUniform",
                     "LecunNormal", "VarianceScaling"}
_MODULES = {"initializer": "keras.initializers", "regularizer": "keras.regularizers",
            "constraint": "keras.constraints"}
_MODELS = ("Functional", "Sequential", "Model")
# Layers whose graph node packs their call's tensors in one list (in this order); Keras
# records the first two as positional arguments and the others as keywords.
_PACKED_CALLS = {"MultiHeadAttention": ("query", "value", "key", "query_mask", "value_mask",
                                        "key_mask", "attention_mask")}


def _fail(where: str, message: str):
    raise ValueError(f"Keras config, {where}: {message}")


# --- detection ---------------------------------------------------------------------------
def is_keras_config(config: dict) -> bool:
    """Whether a serialized model is in a Keras dialect rather than hoarfrost's own."""
    if "module" in config:
        return True
    inner = config.get("config") or {}
    if "input_layers" in inner or "output_layers" in inner:
        return True
    return any(isinstance(c, dict) and ("inbound_nodes" in c or "module" in c
                                        or "batch_input_shape" in (c.get("config") or {}))
               for c in inner.get("layers", []))


# --- Keras -> hoarfrost ----------------------------------------------------------------------
def from_keras(config: dict, custom_objects: dict | None = None) -> dict:
    """A Keras 3 or Keras 2 serialized model or layer as hoarfrost's serialized form."""
    return _layer_from_keras(config, custom_objects, where="model")


def _resolve_class(class_name: str, registered: str | None, custom_objects):
    return (get_registered_object(class_name, custom_objects)
            or (registered and get_registered_object(registered, custom_objects))
            or builtin_class(class_name))


def _layer_from_keras(entry: dict, custom_objects, where: str) -> dict:
    class_name = entry.get("class_name")
    config = dict(entry.get("config") or {})
    name = config.get("name", class_name)
    where = f"layer {name!r} ({class_name})" if where == "model" or where.startswith("layer") \
        else where
    registered = entry.get("registered_name")
    if registered == class_name or (registered or "").startswith("keras"):
        registered = None
    if class_name in _MODELS and ("layers" in config):
        if class_name != "Sequential":
            class_name = "Functional"
        translated = (_sequential_from_keras if class_name == "Sequential"
                      else _functional_from_keras)(config, custom_objects, where)
        out = {"class_name": class_name, "registered_name": registered, "config": translated}
        build = entry.get("build_config") or {}
        shape = build.get("input_shape") or config.get("build_input_shape")
        if shape is not None:
            out["build_config"] = {"input_shape": shape}
        return out
    cls = _resolve_class(class_name, registered, custom_objects)
    out_config = {}
    accepted = _accepted_arguments(cls) if cls is not None else None
    if accepted is not None and _quantizable(cls):
        accepted.add("quantization_config")  # read by the layer from its **kwargs
    for key, value in config.items():
        value = _value_from_keras(key, value, custom_objects, f"{where}, argument {key!r}")
        if class_name == "InputLayer" and key == "batch_input_shape":
            key = "batch_shape"
        if class_name in ("BatchNormalization",) and key == "axis" and isinstance(value, list):
            if len(value) != 1:
                _fail(where, f"axis={value}; hoarfrost's BatchNormalization takes one axis.")
            value = value[0]
        if accepted is not None and key not in accepted:
            if key in _IGNORABLE:
                continue
            default = _KERAS_ONLY.get(key, None if key.endswith("_constraint") else ...)
            if default is ... and key in ("seed", "activity_regularizer"):
                default = None
            if default is ...:
                _fail(where, f"argument {key!r}={_short(value)} is not supported by hoarfrost's "
                      f"{class_name}.")
            if value != default:
                _fail(where, f"{key}={_short(value)} is not supported by hoarfrost (only "
                      f"{key}={_short(default)}).")
            continue
        out_config[key] = value
    out = {"class_name": class_name, "registered_name": registered, "config": out_config}
    if entry.get("build_config") is not None:  # a custom layer builds from it (Keras)
        out["build_config"] = entry["build_config"]
    return out


def _quantizable(cls) -> bool:
    from hoarfrost.layers.quantized import QuantizedMixin
    return isinstance(cls, type) and issubclass(cls, QuantizedMixin)


def _short(value) -> str:
    text = json.dumps(value)
    return text if len(text) < 60 else text[:57] + "..."


def _accepted_arguments(cls) -> set[str] | None:
    """The keyword arguments `cls(...)` takes, following `**kwargs` up the bases."""
    names: set[str] = set()
    layer = builtin_class("Layer")
    for klass in cls.__mro__:
        init = klass.__dict__.get("__init__")
        if init is None or (isinstance(cls, type) and issubclass(cls, layer)
                            and not issubclass(klass, layer)):
            continue  # a mixin beside Layer (a Model's Trainer) takes no config arguments
        try:
            params = inspect.signature(init).parameters
        except (TypeError, ValueError):
            return None
        names |= {n for n, p in params.items()
                  if p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL) and n != "self"}
        if not any(p.kind is p.VAR_KEYWORD for p in params.values()):
            return names
        if klass.__name__ == "Layer" and klass.__module__ == "hoarfrost.layers.layer":
            return names
    return None  # **kwargs all the way up: let the class decide


def _dtype_from_keras(value, where: str):
    if isinstance(value, dict) and value.get("class_name") == "QuantizedDTypePolicy":
        inner = value.get("config") or {}
        mode, source = inner.get("mode"), inner.get("source_name")
        if not (isinstance(mode, str) and isinstance(source, str)):
            _fail(where, f"dtype policy {_short(value)} is not supported.")
        from hoarfrost import quantizers
        try:
            quantizers.parse_dtype(f"{mode}_from_{source}")
        except (ValueError, NotImplementedError) as exc:
            _fail(where, str(exc))
        return f"{mode}_from_{source}"
    if isinstance(value, dict):
        name = (value.get("config") or {}).get("name")
        if value.get("class_name") not in ("DTypePolicy", "Policy", "FloatDTypePolicy") \
                or not isinstance(name, str):
            _fail(where, f"dtype policy {value.get('class_name')!r} ({_short(value)}) is not "
                  "supported.")
        value = name  # "mixed_bfloat16" and "mixed_float16" included (dtype_policies)
    return value


def _value_from_keras(key: str, value, custom_objects, where: str):
    if key == "dtype":
        return _dtype_from_keras(value, where)
    if key == "quantization_config" and value is not None:
        from hoarfrost import quantizers
        try:
            quantizers.deserialize(value, custom_objects)
        except (ValueError, TypeError, NotImplementedError) as exc:
            _fail(where, f"quantization_config={_short(value)}: {exc}")
    if isinstance(value, dict) and "class_name" in value and "config" in value:
        if key in ("layer", "backward_layer"):
            return _layer_from_keras(value, custom_objects, where="layer")
        return _object_from_keras(value, where)
    return value


def _object_from_keras(value: dict, where: str) -> dict:
    """An initializer / regularizer / constraint / schedule dict without Keras's wrapping."""
    if not isinstance(value.get("config"), dict):
        return value  # a function reference (Lambda's), read in Keras's form
    config = dict(value.get("config") or {})
    for key in ("input_axes", "output_axes"):
        if key in config:
            if config.pop(key) is not None:
                _fail(where, f"{value['class_name']} with {key} is not supported by hoarfrost.")
    out = {"class_name": value["class_name"], "config": config}
    registered = value.get("registered_name")
    if registered and registered != value["class_name"]:
        out["registered_name"] = registered
    return out


def _sequential_from_keras(config: dict, custom_objects, where: str) -> dict:
    layers = [_layer_from_keras(c, custom_objects, where="layer") for c in config["layers"]]
    return {"name": config.get("name"), "trainable": config.get("trainable", True),
            "layers": layers}


def _is_history(value) -> bool:
    return (isinstance(value, list) and len(value) == 3 and isinstance(value[0], str)
            and isinstance(value[1], int) and isinstance(value[2], int))


def _is_keras_tensor(value) -> bool:
    return isinstance(value, dict) and value.get("class_name") == "__keras_tensor__"


def _is_op(entry: dict) -> bool:
    """A Keras operation (`x + y`, `ops.not_equal`): its module says so, or (legacy files,
    without modules) it has none of a layer's keys and no hoarfrost layer has its name."""
    module = entry.get("module")
    if module is not None:
        return str(module).startswith("keras.src.ops")
    registered = entry.get("registered_name")
    if registered and not str(registered).startswith("keras"):
        return False  # a custom layer (Keras names each by its registered name)
    config = entry.get("config") or {}
    return "trainable" not in config and (
        builtin_class(str(entry.get("class_name"))) is None or set(config) == {"name"})


def _functional_from_keras(config: dict, custom_objects, where: str) -> dict:
    """Keras's per-layer `inbound_nodes` as hoarfrost's ordered node list."""
    entries = config["layers"]
    by_name = {e.get("name") or e["config"]["name"]: e for e in entries}
    keras2 = any(isinstance(n, list) for e in entries for n in e.get("inbound_nodes", []))
    layers, pending = [], []
    for entry in entries:
        name = entry.get("name") or entry["config"]["name"]
        # Keras 2 counts a nested functional model's own node first; Keras 3 does not.
        offset = 1 if (entry.get("class_name") in ("Functional", "Model")
                       and "layers" in (entry.get("config") or {}) and keras2) else 0
        if _is_op(entry):
            layers.append(None)  # made below, with its arguments
        else:
            layer_entry = _layer_from_keras(entry, custom_objects, where="layer")
            layer_entry["name"] = name  # Keras keeps it beside a get_config() without one
            layers.append(layer_entry)
        nodes = entry.get("inbound_nodes") or []
        if entry.get("class_name") == "InputLayer":
            pending.append((name, 0, entry, None, len(layers) - 1))
        for k, node in enumerate(nodes):
            pending.append((name, k + offset, entry, node, len(layers) - 1))
    masks = _automatic_masks(entries, by_name)
    produced: dict[tuple[str, int], int] = {}
    hf_nodes: list[dict] = []
    op_layers: dict[int, dict] = {}
    while pending:
        progress = False
        for item in list(pending):
            name, index, entry, node, layer_pos = item
            if node is None:  # an input layer
                produced[(name, index)] = len(hf_nodes)
                hf_nodes.append({"layer": name, "inputs": [], "kwargs": {}})
                pending.remove(item)
                progress = True
                continue
            args, kwargs = _node_arguments(node, keras2)
            refs = _tensor_refs((args, kwargs))
            if not all((h[0], h[1]) in produced for h in refs):
                continue
            ref = lambda h: {"ref": [produced[(h[0], h[1])], h[2]]}  # noqa: E731
            node_where = f"{where}, the call of {name!r}"
            if _is_op(entry):
                op = keras_ops.op_name(entry["class_name"], entry.get("module"))
                args, kwargs = keras_ops.call_arguments(entry["class_name"], entry.get("module"),
                                                        op, args, kwargs)
                tensors: list = []
                arguments = [_encode_op_args(args, tensors, produced),
                             {"__dict__": {**{k: v for k, v in entry["config"].items()
                                              if k != "name"},
                                           **_encode_op_args(kwargs, tensors, produced)}}]
                layer_name = name if index == 0 else f"{name}_call_{index}"
                op_layers[len(hf_nodes)] = {
                    "class_name": "TensorOp", "registered_name": None,
                    "config": {"name": layer_name, "op": op,
                               "arguments": arguments}}
                hf_nodes.append({"layer": layer_name, "inputs": [ref(h) for h in tensors],
                                 "kwargs": {}})
            else:
                kwargs = dict(kwargs)
                kwargs.pop("training", None)  # Keras passes the model's training flag instead
                pack = getattr(builtin_class(entry.get("class_name", "")),
                               "keras_call_arguments", None)
                if pack is not None:  # a layer taking several tensors (attention)
                    args, kwargs = pack(args, kwargs)
                mask = kwargs.pop("mask", None)
                if mask is not None and not _mask_is_automatic(mask, masks):
                    _fail(node_where, "an explicit `mask` tensor argument is not supported "
                          "(hoarfrost propagates masks from the layers that make them).")
                if not args or not _tensor_refs(args[0]):
                    _fail(node_where, f"its input {_short(args[0] if args else None)} holds "
                          "no tensor (a `keras_history` reference to a layer's output).")
                node = {"layer": name, "inputs": _map_tensors(args[0], ref),
                        "kwargs": _map_tensors(kwargs, ref)}  # `value=` of an attention
                if len(args) > 1:  # further tensors, as MultiHeadAttention's (query, value)
                    node["args"] = _map_tensors(list(args[1:]), ref)
                hf_nodes.append(node)
            produced[(name, index)] = len(hf_nodes) - 1
            pending.remove(item)
            progress = True
        if not progress:
            missing = sorted({name for name, *_ in pending})
            _fail(where, f"the graph is disconnected: the calls of {missing} need tensors no "
                  "other layer makes.")
    out_layers = [layer for layer in layers if layer is not None] + list(op_layers.values())

    def io_refs(spec):
        if _is_history(spec):
            return {"ref": [produced[(spec[0], spec[1])], spec[2]]}
        if isinstance(spec, dict):
            return {k: io_refs(v) for k, v in spec.items()}
        refs = [io_refs(s) for s in spec]
        return refs[0] if keras2 and len(refs) == 1 else refs

    return {"name": config.get("name"), "trainable": config.get("trainable", True),
            "layers": out_layers, "nodes": hf_nodes,
            "inputs": io_refs(config["input_layers"]),
            "outputs": io_refs(config["output_layers"])}


def _node_arguments(node, keras2: bool) -> tuple[list, dict]:
    """A Keras node's (args, kwargs), tensors as `keras_history` lists."""
    if keras2:  # [[layer, node, tensor, kwargs], ...]: one tensor, or a list of them
        tensors = [entry[:3] for entry in node]
        kwargs = {}
        for entry in node:
            if len(entry) > 3 and entry[3]:
                kwargs.update(entry[3])
        return [tensors[0] if len(tensors) == 1 else tensors], _unwrap(kwargs)
    return _unwrap(node.get("args", [])), _unwrap(node.get("kwargs", {}))


def _unwrap(value):
    """Keras 3's node arguments with each `__keras_tensor__` replaced by its history."""
    if _is_keras_tensor(value):
        return list(value["config"]["keras_history"])
    if isinstance(value, dict):
        return {k: _unwrap(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_unwrap(v) for v in value]
    return value


def _tensor_refs(value) -> list:
    if _is_history(value):
        return [value]
    if isinstance(value, dict):
        return [r for v in value.values() for r in _tensor_refs(v)]
    if isinstance(value, (list, tuple)):
        return [r for v in value for r in _tensor_refs(v)]
    return []


def _map_tensors(value, fn):
    if _is_history(value):
        return fn(value)
    if isinstance(value, dict):
        return {k: _map_tensors(v, fn) for k, v in value.items()}
    if isinstance(value, list):
        return [_map_tensors(v, fn) for v in value]
    return value


def _encode_op_args(value, tensors: list, produced):
    """Keras operation arguments in TensorOp's JSON (tensors by position)."""
    if _is_history(value):
        tensors.append(value)
        return {"__tensor__": len(tensors) - 1}
    if isinstance(value, list):
        return [_encode_op_args(v, tensors, produced) for v in value]
    if isinstance(value, dict):
        kind = value.get("class_name")
        if kind == "__slice__":
            c = value["config"]
            return {"__slice__": [_encode_op_args(c.get(k), tensors, produced)
                                  for k in ("start", "stop", "step")]}
        if kind == "__ellipsis__":
            return {"__ellipsis__": True}
        if kind in ("__numpy__", "__tensor__"):  # a constant array (numpy's, a backend's)
            return {"__array__": value["config"]["value"], "dtype": value["config"]["dtype"]}
        if kind is not None:
            raise ValueError(f"Keras config: operation argument {_short(value)} is not "
                             "supported.")
        return {k: _encode_op_args(v, tensors, produced) for k, v in value.items()}
    return value


def _automatic_masks(entries, by_name) -> set[tuple]:
    """The `NotEqual(x, 0)` tensors Keras records as the mask of a masking Embedding on `x`:
    masks hoarfrost propagates by itself."""
    embedding_inputs = set()
    for entry in entries:
        if entry.get("class_name") == "Embedding" and (entry.get("config") or {}).get("mask_zero"):
            for node in entry.get("inbound_nodes") or []:
                if isinstance(node, dict):
                    for h in _tensor_refs(_unwrap(node.get("args", []))):
                        embedding_inputs.add(tuple(h))
    masks = set()
    for entry in entries:
        if entry.get("class_name") == "NotEqual" and _is_op(entry):
            for k, node in enumerate(entry.get("inbound_nodes") or []):
                args = _unwrap(node.get("args", []))
                if len(args) == 2 and _is_history(args[0]) and args[1] == 0 \
                        and tuple(args[0]) in embedding_inputs:
                    masks.add((entry.get("name") or entry["config"]["name"], k, 0))
    return masks


def _mask_is_automatic(mask, masks: set) -> bool:
    return _is_history(mask) and tuple(mask) in masks


# --- hoarfrost -> Keras 3 ------------------------------------------------------------------
def to_keras(model) -> dict:
    """`model` serialized in Keras 3's dialect (what Keras's `config.json` holds)."""
    entry = _layer_to_keras(model)
    build_shape = getattr(model, "_build_shapes_dict", None)
    entry["build_config"] = {"input_shape": None if type(model).__name__ == "Functional"
                             else _jsonable(build_shape)}
    return entry


def _jsonable(tree):
    if isinstance(tree, (list, tuple)):
        return [_jsonable(t) for t in tree]
    return tree


def _layer_to_keras(layer) -> dict:
    class_name = type(layer).__name__
    registered = getattr(type(layer), "_registered_name", None)
    if isinstance(layer, builtin_class("Functional")):
        return {"module": "keras.src.models.functional", "class_name": "Functional",
                "config": _functional_to_keras(layer), "registered_name": "Functional",
                "build_config": {"input_shape": None}, "compile_config": {}}
    if isinstance(layer, builtin_class("Sequential")):
        config = {"name": layer.name, "trainable": layer.trainable,
                  "dtype": _policy(layer.dtype_policy),
                  "layers": [_with_build_config(_layer_to_keras(sub), sub) for sub in
                             ([layer._input_layer] if layer._input_layer is not None else [])
                             + list(layer.layers)]}
        shape = _jsonable(layer._build_shapes_dict) if layer.built else None
        if shape is not None:
            config["build_input_shape"] = shape
        return {"module": "keras", "class_name": "Sequential", "config": config,
                "registered_name": None, "build_config": {"input_shape": shape},
                "compile_config": {}}
    if isinstance(layer, TensorOp):
        raise TypeError("TensorOps are written as graph operations, not layers.")
    if registered is None and is_custom(layer):
        registered = class_name  # Keras: a custom class is found again by its name
    return _config_to_keras(class_name, registered, dict(layer.get_config()))


def _config_to_keras(class_name: str, registered, config: dict) -> dict:
    """One layer's `get_config()` in Keras 3's wrapping and keys."""
    for key, value in _HOARFROST_ONLY.get(class_name, {}).items():
        if key in config and config[key] == value:
            del config[key]
    out = {}
    for key, value in config.items():
        if key == "dtype" and class_name != "InputLayer":
            value = _policy(value)
        elif key in ("layer", "backward_layer", "cell") and isinstance(value, dict):
            value = _config_to_keras(value["class_name"], value.get("registered_name"),
                                     dict(value["config"]))
        elif key == "cells" and isinstance(value, list):  # StackedRNNCells'
            value = [_config_to_keras(cell["class_name"], cell.get("registered_name"),
                                      dict(cell["config"])) for cell in value]
        elif isinstance(value, dict) and "class_name" in value:
            value = _object_to_keras(key, value)
        out[key] = value
    extra = _KERAS_KEYS.get(class_name, ())
    for key, value in (extra.items() if isinstance(extra, dict) else ((k, None) for k in extra)):
        out.setdefault(key, value)
    module = "keras.layers" if registered is None else None
    return {"module": module, "class_name": class_name, "config": out,
            "registered_name": registered}


def _policy(dtype) -> dict:
    if isinstance(dtype, dict):  # a layer config's policy, already in Keras's form
        return dtype
    name = str(getattr(dtype, "name", dtype))  # a DTypePolicy, or a dtype's name
    mode, _, source = name.partition("_from_")
    if source:  # an int8 layer's "int8_from_float32"
        return {"module": "keras.dtype_policies", "class_name": "QuantizedDTypePolicy",
                "config": {"mode": mode, "source_name": source}, "registered_name": None}
    return {"module": "keras", "class_name": "DTypePolicy", "config": {"name": name},
            "registered_name": None}


def _object_to_keras(key: str, value: dict) -> dict:
    if "module" in value or not isinstance(value.get("config"), dict):
        return value  # already in Keras's form (a Lambda's function)
    kind = next((k for k in _MODULES if key.endswith(k)), None)
    config = dict(value.get("config") or {})
    if value["class_name"] in _VARIANCE_SCALING:
        config.setdefault("input_axes", None)
        config.setdefault("output_axes", None)
    return {"module": _MODULES.get(kind, value.get("module")), "class_name": value["class_name"],
            "config": config, "registered_name": value.get("registered_name")}


def _functional_to_keras(model) -> dict:
    own = {id(node) for node in model._nodes}
    history: dict[int, list] = {}  # id(tensor) -> [layer name, node index, tensor index]
    node_index: dict[int, int] = {}
    for layer in model._layers:  # the graph's operations too
        kept = 0  # Keras 3 numbers a nested functional model's calls from 0 too
        for node in layer._inbound_nodes:
            if id(node) in own:
                node_index[id(node)] = kept
                kept += 1
    for node in model._nodes:
        for j, tensor in enumerate(node.output_tensors):
            history[id(tensor)] = [node.layer.name, node_index[id(node)], j]

    def keras_tensor(tensor):
        return {"class_name": "__keras_tensor__",
                "config": {"shape": list(tensor.shape), "dtype": tensor.dtype.name,
                           "keras_history": history[id(tensor)]}}

    def tensor_or_value(leaf):  # a call's other arguments (use_causal_mask=True) as given
        return keras_tensor(leaf) if is_keras_tensor(leaf) else leaf

    entries = []
    for layer in model._layers:  # the graph's operations too
        nodes = [node for node in layer._inbound_nodes if id(node) in own]
        if isinstance(layer, TensorOp):
            args, kwargs = layer.arguments
            # Keras builds the operation from its config and passes the rest to its call
            args, call_kwargs, op_config = keras_ops.keras_call(
                layer.op, args, kwargs.get("__dict__", kwargs), _holds_tensor)
            inbound = []
            for node in nodes:
                tensors = [keras_tensor(t) for t in node.input_tensors]
                inbound.append({"args": _op_args_to_keras(args, tensors),
                                "kwargs": _op_args_to_keras(call_kwargs, tensors)})
            entry = {"module": keras_ops.op_module(layer.op), "class_name": keras_ops.op_class(layer.op),
                     "config": {"name": layer.name,
                                **{k: _op_args_to_keras(v, []) for k, v in op_config.items()}},
                     "registered_name": None}
        else:
            entry = _with_build_config(_layer_to_keras(layer), layer)
            inbound = []
            for node in nodes:
                if type(layer).__name__ == "InputLayer":
                    continue
                args, kwargs = [node.inputs, *node.args], dict(node.kwargs)
                packed = _PACKED_CALLS.get(type(layer).__name__)
                if packed and isinstance(node.inputs, (list, tuple)):  # Keras's call
                    given = dict(zip(packed, node.inputs))
                    args = [given.pop(packed[0]), given.pop(packed[1])]
                    kwargs.update({k: v for k, v in given.items() if v is not None})
                inbound.append({"args": jax.tree.map(tensor_or_value, args,
                                                     is_leaf=is_keras_tensor),
                                "kwargs": jax.tree.map(tensor_or_value, kwargs,
                                                       is_leaf=is_keras_tensor)})
        entry["name"] = layer.name
        entry["inbound_nodes"] = inbound
        entries.append(entry)

    def io(tree):
        return jax.tree.map(lambda t: history[id(t)], tree, is_leaf=is_keras_tensor)

    return {"name": model.name, "trainable": model.trainable, "layers": entries,
            "input_layers": io(model._inputs_struct), "output_layers": io(model._outputs_struct)}


def _with_build_config(entry: dict, layer) -> dict:
    """Keras's `build_config` of a built layer (models have their own); a custom
    layer's is its `get_build_config()`, as Keras saves it."""
    if "build_config" not in entry and is_custom(layer) and layer.built:
        build_config = layer.get_build_config()
        if build_config is not None:
            entry["build_config"] = json.loads(json.dumps(build_config))
        return entry
    if ("build_config" not in entry and layer.built and type(layer).__name__ != "InputLayer"
            and layer._build_shapes_dict is not None):
        shapes = _jsonable(layer._build_shapes_dict)
        names = [name for name in inspect.signature(type(layer).build).parameters
                 if name.endswith("_shape")]
        given = {}
        if len(names) > 1 and isinstance(shapes, list) and any(
                isinstance(s, list) for s in shapes) and all(
                s is None or isinstance(s, list) for s in shapes):
            given = {name: shape for name, shape in zip(names, shapes) if shape is not None}
        if len(given) > 1:  # Keras: build(query_shape, value_shape) gets a shapes_dict
            entry["build_config"] = {"shapes_dict": given}
        else:
            entry["build_config"] = {"input_shape": shapes}
    return entry


def _holds_tensor(value) -> bool:
    """Whether TensorOp's JSON `value` refers to a tensor."""
    if isinstance(value, list):
        return any(_holds_tensor(v) for v in value)
    if isinstance(value, dict):
        return "__tensor__" in value or any(_holds_tensor(v) for v in value.values())
    return False


def _op_args_to_keras(value, tensors: list):
    """TensorOp's JSON arguments with tensors as Keras's `__keras_tensor__` dicts."""
    if isinstance(value, list):
        return [_op_args_to_keras(v, tensors) for v in value]
    if isinstance(value, dict):
        if "__tensor__" in value:
            return tensors[value["__tensor__"]]
        if "__slice__" in value:
            start, stop, step = (_op_args_to_keras(v, tensors) for v in value["__slice__"])
            return {"class_name": "__slice__",
                    "config": {"start": start, "stop": stop, "step": step}}
        if "__ellipsis__" in value:
            return {"class_name": "__ellipsis__", "config": {}}
        if "__array__" in value:
            return {"class_name": "__numpy__",
                    "config": {"value": value["__array__"], "dtype": value["dtype"]}}
        if "__dict__" in value:
            return {k: _op_args_to_keras(v, tensors) for k, v in value["__dict__"].items()}
        if "__dtype__" in value:
            return value["__dtype__"]
    return value


# --- compile settings ---------------------------------------------------------------------
def optimizer_from_keras(config: dict, where: str = "optimizer") -> dict:
    """A Keras optimizer config as hoarfrost's `{"class_name", "config"}`."""
    class_name = config.get("class_name")
    if isinstance(class_name, str) and class_name.startswith("Custom>"):
        class_name = class_name[len("Custom>"):]  # tf_keras registers its optimizers so
    if class_name == "LossScaleOptimizerV3":  # tf_keras's name of Keras 3's wrapper
        class_name = "LossScaleOptimizer"
    inner = dict(config.get("config") or {})
    out = {}
    for key, value in inner.items():
        if key in _KERAS_ONLY:
            if value != _KERAS_ONLY[key]:
                _fail(where, f"{class_name}'s {key}={_short(value)} is not supported by "
                      f"hoarfrost (only {key}={_short(_KERAS_ONLY[key])}).")
            continue
        if key in _IGNORABLE:
            continue
        if key in ("is_legacy_optimizer", "jit_compile", "decay") and not value:
            continue
        if key == "inner_optimizer" and isinstance(value, dict):
            value = optimizer_from_keras(value, where)
        elif isinstance(value, dict) and "class_name" in value:
            value = _object_from_keras(value, where)
        out[key] = value
    if isinstance(out.get("name"), str):
        out["name"] = re.sub(r"_\d+$", "", out["name"]).lower()
    return {"class_name": class_name, "config": out}


def optimizer_to_keras(serialized: dict) -> dict:
    config = dict(serialized["config"])
    if serialized["class_name"] == "LossScaleOptimizer":  # no base arguments, as Keras's
        config["inner_optimizer"] = optimizer_to_keras(config["inner_optimizer"])
        return {"module": "keras.optimizers", "class_name": "LossScaleOptimizer",
                "config": config, "registered_name": None}
    for key, default in (("use_ema", False), ("ema_momentum", 0.99),
                         ("ema_overwrite_frequency", None), ("loss_scale_factor", None),
                         ("gradient_accumulation_steps", None)):
        config.setdefault(key, default)
    if isinstance(config.get("learning_rate"), dict):
        schedule = dict(config["learning_rate"])
        schedule["module"] = "keras.optimizers.schedules"
        config["learning_rate"] = schedule
    return {"module": "keras.optimizers", "class_name": serialized["class_name"],
            "config": config, "registered_name": None}


def identifier_to_keras(value, module: str):
    """A loss/metric identifier (a name, or `{"class_name", "config"}`) for Keras."""
    if isinstance(value, dict) and "class_name" in value:
        return {"module": module, "class_name": value["class_name"],
                "config": value.get("config", {}), "registered_name": None}
    if isinstance(value, dict) and "custom" in value:
        return value["custom"]
    if isinstance(value, list):
        return [identifier_to_keras(v, module) for v in value]
    if isinstance(value, dict):
        return {k: identifier_to_keras(v, module) for k, v in value.items()}
    return value


def identifier_from_keras(value):
    """A loss/metric identifier from Keras's compile config, unwrapped."""
    if isinstance(value, dict) and value.get("class_name") == "MeanMetricWrapper":
        return (value.get("config") or {}).get("name")  # tf_keras's form of "mae", ...
    if isinstance(value, dict) and "class_name" in value and "config" in value:
        return {"class_name": value["class_name"], "config": value["config"]}
    if isinstance(value, list):
        return [identifier_from_keras(v) for v in value]
    if isinstance(value, dict):
        return {k: identifier_from_keras(v) for k, v in value.items()}
    return value


def compile_to_keras(model, hoarfrost_compile: dict, optimizer: dict | None) -> dict:
    spe = hoarfrost_compile.get("steps_per_execution")
    return {"optimizer": optimizer,
            "loss": identifier_to_keras(hoarfrost_compile.get("loss"), "keras.losses"),
            "loss_weights": hoarfrost_compile.get("loss_weights"),
            "metrics": identifier_to_keras(hoarfrost_compile.get("metrics"), "keras.metrics"),
            "weighted_metrics": identifier_to_keras(hoarfrost_compile.get("weighted_metrics"),
                                                    "keras.metrics"),
            "run_eagerly": False, "steps_per_execution": spe if isinstance(spe, int) else 1,
            "jit_compile": True}


def compile_from_keras(config: dict, where: str) -> tuple[dict, dict | None]:
    """Keras's compile config as (hoarfrost's compile config, optimizer config or None)."""
    optimizer = config.get("optimizer") or config.get("optimizer_config")
    if isinstance(optimizer, str):
        optimizer = {"class_name": optimizer, "config": {}}
    # run_eagerly / jit_compile are execution modes: hoarfrost always compiles its steps.
    spe = config.get("steps_per_execution", 1)
    out = {"loss": identifier_from_keras(config.get("loss")),
           "metrics": identifier_from_keras(config.get("metrics")) or [],
           "weighted_metrics": identifier_from_keras(config.get("weighted_metrics")),
           "loss_weights": config.get("loss_weights"),
           "steps_per_execution": spe if isinstance(spe, int) and spe > 1 else "auto"}
    opt = None
    if optimizer is not None:
        opt = optimizer_from_keras(optimizer, f"{where}, optimizer")
    return out, opt

