"""A model's training state in hoarfrost's first `.keras` format (format 1): trainable
flags, weights, optimizer state.

`trainability` and `optimizer_config` give what hoarfrost's files record
besides the weights; `restore` is the one reader of format 1, used by
`load_model` and by `BackupAndRestore`:
it checks everything a file holds against the model, then changes the model
(weights, flags, optimizer slots and step count) only once nothing can fail.

The optimizer's slots are stored per weight: `"<weight index>/<leaf index>"`
(leaves in `jax.tree.leaves` order of the variable's slots) and
`"iterations"`; `state.json` lists the weights that own slots.
"""

from __future__ import annotations

import re
import warnings

import jax
import jax.numpy as jnp

from hoarfrost import optimizers
from hoarfrost.optimizers import OptimizerState
from hoarfrost.saving import validation
from hoarfrost.saving.archive import member_label


# --- what is written -----------------------------------------------------------------------
def layers_in_order(model) -> list:
    """The model and every layer under it, outermost first, a functional model's layers in
    call order (the order format 1 saved flags in)."""
    out = []

    def visit(layer) -> None:
        out.append(layer)
        nodes = getattr(layer, "_nodes", None)
        children = (list(dict.fromkeys(node.layer for node in nodes)) if nodes is not None
                    else layer._layers)
        for child in children:
            visit(child)

    visit(model)
    return out


def v1_weights(model) -> list:
    """`model.weights` in format 1's order (functional layers in call order)."""
    seen, out = set(), []
    for layer in layers_in_order(model):
        for variable in layer._variables:
            if id(variable) not in seen:
                seen.add(id(variable))
                out.append(variable)
    return out


def trainability(model) -> dict:
    """Every layer's and every variable's own trainable flag (`state.json`)."""
    return {
        "layers": [layer.trainable for layer in layers_in_order(model)],
        "variables": [{"path": v.path, "shape": list(v.shape), "dtype": str(v.dtype),
                       "trainable": v.trainable} for v in model.weights],
    }


def optimizer_config(optimizer) -> dict | None:
    """A built-in or registered optimizer's config and learning-rate multipliers (None for
    another, or none): what a saved file needs besides the slots to rebuild it."""
    config = optimizers.serialize(optimizer) if optimizer is not None else None
    if config is None:
        return None
    record = {"optimizer": config, "slots": [],
              "lr_multipliers": [pattern_to_json(p) + [float(f)]
                                 for p, f in optimizer.lr_multipliers.items()]}
    if optimizer.learning_rate_schedule is not None and "learning_rate" not in config["config"]:
        # A schedule is a Python callable: keep its current value, say so at load.
        config["config"]["learning_rate"] = float(optimizer.learning_rate)
        record["schedule"] = True
    return record


def pattern_to_json(pattern) -> list:
    """An `lr_multipliers` key as JSON: `["glob", pattern, 0]` or `["regex", pattern, flags]`."""
    if isinstance(pattern, re.Pattern):
        return ["regex", pattern.pattern, pattern.flags]
    return ["glob", pattern, 0]


def pattern_from_json(kind, pattern, flags):
    return re.compile(pattern, flags) if kind == "regex" else pattern


# --- what is read ----------------------------------------------------------------------------
def weight_values(model, tensors: dict, records: list, filepath,
                  skip_mismatch: bool = False) -> list:
    """The saved weights in `v1_weights` order, checked against the model's variables.

    With `skip_mismatch` a weight of another shape is None (kept, with a warning: Keras's
    rule for weights matched by position); another number of weights still raises."""
    validation.check_weight_tensors(tensors, records, repr(filepath))
    variables = v1_weights(model)
    if len(variables) != len(records):
        raise ValueError(
            f"{filepath!r} holds {len(records)} weights with shapes "
            f"{_shapes([r['shape'] for r in records])}, but model \"{model.name}\" has "
            f"{len(variables)} with shapes {_shapes([v.shape for v in variables])}."
        )
    values = []
    for i, (variable, record) in enumerate(zip(variables, records)):
        value = tensors.get(f"{i:05d}")
        if value is None or list(value.shape) != list(variable.shape):
            problem = (
                f"{filepath!r}: weight {i} ({record['path']}) has shape "
                f"{None if value is None else list(value.shape)}, but the model's variable "
                f"{variable.path} has shape {list(variable.shape)}.")
            if not skip_mismatch or value is None:
                raise ValueError(problem)
            skip_warning(variable, problem)
            value = None
        values.append(value)
    return values


def skip_warning(variable, problem: str) -> None:
    """The warning for a weight `load_weights(skip_mismatch=True)` leaves as it is."""
    warnings.warn(f"load_weights(skip_mismatch=True): skipping weight {variable.path}, which "
                  f"keeps its value: {problem}", stacklevel=4)


