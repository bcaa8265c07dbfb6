"""hoarfrost's extra members of a Keras 3 `.keras` file, which Keras ignores.

`hoarfrost/state.json`: every layer's and variable's trainable flag (by
Keras's structural paths, `layers/dense`, `layers/dense/vars/0`), hoarfrost's
compile settings and optimizer config; `hoarfrost/optimizer.safetensors`:
every variable's own slots (also the frozen ones', which Keras's layout has
no place for), the step count and the optimizer's own state (a
LossScaleOptimizer's scale and counter); `hoarfrost/lora.safetensors`: the
unmerged base weights and adapters of LoRA layers. Written by `extras` and
`lora_extras`, read back (everything checked before anything is set) by
`keras_archive`.
"""

from __future__ import annotations

import os

import jax
import jax.numpy as jnp
import numpy as np

from hoarfrost.host import to_host
from hoarfrost.object_registration import builtin_class
from hoarfrost.optimizers import OptimizerState
from hoarfrost.saving import adapters, compile_settings, h5_format, tensor_file, training_state
from hoarfrost.saving import archive as archives
from hoarfrost.saving import validation

FORMAT = "hoarfrost.keras"
FORMAT_VERSION = 2
STATE = "hoarfrost/state.json"
SLOTS = "hoarfrost/optimizer.safetensors"
LORA = "hoarfrost/lora.safetensors"


def layer_paths(model) -> dict[str, object]:
    """Each layer by its Keras weight-group path (`layers/dense`), the model as ""."""
    layer_class = builtin_class("Layer")
    return {path[:-len("vars")].rstrip("/"): obj
            for path, (_, _, obj) in h5_format.weight_groups(model).items()
            if isinstance(obj, layer_class)}


def variable_paths(model) -> dict[str, object]:
    """Each variable by its Keras path (`layers/dense/vars/0`); a LoRA adapter, which
    Keras's layout lacks, numbered after its layer's Keras weights."""
    out = {}
    for path, (_, variables, obj) in h5_format.weight_groups(model).items():
        adapters = [] if isinstance(obj, h5_format._Cell) else \
            h5_format.hoarfrost_only_variables(obj)
        for i, v in enumerate(list(variables) + adapters):
            out[f"{path}/{i}"] = v
    return out


def lora_extras(model) -> bytes | None:
    """`hoarfrost/lora.safetensors`: the exact base weights and adapters of every LoRA
    layer (Keras's layout holds them merged), by `variable_paths`; None without LoRA."""
    by_id = {id(v): p for p, v in variable_paths(model).items()}
    tensors = {}
    for _, variables, obj in h5_format.weight_groups(model).values():
        adapters = [] if isinstance(obj, h5_format._Cell) else \
            h5_format.hoarfrost_only_variables(obj)
        if not adapters:
            continue
        merged = obj._keras_saved_values()
        for variable in [v for v in variables if id(v) in merged] + adapters:
            tensors[by_id[id(variable)]] = to_host(variable.value)
    return tensor_file.dumps(tensors) if tensors else None


def checked_lora(model, tensors: dict, where: str) -> list:
    """`[(variable, value)]` from `hoarfrost/lora.safetensors`, each path found in the
    model with the same shape and dtype, before any is assigned."""
    variables = variable_paths(model)
    pairs = []
    for path, value in tensors.items():
        variable = variables.get(path)
        if variable is None:
            raise ValueError(f"{where}: LoRA weights for {path!r}, which model "
                             f"{model.name!r} does not have.")
        if tuple(value.shape) != tuple(variable.shape) or value.dtype != variable.dtype:
            raise ValueError(f"{where}: {path!r} ({variable.path}) holds {value.dtype}"
                             f"{list(value.shape)}, but the model's variable is "
                             f"{variable.dtype}{list(variable.shape)}.")
        pairs.append((variable, value))
    return pairs


def flags_state(model) -> dict:
    """`hoarfrost/state.json` without the optimizer's record: every trainable flag, the
    compile settings, the LoRA and int8 layers (what a legacy `.h5` file carries too)."""
    state = {"format": FORMAT, "version": FORMAT_VERSION,
             "layers": {p: layer.trainable for p, layer in layer_paths(model).items()},
             "variables": {p: v.trainable for p, v in variable_paths(model).items()},
             "compile_config": compile_settings.compile_config(model), "optimizer": None}
    adapted = adapters.adapted_layers(model)  # LoRA and int8 layers configs may not describe
    if adapted:
        state["adapted_layers"] = adapted
    return state


