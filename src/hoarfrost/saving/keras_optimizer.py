"""An optimizer's state in Keras's layout (`optimizer/vars` of a Keras 3 weights file).

Keras keeps the step count, the learning rate (unless a schedule) and the
slots of the trainable variables, group by group
(`Optimizer.keras_slot_groups`); hoarfrost keeps every variable's slots, also
the frozen ones' and per-variable step counts. These functions translate
between the two through the optimizer's state API (`snapshot` / `restore`).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from hoarfrost.host import to_host
from hoarfrost.optimizers import OptimizerState
from hoarfrost.optimizers.base_optimizer import AVERAGE_COUNT, _slot_name

#: Optimizers whose Keras `variables` are exactly the step count, the rate and the slots in
#: `keras_slot_groups` (Nadam and Adafactor keep shared variables, LossScaleOptimizer
#: wraps another: their Keras layout is not written or read).
KERAS_LAYOUT = ("SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adamax", "Adadelta", "Ftrl",
                "Lion", "Lamb")
#: Slots Keras does not keep per variable: each follows the global step count.
_COUNTS = ("count", AVERAGE_COUNT)


def has_lr_variable(optimizer) -> bool:
    """Whether Keras's layout holds the learning rate (a number, not a schedule)."""
    return optimizer.learning_rate_schedule is None


def slot_names(optimizer, variables: list) -> list[tuple[object, str]] | None:
    """Keras's slot variables of `optimizer` over `variables`: (variable, slot name) in
    Keras's order; None when hoarfrost does not know the optimizer's Keras layout."""
    if type(optimizer).__name__ not in KERAS_LAYOUT:
        return None
    names = {v: [_slot_name(p) for p, _ in
                 jax.tree_util.tree_flatten_with_path(optimizer.slot_spec(v))[0]]
             for v in variables}
    return [(v, name) for group in optimizer.keras_slot_groups() for v in variables
            for name in group if name in names[v]]


def _slots_or_zeros(optimizer, state: OptimizerState) -> list:
    return [slots if slots is not None else jax.tree.map(
                lambda s: jnp.zeros(s.shape, s.dtype), optimizer.slot_spec(v))
            for v, slots in zip(state.variables, state.slots)]


def _leaf(slots, name: str):
    flat, _ = jax.tree_util.tree_flatten_with_path(slots)
    return next(leaf for path, leaf in flat if _slot_name(path) == name)


def keras_arrays(optimizer, variables: list) -> list[np.ndarray] | None:
    """Keras's `optimizer/vars` for `variables` (the trainable ones): step count, rate,
    then the slots (zeros where a variable has none yet); None for an unknown layout."""
    names = slot_names(optimizer, variables)
    if names is None:
        return None
    state = optimizer.snapshot(variables, copy=False)
    slots = dict(zip(variables, _slots_or_zeros(optimizer, state)))
    arrays = [np.asarray(to_host(state.iterations), np.int64)]
    if has_lr_variable(optimizer):
        arrays.append(np.asarray(float(optimizer.learning_rate), np.float32))
    return arrays + [np.asarray(to_host(_leaf(slots[v], name))) for v, name in names]


def restore_keras_arrays(optimizer, variables: list, names: list, values: list,
                         iterations: int, rate: float | None) -> None:
    """Set the slots `names` (from `slot_names`) of `variables` to `values`, the step count
    (also each variable's own count, as Keras counts globally) and the rate."""
    state = optimizer.snapshot(variables, copy=False)
    slots = dict(zip(variables, _slots_or_zeros(optimizer, state)))
    given = {}
    for (variable, name), value in zip(names, values):
        given.setdefault(variable, {})[name] = value
    new = []
    for variable in variables:
        flat, treedef = jax.tree_util.tree_flatten_with_path(slots[variable])
        leaves = []
        for path, leaf in flat:
            name = _slot_name(path)
            if name in given.get(variable, {}):
                leaf = jnp.asarray(given[variable][name], leaf.dtype)
            elif name in _COUNTS:
                leaf = jnp.asarray(iterations, leaf.dtype)
            leaves.append(leaf)
        new.append(jax.tree.unflatten(treedef, leaves))
    optimizer.restore(OptimizerState(variables, new, jnp.asarray(
        iterations, optimizer.iterations.dtype)))
    if rate is not None and has_lr_variable(optimizer):
        optimizer.learning_rate = rate
