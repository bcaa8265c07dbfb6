"""hoarfrost's layers and models written in Keras 3's dialect (what a `.keras` file's
`config.json` holds): the wrapping, Keras's extra keys, the functional graph."""

from __future__ import annotations

import inspect
import json

import jax

from hoarfrost.layers.tensor_op import TensorOp
from hoarfrost.object_registration import builtin_class
from hoarfrost.saving import keras_ops
from hoarfrost.saving.keras_config.dialect import (_HOARFROST_ONLY, _KERAS_KEYS, _MODULES,
                                                   _PACKED_CALLS, _VARIANCE_SCALING)
from hoarfrost.saving.serialization import is_custom
from hoarfrost.symbolic import is_keras_tensor


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
    # id(tensor) -> [layer name, node index, tensor index]; Keras 3 numbers a nested
    # functional model's calls from 0 too.
    history = {key: list(value) for key, value in model._tensor_history().items()}

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