def extras(model) -> tuple[dict, bytes | None]:
    """(`hoarfrost/state.json`, `hoarfrost/optimizer.safetensors` or None) for `model`."""
    paths = variable_paths(model)
    state = flags_state(model)
    optimizer = getattr(model, "optimizer", None)
    record = training_state.optimizer_config(optimizer)  # config, multipliers, schedule
    if record is None:
        return state, None
    snapshot = optimizer.snapshot(list(paths.values()), copy=False)
    tensors = {"iterations": np.asarray(to_host(snapshot.iterations))}
    owners = []
    for path, slots in zip(paths, snapshot.slots):
        if slots is None:
            continue
        owners.append(path)
        for j, leaf in enumerate(jax.tree.leaves(slots)):
            tensors[f"{path}/{j}"] = to_host(leaf)
    for name, value in (snapshot.extra or {}).items():
        tensors[f"{validation.OWN_STATE}{name}"] = np.asarray(to_host(value))
    record["slots"] = owners
    state["optimizer"] = record
    return state, tensor_file.dumps(tensors)  # a SHA-256 per tensor, checked at load


def restore_flags(model, state: dict) -> None:
    layers = layer_paths(model)
    for path, flag in state.get("layers", {}).items():
        if path in layers:
            layers[path].set_trainable(bool(flag), recursive=False)
    variables = variable_paths(model)
    for path, flag in state.get("variables", {}).items():
        if path in variables and not variables[path].is_state:
            variables[path].trainable = bool(flag)


def slot_templates(optimizer, variables: list) -> list:
    """Per variable, the (leaves, treedef) of the slots `optimizer` makes for it: shapes
    and dtypes only, nothing created or compiled, the optimizer untouched."""
    return [jax.tree.flatten(optimizer.slot_spec(variable)) for variable in variables]


def checked_slots(optimizer, opt_state: dict, tensors: dict, variables: dict,
                   where: str) -> dict:
    """`{variable: slots}` from hoarfrost's extras, every owner found in the model and
    every slot checked (count, shape, dtype) against what `optimizer` keeps, before any
    is assigned."""
    owners = opt_state.get("slots", [])
    unknown = [path for path in owners if path not in variables]
    if unknown:
        raise ValueError(f"{where}: optimizer slots for {unknown[:4]}, which the model does "
                         f"not have (its variables: {list(variables)[:6]}...).")
    templates = slot_templates(optimizer, [variables[path] for path in owners])
    validation.check_optimizer_slots([leaves for leaves, _ in templates], tensors, owners,
                                     variables, where)
    return {variables[path]: jax.tree.unflatten(
                treedef, [jnp.asarray(tensors[f"{path}/{j}"]) for j in range(len(leaves))])
            for path, (leaves, treedef) in zip(owners, templates)}


def restore_own_slots(model, opt_state: dict, tensors: dict, filepath) -> None:
    optimizer = model.optimizer
    slots = checked_slots(optimizer, opt_state, tensors, variable_paths(model),
                           archives.member_label(os.fspath(filepath), SLOTS))
    optimizer.restore(OptimizerState(list(slots), list(slots.values()), jnp.asarray(
        tensors["iterations"], optimizer.iterations.dtype),
        saved_own_state(optimizer, tensors, archives.member_label(os.fspath(filepath), SLOTS))))


def saved_own_state(optimizer, tensors: dict, where: str) -> dict | None:
    """The optimizer's own state (a LossScaleOptimizer's scale and counter) from its
    tensors; None when the file has none (written before it was saved: left as is)."""
    saved = {name[len(validation.OWN_STATE):]: value for name, value in tensors.items()
             if name.startswith(validation.OWN_STATE)}
    if not saved:
        return None
    own = optimizer.snapshot([], copy=False).extra or {}
    if set(saved) != set(own):
        raise ValueError(f"{where}: the optimizer's own state holds {sorted(saved)}; "
                         f"{type(optimizer).__name__} keeps {sorted(own)}.")
    return {name: jnp.asarray(saved[name], own[name].dtype) for name in own}
