"""The optimizer base class: hyperparameters, per-variable slots, and the pure update.

Slots (moments, momentum, step counts) are kept *per variable*, and the
optimizer owns them. A training step asks for the slots of the variables
trainable at that moment (`gather_slots`), updates them in a pure function
(`apply`) and hands them back (`scatter_slots`); a frozen variable's slots are
never read or written, so they stay bit-identical, and unfreezing resumes
from them. `snapshot` / `restore` keep a copy and put it back, `save_state` /
`load_state` turn the state into a flat dict of arrays and back, and
`reset_slots` forgets slots for a fresh start.
"""

from __future__ import annotations

import functools
from typing import Any, Callable, Iterable, Mapping

import jax
import jax.numpy as jnp
import numpy as np
import optax

from hoarfrost.host import to_host
from hoarfrost.naming import first_match, to_snake_case
from hoarfrost.optimizers import schedules
from hoarfrost.variables import Variable, assign_values


@jax.tree_util.register_pytree_node_class
class OptimizerState:
    """The optimizer state of some variables: each one's slots, and the step count.

    A pytree: `slots` and `iterations` are its leaves and `variables` rides
    along as static data, so a state goes through `jax.jit` (and donation),
    `jax.tree.map` and `jax.device_get` as a whole.

    Attributes:
        variables: the variables, in order (a tuple).
        slots: each variable's slots (a pytree of arrays, e.g. Adam's
            `{"count", "momentum", "velocity"}`), or None for a variable that
            has none.
        iterations: the optimizer's step count (an int32 scalar).
    """

    def __init__(self, variables: Iterable[Variable], slots: Iterable, iterations):
        self.variables = tuple(variables)
        self.slots = list(slots)
        self.iterations = iterations
        if len(self.slots) != len(self.variables):
            raise ValueError(f"OptimizerState: {len(self.variables)} variables but "
                             f"{len(self.slots)} slot entries.")

    def replace(self, slots=None, iterations=None) -> OptimizerState:
        """A copy with new `slots` and/or `iterations` (the same variables)."""
        return OptimizerState(self.variables, self.slots if slots is None else slots,
                              self.iterations if iterations is None else iterations)

    def tree_flatten(self):
        return (self.slots, self.iterations), self.variables

    @classmethod
    def tree_unflatten(cls, variables, children):
        slots, iterations = children
        return cls(variables, slots, iterations)

    def __repr__(self) -> str:
        return (f"OptimizerState({len(self.variables)} variables, "
                f"{sum(s is not None for s in self.slots)} with slots)")


class _SlotInit:
    """An optimizer's slot initializer, equal to any other of the same kind and settings
    (so models compiled alike share one compiled initializer)."""

    def __init__(self, optimizer: Optimizer):
        self.init = optimizer._transform.init
        config = {k: v for k, v in optimizer.get_config().items()
                  if k not in ("name", "learning_rate")}
        self.key = (type(optimizer), repr(sorted(config.items())))

    def __eq__(self, other):
        return isinstance(other, _SlotInit) and self.key == other.key

    def __hash__(self):
        return hash(self.key)


@functools.partial(jax.jit, static_argnums=(0, 1))
def _initial_slots(init: _SlotInit, specs):
    """The slots of zeros of each (shape, dtype) in `specs`: one program for all."""
    return [init.init(jnp.zeros(shape, dtype)) for shape, dtype in specs]


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


def descend(direction: optax.GradientTransformation) -> optax.GradientTransformationExtraArgs:
    """`direction` as an update for a given rate: `-learning_rate * direction`.

    Optax's sign convention (the update is added to the parameter), with the
    rate an argument of `update` so that it can change between steps.
    """

    def update(grad, state, param=None, *, learning_rate, **extra_args):
        step, state = direction.update(grad, state, param)
        return -learning_rate * step, state

    return optax.GradientTransformationExtraArgs(direction.init, update)


