"""Keras 3 and Keras 2 (tf_keras) configs read as hoarfrost's serialized form: layers,
Sequential and functional models (`inbound_nodes`, operations on tensors as `TensorOp`s)."""

from __future__ import annotations

import inspect

from hoarfrost.object_registration import builtin_class, get_registered_object
from hoarfrost.saving import keras_ops
from hoarfrost.saving.keras_config.dialect import (_fail, _IGNORABLE, _KERAS_ONLY, _MODELS,
                                                   _object_from_keras, _short)


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
