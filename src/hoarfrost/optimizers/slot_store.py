"""The optimizer's store of per-variable slots and its state API (`SlotStore`, a base of
`Optimizer`), and `OptimizerState`, the pytree a training step reads and returns.

Slots (moments, momentum, step counts) are kept *per variable*, and the
optimizer owns them. A training step asks for the slots of the variables
trainable at that moment (`gather_slots`), updates them in a pure function
(`stateless_update`) and hands them back (`scatter_slots`); a frozen
variable's slots are never read or written, so they stay bit-identical, and
unfreezing resumes from them. `snapshot` / `restore` keep a copy and put it
back, `save_state` / `load_state` turn the state into a flat dict of arrays
and back, and `reset_slots` forgets slots for a fresh start.
"""

from __future__ import annotations

import contextlib
from typing import Any, Iterable, Mapping

import jax
import jax.numpy as jnp
import numpy as np
from jax.extend.core import Literal

try:  # JAX's test for "no trace is active" (private; guarded)
    from jax._src.core import trace_state_clean as _trace_state_clean
except ImportError:  # pragma: no cover
    _trace_state_clean = None

from hoarfrost.host import to_device, to_host
from hoarfrost.variables import Variable, assign_values


@jax.tree_util.register_pytree_node_class
class OptimizerState:
    """The optimizer state of some variables: each one's slots, and the step count.

    A pytree: `slots`, `iterations` and `extra` are its leaves and
    `variables` rides along as static data, so a state goes through
    `jax.jit` (and donation), `jax.tree.map` and `jax.device_get` as a whole.

    Attributes:
        variables: the variables, in order (a tuple).
        slots: each variable's slots (a pytree of arrays, e.g. Adam's
            `{"count", "momentum", "velocity"}`), or None for a variable that
            has none.
        iterations: the optimizer's step count (an int32 scalar).
        extra: the optimizer's state that belongs to no variable (a
            `LossScaleOptimizer`'s scale and counter), a dict of arrays; None
            where it is not recorded (it is then left as it is).
    """

    def __init__(self, variables: Iterable[Variable], slots: Iterable, iterations,
                 extra: dict | None = None):
        self.variables = tuple(variables)
        self.slots = list(slots)
        self.iterations = iterations
        self.extra = extra
        if len(self.slots) != len(self.variables):
            raise ValueError(f"OptimizerState: {len(self.variables)} variables but "
                             f"{len(self.slots)} slot entries.")

    def replace(self, slots=None, iterations=None, extra=None) -> OptimizerState:
        """A copy with new `slots`, `iterations` and/or `extra` (the same variables)."""
        return OptimizerState(self.variables, self.slots if slots is None else slots,
                              self.iterations if iterations is None else iterations,
                              self.extra if extra is None else extra)

    def tree_flatten(self):
        return (self.slots, self.iterations, self.extra), self.variables

    @classmethod
    def tree_unflatten(cls, variables, children):
        slots, iterations, extra = children
        return cls(variables, slots, iterations, extra)

    def __repr__(self) -> str:
        return (f"OptimizerState({len(self.variables)} variables, "
                f"{sum(s is not None for s in self.slots)} with slots)")


class _SlotInit:
    """An optimizer's slot initializer, equal to any other of the same kind and settings
    (so models compiled alike share one compiled initializer)."""

    def __init__(self, optimizer: SlotStore):
        self.init = optimizer._slot_init
        config = {k: v for k, v in optimizer.get_config().items()
                  if k not in ("name", "learning_rate")}
        self.key = (type(optimizer), repr(sorted(config.items())))

    def __eq__(self, other):
        return isinstance(other, _SlotInit) and self.key == other.key

    def __hash__(self):
        return hash(self.key)


def _zero_slots(init: _SlotInit, specs):
    """The slots of zeros of each (shape, dtype) in `specs`."""
    return [init.init(jnp.zeros(shape, dtype)) for shape, dtype in specs]


#: `_zero_slots` as one program for all.
_initial_slots = jax.jit(_zero_slots, static_argnums=(0, 1))