class Optimizer:
    """Base class: a per-variable Optax transformation, driven by the learning rate.

    Subclasses say what one variable's slots are and how they update, as an
    Optax `GradientTransformationExtraArgs` whose `update(grad, slots, value,
    learning_rate=lr)` returns the update (added to the value) and the new slots.

    Args:
        learning_rate: a float, or a schedule `step -> rate` evaluated at
            `iterations`: one of `optimizers.schedules` (saved with the model),
            an Optax schedule or any function of the step.
        weight_decay: decoupled weight decay, applied to trainable variables only.
        clipnorm: clip each gradient to this norm.
        clipvalue: clip each gradient element to [-clipvalue, clipvalue].
        global_clipnorm: clip all gradients together to this norm.
    """

    def __init__(self, learning_rate=0.001, weight_decay: float | None = None,
                 clipnorm: float | None = None, clipvalue: float | None = None,
                 global_clipnorm: float | None = None, name: str | None = None, **kwargs):
        if kwargs:
            raise TypeError(f"{type(self).__name__}: unrecognized arguments {sorted(kwargs)}.")
        if clipnorm is not None and global_clipnorm is not None:
            raise ValueError(f"{type(self).__name__}: pass clipnorm or global_clipnorm, not both.")
        self.name = name or to_snake_case(type(self).__name__)
        self.weight_decay = weight_decay
        self.clipnorm, self.clipvalue, self.global_clipnorm = clipnorm, clipvalue, global_clipnorm
        self.iterations = Variable(jnp.zeros((), jnp.int32), name=f"{self.name}/iterations",
                                   trainable=False)
        self._schedule: Callable | None = None
        self._learning_rate = Variable(jnp.zeros((), jnp.float32),
                                       name=f"{self.name}/learning_rate", trainable=False)
        self.learning_rate = learning_rate
        self._slots: dict[Variable, Any] = {}
        self._specs: dict[tuple, Any] = {}
        self.lr_multipliers: dict = {}
        self._transform = self._build_transform()

    # --- hyperparameters --------------------------------------------------------
    @property
    def learning_rate(self):
        """The current rate: a Variable, or the schedule's value at `iterations`."""
        if self._schedule is not None:
            return self._schedule(self.iterations.value)
        return self._learning_rate

    @learning_rate.setter
    def learning_rate(self, value) -> None:
        if callable(value) and not isinstance(value, Variable):
            self._schedule = value
            return
        if self._schedule is not None:
            raise TypeError(
                f"{type(self).__name__}: this optimizer's learning rate is a schedule; it can "
                "not be set to a number. Create the optimizer with a float learning_rate to "
                "change it during training."
            )
        self._learning_rate.assign(jnp.asarray(float(value), jnp.float32))

    @property
    def learning_rate_schedule(self) -> Callable | None:
        """The schedule `step -> rate`, or None when the rate is a number."""
        return self._schedule

    def _build_transform(self) -> optax.GradientTransformationExtraArgs:
        raise NotImplementedError

    # --- per-variable rates ------------------------------------------------------
    def multiplier_for(self, variable: Variable) -> float:
        """The factor on the learning rate for `variable` (first matching pattern, else 1).

        `lr_multipliers` maps globs on variable paths (`"block1/*"`) or
        compiled regexes to factors; it may change between steps (it is an
        input of the compiled step, not a constant in it).
        """
        factor = first_match(self.lr_multipliers, variable.path)
        return 1.0 if factor is None else float(factor)

    def learning_rate_for(self, variable: Variable) -> float:
        """The rate the next step applies to `variable`: base rate times its multiplier."""
        return float(self.learning_rate) * self.multiplier_for(variable)

    # --- the state: slots per variable ----------------------------------------------
    def build(self, variables: Iterable[Variable]) -> None:
        """Create the slots of those `variables` that have none yet (Keras's `build`).

        All in one compiled call: eagerly, each new variable shape would
        compile its own small XLA program (~30 ms each on CPU, paid in the
        first epoch).
        """
        missing = [v for v in dict.fromkeys(variables) if v not in self._slots]
        if missing:
            specs = tuple((tuple(v.shape), jnp.dtype(v.dtype).name) for v in missing)
            for variable, slots in zip(missing, _initial_slots(_SlotInit(self), specs)):
                self._slots[variable] = slots

    def slots_for(self, variable: Variable):
        """The slots of one variable (created at first use), e.g. Adam's
        `{"count": ..., "momentum": ..., "velocity": ...}`."""
        self.build([variable])
        return self._slots[variable]

    def has_slots(self, variable: Variable) -> bool:
        """Whether `variable` has slots (it trained, or they were built or loaded)."""
        return variable in self._slots

    def slot_spec(self, variable: Variable):
        """The shapes and dtypes of `variable`'s slots (`jax.ShapeDtypeStruct`s), made without
        computing anything."""
        key = (tuple(variable.shape), jnp.dtype(variable.dtype).name)
        if key not in self._specs:
            self._specs[key] = jax.eval_shape(self._transform.init,
                                              jax.ShapeDtypeStruct(*key))
        return self._specs[key]

    def gather_slots(self, variables: Iterable[Variable]) -> OptimizerState:
        """The state a step over `variables` reads: their slots (made where missing) and
        the step count.

        The arrays are the optimizer's own, not copies: a compiled step that
        donates them hands its results back with `scatter_slots`.
        """
        variables = list(variables)
        self.build(variables)
        return OptimizerState(variables, [self._slots[v] for v in variables],
                              self.iterations.value)

    def scatter_slots(self, state: OptimizerState) -> None:
        """Take a state back as the optimizer's own: each variable's slots (None drops
        them) and the step count. No checks and no copies (the engine's write-back)."""
        for variable, slots in zip(state.variables, state.slots):
            if slots is None:
                self._slots.pop(variable, None)
            else:
                self._slots[variable] = slots
        assign_values([self.iterations], [state.iterations])

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
        slots, iterations = [self._slots.get(v) for v in variables], self.iterations.value
        if copy:
            slots, iterations = _copy((slots, iterations))
        return OptimizerState(variables, slots, iterations)

    def restore(self, state: OptimizerState) -> None:
        """Put a snapshot back: its variables' slots (dropping those made since) and the
        step count. The slots must have the shapes this optimizer gives those variables."""
        for variable, slots in zip(state.variables, state.slots):
            if slots is not None:
                self._check_slots(variable, slots, "restore()")
        self.scatter_slots(state)

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

        Keys: `"iterations"`, and `"<variable path>/<slot name>"` for each slot
        of each variable that has slots (e.g. `"dense/kernel/momentum"`).

        Args:
            variables: the variables to save (by default every variable with slots).
        """
        variables = list(self._slots) if variables is None else list(variables)
        arrays = {"iterations": np.asarray(to_host(self.iterations.value))}
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
            arrays: `"iterations"` and `"<variable path>/<slot name>"` arrays.
            variables: the variables the state is for.
        """
        variables = list(variables)
        if "iterations" not in arrays:
            raise ValueError("load_state(): the arrays hold no 'iterations'.")
        used = {"iterations"}
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
        iterations = jnp.asarray(np.asarray(arrays["iterations"]), jnp.int32)
        self.scatter_slots(OptimizerState(variables, slots, iterations))

    def reset_slots(self, variables: Iterable[Variable] | None = None) -> None:
        """Forget slots (all, and the step count; or those of `variables`) for a fresh start."""
        if variables is None:
            self._slots.clear()
            self.iterations.assign(0)
        else:
            for variable in variables:
                self._slots.pop(variable, None)

    @property
    def variables(self) -> list:
        """The optimizer's own state: iterations, then each variable's slots."""
        out = [self.iterations]
        for slots in self._slots.values():
            out.extend(jax.tree.leaves(slots))
        return out

    # --- the pure update -----------------------------------------------------------
    def current_rate(self, learning_rate, iterations):
        """The rate inside a step, from the traced hyperparameters."""
        if self._schedule is not None:
            return jnp.asarray(self._schedule(iterations), jnp.float32)
        return learning_rate

    def apply(self, grads: list, values: list, slots: list, learning_rate, iterations,
              multipliers=None):
        """One update of the trainable variables (pure; runs inside the jitted step).

        Args:
            grads, values, slots: per variable, in the same order.
            learning_rate: the constant rate (ignored with a schedule).
            iterations: the step count (a schedule's argument).
            multipliers: per-variable factors on the rate, or None.

        Returns:
            (new values, new slots).
        """
        rate = self.current_rate(learning_rate, iterations)
        if self.global_clipnorm is not None:
            grads, _ = optax.clip_by_global_norm(self.global_clipnorm).update(grads, None)
        new_values, new_slots = [], []
        for i, (grad, value, slot) in enumerate(zip(grads, values, slots)):
            if self.clipnorm is not None:
                norm = jnp.sqrt(jnp.sum(jnp.square(grad)))
                grad = grad * jnp.minimum(1.0, self.clipnorm / jnp.maximum(norm, 1e-12))
            if self.clipvalue is not None:
                grad = jnp.clip(grad, -self.clipvalue, self.clipvalue)
            lr = rate if multipliers is None else rate * multipliers[i]
            if self.weight_decay:
                value = value - lr * self.weight_decay * value
            update, slot = self._transform.update(grad, slot, value, learning_rate=lr)
            new_values.append((value + update).astype(value.dtype))
            new_slots.append(slot)
        return new_values, new_slots

    # --- config ----------------------------------------------------------------------
    def get_config(self) -> dict[str, Any]:
        config = {"name": self.name, "weight_decay": self.weight_decay,
                  "clipnorm": self.clipnorm, "clipvalue": self.clipvalue,
                  "global_clipnorm": self.global_clipnorm}
        if self._schedule is None:
            config["learning_rate"] = float(self._learning_rate.numpy())
        elif isinstance(self._schedule, schedules.LearningRateSchedule):
            config["learning_rate"] = schedules.serialize(self._schedule)
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        if isinstance(config.get("learning_rate"), dict):  # a serialised schedule
            config["learning_rate"] = schedules.deserialize(config["learning_rate"],
                                                            custom_objects)
        return cls(**config)