def assign_weights(model, tensors: dict, records: list, filepath,
                   skip_mismatch: bool = False) -> None:
    """Check every saved weight against the model, then set them all (those of another
    shape left as they are with `skip_mismatch`)."""
    values = weight_values(model, tensors, records, filepath, skip_mismatch)
    for variable, value in zip(v1_weights(model), values):
        if value is not None:
            variable.assign(value)


def _shapes(shapes, limit: int = 8) -> str:
    text = ", ".join(str(list(s)) for s in shapes[:limit])
    return f"[{text}{', ...' if len(shapes) > limit else ''}]"


def restore_trainability(model, state: dict) -> None:
    """Set each layer's and each variable's own flag as saved (nothing cascades)."""
    for layer, flag in zip(layers_in_order(model), state["layers"]):
        layer.set_trainable(bool(flag), recursive=False)
    for variable, record in zip(v1_weights(model), state["variables"]):
        if not variable.is_state:
            variable.trainable = bool(record["trainable"])


def optimizer_state(model, optimizer, record: dict, tensors: dict,
                    filepath) -> tuple[OptimizerState, float | None]:
    """The saved optimizer state of `model.weights`, checked against `optimizer`, and
    the saved learning rate (None unless a number)."""
    saved = record["optimizer"]
    if saved.get("class_name") != type(optimizer).__name__:
        raise ValueError(
            f"{filepath!r} holds the state of a {saved.get('class_name')} optimizer, but "
            f'model "{model.name}" was compiled with {type(optimizer).__name__}.'
        )
    variables = v1_weights(model)  # format 1's order
    slots: list = [None] * len(variables)
    owners = record["slots"]
    for i in owners:
        if not (isinstance(i, int) and 0 <= i < len(variables)):
            raise ValueError(f"{filepath!r} holds optimizer slots for weight {i}, but model "
                             f'"{model.name}" has {len(variables)} weights.')
    templates = [jax.tree.flatten(optimizer.slot_spec(variables[i])) for i in owners]
    validation.check_optimizer_slots([leaves for leaves, _ in templates], tensors, owners,
                                     variables,
                                     member_label(filepath, "optimizer.safetensors"))
    for i, (specs, treedef) in zip(owners, templates):
        slots[i] = jax.tree.unflatten(treedef, [jnp.asarray(tensors[f"{i:05d}/{j}"], spec.dtype)
                                                for j, spec in enumerate(specs)])
    if "iterations" not in tensors:
        raise ValueError(f"{filepath!r}: the optimizer state lacks its step count.")
    iterations = jnp.asarray(tensors["iterations"], optimizer.iterations.dtype)
    rate = saved.get("config", {}).get("learning_rate")
    rate = float(rate) if isinstance(rate, (int, float)) and not isinstance(rate, bool) else None
    return OptimizerState(variables, slots, iterations), rate


def optimizer_matches(model, state: dict) -> bool:
    """Whether the saved optimizer state is of the class `model`'s optimizer has."""
    saved = (state.get("optimizer") or {}).get("optimizer") or {}
    optimizer = getattr(model, "optimizer", None)
    return optimizer is not None and saved.get("class_name") == type(optimizer).__name__


def restore(model, state: dict, weights: dict, optimizer_tensors: dict | None, filepath,
            warn_without_optimizer: bool = False) -> None:
    """Put a saved model's weights, flags and optimizer state into `model`.

    Everything is checked first (weights, and the optimizer's kind and slot
    shapes); the model changes only once nothing can fail. The optimizer, when
    the model has one and the file holds its state, gets its slots (variables
    without saved slots lose theirs), its step count and, unless it follows a
    schedule, the saved learning rate.

    Args:
        model: a built model with the saved architecture.
        state: the file's `state.json`.
        weights: the file's weights (`"<index>"` arrays).
        optimizer_tensors: the file's optimizer arrays, or None.
        filepath: the file, for messages.
        warn_without_optimizer: warn when the model has an optimizer but the
            file holds no state for it (it then starts fresh).
    """
    values = weight_values(model, weights, state["variables"], filepath)
    optimizer = getattr(model, "optimizer", None)
    record = state.get("optimizer")
    loaded, rate = None, None
    if optimizer is not None and record is not None and optimizer_tensors is not None:
        loaded, rate = optimizer_state(model, optimizer, record, optimizer_tensors, filepath)
    elif optimizer is not None and warn_without_optimizer:
        warnings.warn(f"{filepath!r} holds no optimizer state; the optimizer of model "
                      f'"{model.name}" starts fresh.', stacklevel=4)
    for variable, value in zip(v1_weights(model), values):
        variable.assign(value)
    restore_trainability(model, state)
    if loaded is not None:
        optimizer.restore(loaded)
        if rate is not None and optimizer.learning_rate_schedule is None:
            optimizer.learning_rate = rate