def _host_slots(init: _SlotInit, specs):
    """`_zero_slots`'s values made on the host and transferred, or None.

    Every slot of the built-in optimizers is a constant fill (zeros, Adagrad's
    initial accumulator, a step count), which the trace shows: a literal, or
    a `broadcast_in_dim` of one. Those need no program compiled for a new set
    of shapes (~0.1 s in the first epoch); None when some slot is computed
    otherwise (then `_initial_slots` computes them all).
    """
    closed, shapes = jax.make_jaxpr(lambda: _zero_slots(init, specs), return_shape=True)()
    jaxpr = closed.jaxpr
    fills = {eqn.outvars[0]: eqn.invars[0] for eqn in jaxpr.eqns
             if eqn.primitive.name == "broadcast_in_dim" and isinstance(eqn.invars[0], Literal)
             and not eqn.invars[0].aval.shape}
    leaves = []
    for var, shape in zip(jaxpr.outvars, jax.tree.leaves(shapes)):
        literal = var if isinstance(var, Literal) else fills.get(var)
        if literal is None or getattr(shape, "weak_type", False):
            return None
        value = np.asarray(literal.val, literal.aval.dtype)
        leaves.append(to_device(np.full(shape.shape, value, shape.dtype)))
    return jax.tree.unflatten(jax.tree.structure(shapes), leaves)


def _trace_clean() -> bool:
    """Whether no JAX trace is active (JAX's own test; where a JAX lacks it, every call
    takes the path that is right inside a trace too)."""
    return _trace_state_clean is not None and _trace_state_clean()


@jax.jit
def _copy(tree):  # arrays only: a jit's cache would keep the variables of a state alive
    """Fresh buffers for every leaf, in one dispatch (a step donates the live ones)."""
    return jax.tree.map(jnp.copy, tree)


def _slot_name(path) -> str:
    """A slot's name from its key path in the slot pytree (`momentum`, `0/mu`)."""
    parts = []
    for key in path:
        for attribute in ("key", "name", "idx"):
            if hasattr(key, attribute):
                parts.append(str(getattr(key, attribute)))
                break
    return "/".join(parts) or "slot"


