"""An optimizer's state in Keras's layout (`optimizer/vars` of a Keras 3 weights file).

Keras keeps the step count, the learning rate (unless a schedule) and the
slots of the trainable variables, group by group
(`Optimizer.keras_slot_groups`), then what its optimizer keeps once (Nadam's
`u_product`); Adafactor holds an int 0 in place of the factored moments of a
variable of fewer than two dimensions; LossScaleOptimizer writes its own
step count, rate, `step_counter` and `dynamic_scale`, then the inner
optimizer's variables (and these again under `optimizer/inner_optimizer`).
hoarfrost keeps every variable's slots, also the frozen ones', and
per-variable step counts. These functions translate between the two through
the optimizer's state API (`snapshot` / `restore`).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from hoarfrost.host import to_host
from hoarfrost.optimizers import OptimizerState
from hoarfrost.optimizers.base_optimizer import AVERAGE_COUNT, _slot_name

#: Optimizers whose Keras `variables` are exactly the step count, the rate and the slots in
#: `keras_slot_groups`.
KERAS_LAYOUT = ("SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adamax", "Adadelta", "Ftrl",
                "Lion", "Lamb")
#: Slots Keras keeps once for the optimizer, after the per-variable ones.
_SHARED = {"Nadam": ("u_product",)}
#: Slots Keras keeps as an int 0 for a variable of fewer than two dimensions.
_PLACEHOLDERS = {"Adafactor": ("r", "c")}
#: Slots Keras does not keep per variable: each follows the global count of updates.
_COUNTS = ("count", AVERAGE_COUNT)
WRAPPER = "LossScaleOptimizer"
INNER_GROUP = "optimizer/inner_optimizer/vars"


def has_lr_variable(optimizer) -> bool:
    """Whether Keras's layout holds the learning rate (a number, not a schedule)."""
    return optimizer.learning_rate_schedule is None


def _names(optimizer, variable) -> list[str]:
    return [_slot_name(p) for p, _ in
            jax.tree_util.tree_flatten_with_path(optimizer.slot_spec(variable))[0]]


def keras_entries(optimizer, variables: list) -> list[tuple] | None:
    """Keras's `optimizer/vars`, entry by entry: `(kind, variable, name)` with kind one of
    iterations, rate, own (a wrapper's unused count and rate), extra (the optimizer's own
    state), slot, placeholder, shared. None for an optimizer whose layout is not known."""
    kind = type(optimizer).__name__
    if kind == WRAPPER:
        inner = keras_entries(optimizer.inner_optimizer, variables)
        if inner is None:
            return None
        return ([("own", None, 0), ("own", None, 1), ("extra", None, "step_counter"),
                 ("extra", None, "dynamic_scale")] + inner)
    if kind not in KERAS_LAYOUT + tuple(_SHARED) + tuple(_PLACEHOLDERS):
        return None
    entries = [("iterations", None, None)]
    if has_lr_variable(optimizer):
        entries.append(("rate", None, None))
    names = {v: _names(optimizer, v) for v in variables}
    placeholders = _PLACEHOLDERS.get(kind, ())
    for group in optimizer.keras_slot_groups():
        for v in variables:
            for name in group:
                if name in names[v]:
                    entries.append(("slot", v, name))
                elif name in placeholders:
                    entries.append(("placeholder", v, name))
    return entries + [("shared", None, name) for name in _SHARED.get(kind, ())]


def _slots_or_zeros(optimizer, state: OptimizerState) -> list:
    return [slots if slots is not None else jax.tree.map(
                lambda s: jnp.zeros(s.shape, s.dtype), optimizer.slot_spec(v))
            for v, slots in zip(state.variables, state.slots)]


def _leaf(slots, name: str):
    flat, _ = jax.tree_util.tree_flatten_with_path(slots)
    return next(leaf for path, leaf in flat if _slot_name(path) == name)


def _update_count(optimizer, iterations: int) -> int:
    """Keras's `iterations`: updates, not steps, with gradient accumulation."""
    every = optimizer.gradient_accumulation_steps
    return iterations // every if every else iterations


def _shared_value(optimizer, name: str, slots: dict, iterations: int):
    """The value Keras keeps once for slot `name`: a variable's own that has seen every
    update (hoarfrost keeps one per variable), else the optimizer's for that many."""
    updates = _update_count(optimizer, iterations)
    for variable_slots in slots.values():
        if int(to_host(variable_slots["count"])) == updates:
            return np.asarray(to_host(variable_slots[name]))
    return shared_after(optimizer, name, iterations)


def shared_after(optimizer, name: str, iterations: int) -> np.ndarray:
    """The value Keras keeps once for slot `name` (Nadam's `u_product`) after
    `iterations` steps of `optimizer`."""
    if name != "u_product":  # the one in `_SHARED`
        raise ValueError(f"no Keras optimizer-wide slot {name!r} known")
    updates = _update_count(optimizer, iterations)
    return np.asarray(to_host(optimizer.u_product_after(updates)))