class SlotStore:
    """The slots of each variable, owned by the optimizer, and the API to them.

    A base of `Optimizer`, whose `__init__` sets what it reads: `_slots`
    (variable -> slots), `_specs`, `_slot_init`, `_iterations`,
    `_global_variables` and `_global_initial`, `built` and
    `_trainable_variables`.
    """

    # --- the state: slots per variable ----------------------------------------------
    def build(self, variables: Iterable[Variable]) -> None:
        """Create the slots of those `variables` that have none yet (Keras's `build`).

        The first call also fixes the variables of Keras's API: `apply(grads)`
        without variables and `stateless_apply` take them in this order, and
        `variables` lists their slots first. Slots that are constant fills (those
        of every built-in optimizer) are made on the host and transferred; any
        others in one compiled call for all: eagerly, each new variable shape
        would compile its own small XLA program (~30 ms each on CPU, paid in the
        first epoch).
        """
        variables = list(variables)
        self._build_slots(variables)
        if not self.built:
            self._trainable_variables = variables
            self.built = True

    def _build_slots(self, variables: Iterable[Variable]) -> None:
        missing = [v for v in dict.fromkeys(variables) if v not in self._slots]
        if missing:
            specs = tuple((tuple(v.shape), jnp.dtype(v.dtype).name) for v in missing)
            # Concrete even inside a traced step; outside one, a plain call (under
            # ensure_compile_time_eval each constant inside would compile on its own).
            scope = contextlib.nullcontext() if _trace_clean() else jax.ensure_compile_time_eval()
            with scope:
                init = _SlotInit(self)
                made = _host_slots(init, specs)
                if made is None:
                    made = _initial_slots(init, specs)
            for variable, slots in zip(missing, made):
                self._slots[variable] = slots

    def slots_for(self, variable: Variable):
        """The slots of one variable (created at first use), e.g. Adam's
        `{"count": ..., "momentum": ..., "velocity": ...}`."""
        self._build_slots([variable])
        return self._slots[variable]

    def set_slots(self, variable: Variable, slots) -> None:
        """Replace one variable's slots (checked against `slot_spec`); what assigning a
        slot's Variable in `optimizer.variables` does."""
        self._check_slots(variable, slots, "set_slots()")
        self._slots[variable] = slots

    def has_slots(self, variable: Variable) -> bool:
        """Whether `variable` has slots (it trained, or they were built or loaded)."""
        return variable in self._slots

    def slot_spec(self, variable: Variable):
        """The shapes and dtypes of `variable`'s slots (`jax.ShapeDtypeStruct`s), made without
        computing anything."""
        key = (tuple(variable.shape), jnp.dtype(variable.dtype).name)
        if key not in self._specs:
            self._specs[key] = jax.eval_shape(self._slot_init, jax.ShapeDtypeStruct(*key))
        return self._specs[key]

    def _extra(self) -> dict:
        return {name: variable.value for name, variable in self._global_variables.items()}

    def gather_slots(self, variables: Iterable[Variable]) -> OptimizerState:
        """The state a step over `variables` reads: their slots (made where missing), the
        step count and the optimizer's own state.

        The arrays are the optimizer's own, not copies: a compiled step that
        donates them hands its results back with `scatter_slots`.
        """
        variables = list(variables)
        self.build(variables)
        return OptimizerState(variables, [self._slots[v] for v in variables],
                              self._iterations.value, self._extra())

    def scatter_slots(self, state: OptimizerState) -> None:
        """Take a state back as the optimizer's own: each variable's slots (None drops
        them), the step count and (unless None) the optimizer's own state. No checks and
        no copies (the engine's write-back)."""
        for variable, slots in zip(state.variables, state.slots):
            if slots is None:
                self._slots.pop(variable, None)
            else:
                self._slots[variable] = slots
        assign_values([self._iterations], [state.iterations])
        if state.extra is not None:
            assign_values([self._global_variables[k] for k in state.extra],
                          list(state.extra.values()))

    def snapshot(self, variables: Iterable[Variable] | None = None,
                 copy: bool = True) -> OptimizerState:
        """The state of `variables` (by default every variable with slots), for `restore`.

        Never creates slots: a variable without slots is recorded as such, and
        `restore` drops the slots it gains later.

        Args:
            variables: the variables to record.
            copy: copy the arrays on the device (one compiled call). The next
                training step donates the optimizer's own arrays, so without a
                copy the snapshot is only good until then.
        """
        variables = list(self._slots) if variables is None else list(variables)
        slots, iterations, extra = ([self._slots.get(v) for v in variables],
                                    self._iterations.value, self._extra())
        if copy:
            slots, iterations, extra = _copy((slots, iterations, extra))
        return OptimizerState(variables, slots, iterations, extra)

    def restore(self, state: OptimizerState) -> None:
        """Put a snapshot back: its variables' slots (dropping those made since), the step
        count and the optimizer's own state. The slots must have the shapes this optimizer
        gives those variables. The optimizer takes copies (the next step donates its own
        arrays), so the snapshot can be restored again."""
        for variable, slots in zip(state.variables, state.slots):
            if slots is not None:
                self._check_slots(variable, slots, "restore()")
        if state.extra is not None and set(state.extra) != set(self._global_variables):
            raise ValueError(f"{type(self).__name__}.restore(): the state holds "
                             f"{sorted(state.extra)}; this optimizer's own state is "
                             f"{sorted(self._global_variables)}.")
        slots, iterations, extra = _copy((state.slots, state.iterations, state.extra))
        self.scatter_slots(OptimizerState(state.variables, slots, iterations, extra))

    def _check_slots(self, variable: Variable, slots, where: str) -> None:
        specs, spec_def = jax.tree.flatten(self.slot_spec(variable))
        leaves, treedef = jax.tree.flatten(slots)
        if treedef != spec_def or any(
                tuple(np.shape(a)) != s.shape or jnp.result_type(a) != s.dtype
                for a, s in zip(leaves, specs)):
            got = jax.tree.map(lambda a: f"{jnp.result_type(a)}{list(np.shape(a))}", slots)
            want = jax.tree.map(lambda s: f"{s.dtype}{list(s.shape)}", self.slot_spec(variable))
            raise ValueError(
                f"{type(self).__name__}.{where}: the slots given for variable '{variable.path}' "
                f"are {got}; this optimizer's slots for it are {want}.")

    def save_state(self, variables: Iterable[Variable] | None = None) -> dict[str, np.ndarray]:
        """The state as a flat dict of NumPy arrays, for any file format.

        Keys: `"iterations"`, the optimizer's own state by name (a
        `LossScaleOptimizer`'s `"dynamic_scale"`, `"step_counter"`), and
        `"<variable path>/<slot name>"` for each slot of each variable that has
        slots (e.g. `"dense/kernel/momentum"`).

        Args:
            variables: the variables to save (by default every variable with slots).
        """
        variables = list(self._slots) if variables is None else list(variables)
        arrays = {"iterations": np.asarray(to_host(self._iterations.value))}
        for name, value in self._extra().items():
            arrays[name] = np.asarray(to_host(value))
        seen: dict[str, Variable] = {}
        for variable in variables:
            if variable not in self._slots:
                continue
            if seen.setdefault(variable.path, variable) is not variable:
                raise ValueError(f"save_state(): two variables share the path "
                                 f"'{variable.path}'; their slots can not be told apart.")
            flat, _ = jax.tree_util.tree_flatten_with_path(self._slots[variable])
            for path, leaf in flat:
                arrays[f"{variable.path}/{_slot_name(path)}"] = np.asarray(to_host(leaf))
        return arrays

    def load_state(self, arrays: Mapping[str, Any], variables: Iterable[Variable]) -> None:
        """Set the state from `save_state`'s dict, matching variables by path.

        The state afterwards is what was saved: a variable of `variables` with
        no slots in `arrays` has none (its current slots are dropped). Every
        array is checked first; on any error nothing changes.

        Args:
            arrays: `"iterations"`, the optimizer's own state and
                `"<variable path>/<slot name>"` arrays.
            variables: the variables the state is for.
        """
        variables = list(variables)
        required = ["iterations"] + list(self._global_variables)
        absent = [k for k in required if k not in arrays]
        if absent:
            raise ValueError(f"load_state(): the arrays hold no {', '.join(map(repr, absent))}.")
        used = set(required)
        slots = []
        for variable in variables:
            flat, treedef = jax.tree_util.tree_flatten_with_path(self.slot_spec(variable))
            keys = [f"{variable.path}/{_slot_name(path)}" for path, _ in flat]
            present = [k for k in keys if k in arrays]
            if not present:
                slots.append(None)
                continue
            if len(present) != len(keys):
                raise ValueError(f"load_state(): variable '{variable.path}' has slots "
                                 f"{sorted(present)} but not {sorted(set(keys) - set(present))}.")
            leaves = []
            for key, (_, spec) in zip(keys, flat):
                value = np.asarray(arrays[key])
                if value.shape != spec.shape:
                    raise ValueError(f"load_state(): '{key}' has shape {value.shape}; the "
                                     f"optimizer's slot has shape {spec.shape}.")
                leaves.append(jnp.asarray(value, spec.dtype))
            used.update(keys)
            slots.append(jax.tree.unflatten(treedef, leaves))
        unknown = sorted(set(arrays) - used)
        if unknown:
            raise ValueError(f"load_state(): {unknown[:4]}{' ...' if len(unknown) > 4 else ''} "
                             "match no slot of the given variables "
                             f"({', '.join(v.path for v in variables[:4])}"
                             f"{', ...' if len(variables) > 4 else ''}).")
        extra = {}
        for name, variable in self._global_variables.items():
            value = np.asarray(arrays[name])
            if value.shape != tuple(variable.shape):
                raise ValueError(f"load_state(): '{name}' has shape {value.shape}; the "
                                 f"optimizer's has shape {tuple(variable.shape)}.")
            extra[name] = jnp.asarray(value, variable.dtype)
        iterations = to_device(np.asarray(arrays["iterations"]), jnp.int32)
        self.scatter_slots(OptimizerState(variables, slots, iterations, extra))

    def reset_slots(self, variables: Iterable[Variable] | None = None) -> None:
        """Forget slots (all, with the step count and the optimizer's own state; or those of
        `variables`) for a fresh start."""
        if variables is None:
            self._slots.clear()
            self._iterations.assign(0)
            for name, variable in self._global_variables.items():
                variable.assign(self._global_initial[name])
        else:
            for variable in variables:
                self._slots.pop(variable, None)