def keras_arrays(optimizer, variables: list) -> list[np.ndarray] | None:
    """Keras's `optimizer/vars` for `variables` (the trainable ones): step count, rate,
    then the slots (zeros where a variable has none yet); None for an unknown layout."""
    entries = keras_entries(optimizer, variables)
    if entries is None:
        return None
    state = optimizer.snapshot(variables, copy=False)
    slots = dict(zip(variables, _slots_or_zeros(optimizer, state)))
    iterations = np.asarray(to_host(state.iterations), np.int32)
    inner = getattr(optimizer, "inner_optimizer", optimizer)
    own = optimizer.variables
    arrays = []
    for kind, variable, name in entries:
        if kind == "iterations":
            arrays.append(iterations)
        elif kind == "rate":
            arrays.append(np.asarray(float(inner.learning_rate), np.float32))
        elif kind == "own":
            arrays.append(np.asarray(own[name].numpy()))
        elif kind == "extra":
            arrays.append(np.asarray(to_host(state.extra[name])))
        elif kind == "slot":
            arrays.append(np.asarray(to_host(_leaf(slots[variable], name))))
        elif kind == "placeholder":
            arrays.append(np.asarray(0, np.int32))
        else:
            arrays.append(_shared_value(inner, name, slots, int(iterations)))
    return arrays


def keras_groups(optimizer, variables: list) -> dict[str, tuple[str, list]]:
    """`{group path: (name, arrays)}` of the optimizer's state in a Keras weights file;
    `{}` for a layout hoarfrost does not know (its own extras then keep the state)."""
    arrays = keras_arrays(optimizer, variables)
    if arrays is None:
        return {}
    groups = {"optimizer/vars": (optimizer.name, arrays)}
    if type(optimizer).__name__ == WRAPPER:
        inner = optimizer.inner_optimizer
        groups[INNER_GROUP] = (inner.name, arrays[4:])
    return groups


def restore_keras(optimizer, variables: list, arrays: list) -> str | None:
    """Set the state from Keras's `optimizer/vars` over `variables` (the trainable ones),
    after checking every array; returns why not (nothing changed) or None when done."""
    entries = keras_entries(optimizer, variables)
    if entries is None:
        return f"optimizer {type(optimizer).__name__}: no Keras layout known"
    if len(arrays) != len(entries):
        return (f"its optimizer holds {len(arrays)} variables, but "
                f"{type(optimizer).__name__} over the model's {len(variables)} trainable "
                f"variables has {len(entries)}")
    arrays = [np.asarray(a) for a in arrays]
    inner = getattr(optimizer, "inner_optimizer", optimizer)
    iterations = rate = None
    extra, shared, given = {}, {}, {}
    specs = {v: dict(zip(_names(optimizer, v), jax.tree.leaves(optimizer.slot_spec(v))))
             for v in variables}
    for (kind, variable, name), value in zip(entries, arrays):
        scalar_int = value.shape == () and value.dtype.kind in "iu"
        scalar_float = value.shape == () and value.dtype.kind == "f"
        if kind == "iterations":
            if not scalar_int or int(value) < 0:
                return (f"its optimizer's iterations ({value.dtype}{list(value.shape)}) is "
                        "not a count")
            iterations = int(value)
        elif kind in ("rate", "shared") and not scalar_float:
            return (f"its optimizer's {name or 'learning rate'} ({value.dtype}"
                    f"{list(value.shape)}) is not a float scalar")
        elif kind == "rate":
            rate = float(value)
        elif kind == "shared":
            shared[name] = value
        elif kind == "extra":
            if not (scalar_int or scalar_float):
                return f"its optimizer's {name} ({value.dtype}{list(value.shape)}) is not a scalar"
            extra[name] = value
        elif kind == "placeholder" and not scalar_int:
            return (f"its optimizer's placeholder for slot {name} of {variable.path} is "
                    f"{value.dtype}{list(value.shape)}, not an int scalar")
        elif kind == "slot":
            spec = specs[variable][name]
            if tuple(value.shape) != tuple(spec.shape) or value.dtype.kind != "f":
                return (f"an optimizer slot has shape {value.shape} and dtype {value.dtype} "
                        f"where slot {name} of {variable.path} has {spec.shape} "
                        f"({spec.dtype})")
            given.setdefault(variable, {})[name] = value
    state = optimizer.snapshot(variables, copy=False)
    slots = dict(zip(variables, _slots_or_zeros(optimizer, state)))
    updates = _update_count(inner, iterations)
    new = []
    for variable in variables:
        flat, treedef = jax.tree_util.tree_flatten_with_path(slots[variable])
        leaves = []
        for path, leaf in flat:
            name = _slot_name(path)
            if name in given.get(variable, {}):
                leaf = jnp.asarray(given[variable][name], leaf.dtype)
            elif name in shared:
                leaf = jnp.asarray(shared[name], leaf.dtype)
            elif name in _COUNTS:
                leaf = jnp.asarray(updates, leaf.dtype)
            leaves.append(leaf)
        new.append(jax.tree.unflatten(treedef, leaves))
    own = {k: jnp.asarray(v, state.extra[k].dtype) for k, v in extra.items()} or None
    optimizer.restore(OptimizerState(variables, new, jnp.asarray(
        iterations, optimizer.iterations.dtype), own))
    if rate is not None:
        inner.learning_rate = rate
    return None
