"""The optimizer base class: hyperparameters, per-variable slots, the pure update, and
Keras's optimizer API on top of them.

Slots (moments, momentum, step counts) are kept *per variable*, and the
optimizer owns them. A training step asks for the slots of the variables
trainable at that moment (`gather_slots`), updates them in a pure function
(`stateless_update`) and hands them back (`scatter_slots`); a frozen
variable's slots are never read or written, so they stay bit-identical, and
unfreezing resumes from them. `snapshot` / `restore` keep a copy and put it
back, `save_state` / `load_state` turn the state into a flat dict of arrays
and back, and `reset_slots` forgets slots for a fresh start.

Keras's API is built on the same store: `build`, `variables` (one Variable
per slot, in Keras's order and with Keras's paths), `apply` /
`apply_gradients` (eager) and `stateless_apply` (pure, jit-able), and the
arguments every Keras optimizer takes (`weight_decay`, the clipping ones,
`use_ema`, `gradient_accumulation_steps`, `loss_scale_factor`).
"""

from __future__ import annotations

import contextlib
import functools
import re
import warnings
from typing import Any, Callable, Iterable, Mapping, Sequence

import jax
import jax.numpy as jnp
import numpy as np
import optax

try:  # JAX's test for "no trace is active" (private; guarded)
    from jax._src.core import trace_state_clean as _trace_state_clean
except ImportError:  # pragma: no cover
    _trace_state_clean = None

from hoarfrost.host import to_host
from hoarfrost.naming import path_matches, to_snake_case, unique_name
from hoarfrost.optimizers import clipping, schedules
from hoarfrost.optimizers.optimizer_variables import (DerivedCount, OptimizerVariable,
                                                      SlotVariable)
from hoarfrost.variables import StatelessScope, Variable, assign_values, current_scope, unwrap

# The slots the common arguments add to each variable's own: Keras's names, plus the count
# of updates the moving average has seen (hoarfrost's: slots are per variable, and a
# variable may start training late).
AVERAGE, AVERAGE_COUNT, ACCUMULATOR = "average", "average_count", "gradient_accumulator"


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

    def __init__(self, optimizer: Optimizer):
        self.init = optimizer._slot_init
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


def descend(direction: optax.GradientTransformation) -> optax.GradientTransformationExtraArgs:
    """`direction` as an update for a given rate: `-learning_rate * direction`.

    Optax's sign convention (the update is added to the parameter), with the
    rate an argument of `update` so that it can change between steps.
    """

    def update(grad, state, param=None, *, learning_rate, **extra_args):
        step, state = direction.update(grad, state, param)
        return -learning_rate * step, state

    return optax.GradientTransformationExtraArgs(direction.init, update)


def keras_named(transform: optax.GradientTransformation, state_type,
                **names: str) -> optax.GradientTransformation:
    """An Optax transformation whose NamedTuple state is kept as a dict of Keras's slot names.

    Optax's arithmetic, Keras's names (`keras_named(optax.scale_by_lion(),
    optax.ScaleByLionState, mu="momentum", count="count")`), so saved state,
    `optimizer.variables` and error messages speak Keras.

    Args:
        transform: the Optax transformation.
        state_type: its state's NamedTuple class.
        **names: each field of the state, and its slot name (in slot order).
    """
    if set(names) != set(state_type._fields):
        raise ValueError(f"keras_named: name every field of {state_type.__name__} "
                         f"{state_type._fields}; got {sorted(names)}.")

    def init(param):
        state = transform.init(param)
        return {slot: getattr(state, field) for field, slot in names.items()}

    def update(grad, slots, param=None):
        state = state_type(**{field: slots[slot] for field, slot in names.items()})
        step, state = transform.update(grad, state, param)
        return step, {slot: getattr(state, field) for field, slot in names.items()}

    return optax.GradientTransformation(init, update)


def _with_common_slots(init: Callable, use_ema: bool, accumulate: bool) -> Callable:
    """The slot initializer with the slots the common arguments add (a plain function of the
    settings, so a compiled initializer never keeps an optimizer alive)."""
    if not (use_ema or accumulate):
        return init

    def init_all(param):
        own = init(param)
        if not isinstance(own, dict):
            raise TypeError("use_ema and gradient_accumulation_steps need an optimizer whose "
                            f"slots are a dict of named arrays; its slots are {type(own)}.")
        common = {}
        if use_ema:
            common[AVERAGE] = jnp.zeros_like(param)
            common[AVERAGE_COUNT] = jnp.zeros((), jnp.int32)
        if accumulate:
            common[ACCUMULATOR] = jnp.zeros_like(param)
        return {**common, **own}

    return init_all


#: hoarfrost's own optimizer classes by name; each registers itself as it is defined.
_BUILT_IN: dict[str, type] = {}


def built_in_optimizers() -> dict[str, type]:
    """hoarfrost's optimizer classes by name (those defined so far)."""
    return dict(_BUILT_IN)


class Optimizer:
    """Base class: a per-variable Optax transformation, driven by the learning rate.

    Subclasses say what one variable's slots are and how they update, as an
    Optax `GradientTransformationExtraArgs` whose `update(grad, slots, value,
    learning_rate=lr)` returns the update (added to the value) and the new
    slots; `_slot_groups` gives Keras's order of the slots in `variables`.

    Args:
        learning_rate: a float, or a schedule `step -> rate` evaluated at the
            step count: one of `optimizers.schedules` (saved with the model),
            an Optax schedule or any function of the step.
        weight_decay: decoupled weight decay (`w -= w * weight_decay * rate` before
            each update), applied to trainable variables only; see
            `exclude_from_weight_decay`.
        clipnorm: clip each gradient to this norm.
        clipvalue: clip each gradient element to [-clipvalue, clipvalue].
        global_clipnorm: clip all gradients together to this norm. At most one of
            the three clipping arguments.
        use_ema: keep an exponential moving average of each trained variable (slot
            `average`); `finalize_variable_values` (called at the end of `fit`)
            writes it into the variables.
        ema_momentum: the average's momentum: `average = m * average + (1 - m) *
            value`, with m = 0 at a variable's first update.
        ema_overwrite_frequency: every this many updates, also write the averages
            into the variables (None: only at `finalize_variable_values`).
        loss_scale_factor: the loss is multiplied by this before the gradients are
            taken, and the gradients divided by it before the update.
        gradient_accumulation_steps: update every this many steps, with the mean of
            the gradients since the last update (slot `gradient_accumulator`).
            Schedules follow the steps, `iterations` counts the updates.
        name: the optimizer's name (default: unique, from the class name).
    """

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.__module__.startswith("hoarfrost.optimizers."):
            _BUILT_IN[cls.__name__] = cls  # found by name without importing each optimizer

    def __init__(self, learning_rate=0.001, weight_decay: float | None = None,
                 clipnorm: float | None = None, clipvalue: float | None = None,
                 global_clipnorm: float | None = None, use_ema: bool = False,
                 ema_momentum: float = 0.99, ema_overwrite_frequency: int | None = None,
                 loss_scale_factor: float | None = None,
                 gradient_accumulation_steps: int | None = None, name: str | None = None,
                 **kwargs):
        cls = type(self).__name__
        decay = kwargs.pop("decay", None)
        if decay:
            raise ValueError(f"{cls}: `decay` is not supported (Keras 3 removed it); pass a "
                             "schedule instead, e.g. learning_rate=optimizers.schedules."
                             f"InverseTimeDecay(rate, 1, {decay!r}).")
        if kwargs:
            raise TypeError(f"{cls}: unrecognized arguments {sorted(kwargs)}.")
        clips = {"clipnorm": clipnorm, "clipvalue": clipvalue, "global_clipnorm": global_clipnorm}
        if sum(v is not None for v in clips.values()) > 1:
            given = ", ".join(f"{k}={v}" for k, v in clips.items() if v is not None)
            raise ValueError(f"{cls}: only one of `clipnorm`, `clipvalue` and `global_clipnorm` "
                             f"can be set; got {given}.")
        if gradient_accumulation_steps is not None and (
                isinstance(gradient_accumulation_steps, bool)
                or not isinstance(gradient_accumulation_steps, (int, np.integer))
                or gradient_accumulation_steps < 2):
            raise ValueError(f"{cls}: `gradient_accumulation_steps` must be an integer >= 2 "
                             f"or None; got {gradient_accumulation_steps!r}.")
        if use_ema:
            if not 0 <= ema_momentum <= 1:
                raise ValueError(f"{cls}: `ema_momentum` must be in [0, 1]; got "
                                 f"{ema_momentum!r}.")
            if ema_overwrite_frequency is not None and (
                    isinstance(ema_overwrite_frequency, bool)
                    or not isinstance(ema_overwrite_frequency, (int, np.integer))
                    or ema_overwrite_frequency < 1):
                raise ValueError(f"{cls}: `ema_overwrite_frequency` must be an integer >= 1 "
                                 f"or None; got {ema_overwrite_frequency!r}.")
        self.name = name or unique_name(to_snake_case(cls))
        self.weight_decay = weight_decay
        self.clipnorm, self.clipvalue, self.global_clipnorm = clipnorm, clipvalue, global_clipnorm
        self.use_ema = bool(use_ema)
        self.ema_momentum, self.ema_overwrite_frequency = ema_momentum, ema_overwrite_frequency
        self.loss_scale_factor = loss_scale_factor
        self.gradient_accumulation_steps = (None if gradient_accumulation_steps is None
                                            else int(gradient_accumulation_steps))
        self._iterations = OptimizerVariable(jnp.zeros((), jnp.int32),
                                             name=f"{self.name}/iteration")
        self._update_count = (DerivedCount(self._iterations, self.gradient_accumulation_steps,
                                           f"{self.name}/iteration")
                              if self.gradient_accumulation_steps else None)
        self._schedule: Callable | None = None
        self._learning_rate = OptimizerVariable(jnp.zeros((), jnp.float32),
                                                name=f"{self.name}/learning_rate")
        Optimizer.learning_rate.fset(self, learning_rate)  # this class's setter, even if overridden
        self._slots: dict[Variable, Any] = {}
        self._specs: dict[tuple, Any] = {}
        self._views: dict[Variable, list[SlotVariable]] = {}
        # State that belongs to no variable (a loss scale), by name, and its first values.
        self._global_variables: dict[str, OptimizerVariable] = {}
        self._global_initial: dict[str, Any] = {}
        self.lr_multipliers: dict = {}
        self.built = False
        self._trainable_variables: list[Variable] = []
        self._exclude_from_decay: tuple[set, re.Pattern | None] = (set(), None)
        self._compiled_update = None
        self._transform = self._build_transform()
        self._slot_init = _with_common_slots(self._transform.init, self.use_ema,
                                             bool(self.gradient_accumulation_steps))
        # The update is built (and compiled) from the settings: changing one later would be
        # silently ignored, so it raises (the rate and `lr_multipliers` stay changeable).
        self._hyperparameters = frozenset(self.get_config()) - {"name", "learning_rate"}

    def __setattr__(self, name: str, value) -> None:
        if name in self.__dict__.get("_hyperparameters", ()):
            raise AttributeError(
                f"{type(self).__name__}.{name} is fixed when the optimizer is created (its "
                f"update is built from it); create a new optimizer with {name}={value!r}. "
                "The learning rate and `lr_multipliers` can change during training.")
        super().__setattr__(name, value)

    def _reset_hyperparameter(self, name: str, value) -> None:
        """Change a setting the update reads only when traced (a wrapper's override)."""
        self.__dict__[name] = value
        self.__dict__["_compiled_update"] = None

    # --- hyperparameters --------------------------------------------------------
    @property
    def learning_rate(self):
        """The current rate: a Variable, or the schedule's value at the step count."""
        if self._schedule is not None:
            return self._schedule(self._iterations.value)
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
        rate = float(unwrap(value))
        if not np.isfinite(rate) or rate < 0:
            raise ValueError(f"{type(self).__name__} ({self.name}): `learning_rate` must be a "
                             f"finite number >= 0 or a schedule; got {rate!r}.")
        self._learning_rate.assign(jnp.asarray(rate, jnp.float32))

    @property
    def learning_rate_schedule(self) -> Callable | None:
        """The schedule `step -> rate`, or None when the rate is a number."""
        return self._schedule

    @property
    def iterations(self) -> Variable:
        """The step count. With `gradient_accumulation_steps`, the count of updates (steps
        divided by it, read-only), as Keras; schedules follow the steps."""
        return self._update_count if self._update_count is not None else self._iterations

    def _build_transform(self) -> optax.GradientTransformationExtraArgs:
        raise NotImplementedError(
            f"{type(self).__name__}: an optimizer subclass defines `_build_transform()` (the "
            "update of one variable as an Optax transformation); Keras's `update_step` "
            "subclassing is not supported.")

    def _slot_groups(self) -> list[tuple[str, ...]]:
        """Keras's order of this optimizer's own slots in `variables`: groups created
        together (per variable within a group, then the next group)."""
        return []

    # --- per-variable rates ------------------------------------------------------
    def multiplier_for(self, variable: Variable) -> float:
        """The factor on the learning rate for `variable` (first matching pattern, else 1).

        `lr_multipliers` maps globs on variable paths (`"block1/*"`) or
        compiled regexes to factors; it may change between steps (it is an
        input of the compiled step, not a constant in it).
        """
        for pattern, factor in self.lr_multipliers.items():  # the first match wins
            if path_matches(pattern, variable.path):
                _check_multiplier(factor, variable.path)
                return float(factor)
        return 1.0

    @property
    def lr_multipliers(self) -> dict:
        """Factors on the learning rate by variable path: `{glob or regex: factor >= 0}`."""
        return self.__dict__["_lr_multipliers"]

    @lr_multipliers.setter
    def lr_multipliers(self, value) -> None:
        value = {} if value is None else value
        if not isinstance(value, dict):
            raise ValueError("`lr_multipliers` must be a dict {glob or compiled regex: factor}; "
                             f"got {type(value).__name__}.")
        for pattern, factor in value.items():
            if not isinstance(pattern, (str, re.Pattern)):
                raise ValueError(f"`lr_multipliers` keys are globs on variable paths or compiled "
                                 f"regexes; got the key {pattern!r}.")
            _check_multiplier(factor, pattern)
        self.__dict__["_lr_multipliers"] = value
        self.__dict__["_checked_multipliers"] = None

    def check_lr_multipliers(self, model) -> None:
        """Raise if a pattern of `lr_multipliers` matches no variable of `model` (as
        `freeze("no_such")`), or a factor is not a finite number >= 0; cached while the
        patterns and the model's variables stay the same."""
        if not self.lr_multipliers:
            return
        weights = model.weights
        key = (id(model), tuple(map(id, weights)), tuple(self.lr_multipliers.items()))
        if self.__dict__.get("_checked_multipliers") == key:
            return
        paths = [v.path for v in weights]
        for pattern, factor in self.lr_multipliers.items():
            _check_multiplier(factor, pattern)
            if not any(path_matches(pattern, path) for path in paths):
                raise ValueError(
                    f"`lr_multipliers` pattern {pattern!r} matches no variable path of model "
                    f'"{model.name}". Variable paths look like: '
                    f"{', '.join(paths[:4])}{', ...' if len(paths) > 4 else ''}.")
        self.__dict__["_checked_multipliers"] = key

    def learning_rate_for(self, variable: Variable) -> float:
        """The rate the next step applies to `variable`: base rate times its multiplier."""
        return float(self.learning_rate) * self.multiplier_for(variable)

    def exclude_from_weight_decay(self, var_list: Iterable[Variable] | None = None,
                                  var_names: Iterable[str] | None = None) -> None:
        """Exempt variables from `weight_decay`: those in `var_list`, and those whose path
        contains a match of any of `var_names` (regexes, as Keras). Call it before the
        first step (it is fixed in the compiled step)."""
        if self._slots:
            raise ValueError(f"{type(self).__name__}.exclude_from_weight_decay() must be "
                             "called before the optimizer has slots (its first step or "
                             "build()).")
        names = list(var_names or [])
        self._exclude_from_decay = (set(map(id, var_list or [])),
                                    re.compile("|".join(set(names))) if names else None)

    def _use_weight_decay(self, variable: Variable | None) -> bool:
        if not self.weight_decay:
            return False
        ids, pattern = self._exclude_from_decay
        if variable is None:
            return True
        return id(variable) not in ids and (pattern is None
                                            or pattern.search(variable.path) is None)

    # --- the state: slots per variable ----------------------------------------------
    def build(self, variables: Iterable[Variable]) -> None:
        """Create the slots of those `variables` that have none yet (Keras's `build`).

        The first call also fixes the variables of Keras's API: `apply(grads)`
        without variables and `stateless_apply` take them in this order, and
        `variables` lists their slots first. All slots are made in one compiled
        call: eagerly, each new variable shape would compile its own small XLA
        program (~30 ms each on CPU, paid in the first epoch).
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
                made = _initial_slots(_SlotInit(self), specs)
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
        iterations = jnp.asarray(np.asarray(arrays["iterations"]), jnp.int32)
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

    # --- Keras's API: variables ------------------------------------------------------
    def _add_global_variable(self, name: str, value, dtype) -> OptimizerVariable:
        """State of the optimizer itself (not of a variable): in `variables`, in the state's
        `extra`, saved, restored and reset with the slots."""
        variable = OptimizerVariable(jnp.asarray(value, dtype), name=f"{self.name}/{name}")
        self._global_variables[name] = variable
        self._global_initial[name] = variable.value
        return variable

    def _slot_views(self, variable: Variable) -> list[SlotVariable]:
        """One Variable per slot of `variable` (cached: the same objects every time)."""
        views = self._views.get(variable)
        if views is None:
            flat, _ = jax.tree_util.tree_flatten_with_path(self.slot_spec(variable))
            prefix = f"{self.name}/{variable.path.replace('/', '_')}"
            views = [SlotVariable(self, variable, i, _slot_name(path), prefix)
                     for i, (path, _) in enumerate(flat)]
            self._views[variable] = views
        return views

    def keras_slot_groups(self) -> list[tuple[str, ...]]:
        """Keras's groups of slot names, in the order of Keras's `variables`: each group
        laid out variable by variable (`add_optimizer_variables`)."""
        groups = [(AVERAGE,)] if self.use_ema else []
        if self.gradient_accumulation_steps:
            groups.append((ACCUMULATOR,))
        return groups + list(self._slot_groups())

    @property
    def variables(self) -> list[Variable]:
        """The optimizer's state as Variables, in Keras's order: the step count, the rate
        (unless a schedule), the optimizer's own state, then the slots of the built
        variables (then of any other variable with slots) in Keras's groups, then the
        slots only hoarfrost keeps (per-variable counts), variable by variable.

        Paths are Keras's (`adam/iteration`, `adam/dense_kernel_momentum`). The
        slot Variables are views: assigning one changes the slot.
        """
        out = [self._iterations]
        if self.learning_rate_schedule is None:
            out.append(self._learning_rate)
        out.extend(self._global_variables.values())
        return out + self._slot_variables()

    @contextlib.contextmanager
    def bound_to(self, variables: Iterable[Variable]):
        """For the duration, Keras's API (`variables`, `apply(grads)`, `stateless_apply`)
        is over `variables` only, as if the optimizer had been built with them.

        A custom `train_step` runs inside it with the variables trainable at that
        step: `optimizer_variables` then hold the step count, the rate and those
        variables' slots, so a frozen variable's slots are not even an input.
        """
        variables = list(variables)
        self._build_slots(variables)
        saved = (self._trainable_variables, self.built, self.__dict__.get("_bound"))
        self._trainable_variables, self.built, self._bound = variables, True, True
        inner = getattr(self, "inner_optimizer", None)
        try:
            with inner.bound_to(variables) if inner is not None else contextlib.nullcontext():
                yield self
        finally:
            self._trainable_variables, self.built, self._bound = saved

    def _slot_variables(self) -> list[SlotVariable]:
        self._build_slots(self._trainable_variables)
        others = [] if self.__dict__.get("_bound") else list(self._slots)
        owners = list(dict.fromkeys([v for v in self._trainable_variables] + others))
        views = {v: self._slot_views(v) for v in owners}
        out, placed = [], set()
        for group in self.keras_slot_groups():
            for variable in owners:
                for name in group:
                    for view in views[variable]:
                        if view.slot_name == name:
                            out.append(view)
                            placed.add(id(view))
        for variable in owners:
            out.extend(view for view in views[variable] if id(view) not in placed)
        return out

    def set_weights(self, weights: Sequence) -> None:
        """Set `variables` (in their order) from arrays."""
        variables = self.variables
        if len(weights) != len(variables):
            raise ValueError(f"{type(self).__name__}.set_weights(): got {len(weights)} arrays "
                             f"for {len(variables)} optimizer variables.")
        for variable, weight in zip(variables, weights):
            if tuple(np.shape(weight)) != tuple(variable.shape):
                raise ValueError(f"Optimizer variable '{variable.path}' has shape "
                                 f"{variable.shape}; got an array of shape {np.shape(weight)}.")
        for variable, weight in zip(variables, weights):
            variable.assign(weight)

    def save_own_variables(self, store) -> None:
        """Keras's hook: `store["0"], store["1"], ...` are `variables` in order."""
        for i, variable in enumerate(self.variables):
            store[str(i)] = variable.numpy()

    def load_own_variables(self, store) -> None:
        """Keras's hook: set `variables` from `store["0"], store["1"], ...`."""
        if len(store.keys()) != len(self.variables):
            raise ValueError(f"{type(self).__name__}.load_own_variables(): the store holds "
                             f"{len(store.keys())} arrays; the optimizer has "
                             f"{len(self.variables)} variables.")
        self.set_weights([store[str(i)] for i in range(len(store.keys()))])

    # --- Keras's API: applying gradients ----------------------------------------------
    def apply_gradients(self, grads_and_vars: Iterable) -> Variable:
        """Apply `(gradient, variable)` pairs (see `apply`); returns `iterations`."""
        grads, variables = zip(*grads_and_vars)
        self.apply(list(grads), list(variables))
        return self._iterations

    def apply(self, grads: Sequence, trainable_variables: Sequence[Variable] | None = None,
              *legacy, **legacy_kwargs):
        """Update `trainable_variables` (default: those the optimizer was built with) with
        `grads`, as Keras's `optimizer.apply`: the Variables and the slots change.

        The first call builds the optimizer. A gradient that is None leaves its
        variable (and its slots) alone; variables' constraints apply after the
        update. Inside a `StatelessScope` (as in `stateless_apply`) the reads
        and writes go to the scope.

        The engine's former pure form `apply(grads, values, slots, learning_rate,
        iterations, multipliers=None) -> (values, slots)` is still accepted
        (see `stateless_update`).
        """
        if legacy or legacy_kwargs:
            return self._legacy_apply(grads, trainable_variables, *legacy, **legacy_kwargs)
        grads = list(grads)
        if not grads:
            return None
        if trainable_variables is None:
            if not self.built:
                raise ValueError(f"{type(self).__name__}.apply(): pass the variables, or "
                                 "build the optimizer first: optimizer.build(variables).")
            variables = list(self._trainable_variables)
        else:
            variables = list(trainable_variables)
            if not self.built:
                self.build(variables)
        if len(grads) != len(variables):
            raise ValueError(f"{type(self).__name__}.apply(): {len(grads)} gradients for "
                             f"{len(variables)} variables.")
        missing = [v.path for g, v in zip(grads, variables) if g is None]
        pairs = [(g, v) for g, v in zip(grads, variables) if g is not None]
        if not pairs:
            raise ValueError("No gradients provided for any variable.")
        if missing:
            warnings.warn(f"Gradients do not exist for variables {missing} when minimizing "
                          "the loss; they are left unchanged.", stacklevel=2)
        grads = [unwrap(g) for g, _ in pairs]
        variables = [v for _, v in pairs]
        state = self._read_state(variables)
        multipliers = (jnp.asarray([self.multiplier_for(v) for v in variables], jnp.float32)
                       if self.lr_multipliers else None)
        if self._compiled_update is None:
            self._compiled_update = jax.jit(self.stateless_update)
        values, state = self._compiled_update(grads, [v.value for v in variables], state,
                                              self._constant_rate(), multipliers)
        for i, variable in enumerate(variables):
            constraint = getattr(variable, "constraint", None)
            variable.assign(values[i] if constraint is None else constraint(values[i]))
        self._write_state(state)
        return None

    def _constant_rate(self):
        """The rate a step reads when it is not a schedule (None when it is)."""
        return None if self.learning_rate_schedule is not None else self.learning_rate.value

    def _read_state(self, variables: list[Variable]) -> OptimizerState:
        """The state of `variables`, read through the active `StatelessScope` if any."""
        if current_scope() is None:
            return self.gather_slots(variables)
        self._build_slots(variables)
        slots = []
        for variable in variables:
            treedef = jax.tree.structure(self._slots[variable])
            slots.append(jax.tree.unflatten(
                treedef, [view.value for view in self._slot_views(variable)]))
        return OptimizerState(variables, slots, self._iterations.value,
                              {k: v.value for k, v in self._global_variables.items()})

    def _write_state(self, state: OptimizerState) -> None:
        """Write a state back, into the active `StatelessScope` if any."""
        if current_scope() is None:
            self.scatter_slots(state)
            return
        for variable, slots in zip(state.variables, state.slots):
            for view, leaf in zip(self._slot_views(variable), jax.tree.leaves(slots)):
                view.assign(leaf)
        self._iterations.assign(state.iterations)
        for name, value in (state.extra or {}).items():
            self._global_variables[name].assign(value)

    def stateless_apply(self, optimizer_variables: Sequence, grads: Sequence,
                        trainable_variables: Sequence) -> tuple[list, list]:
        """`apply` as a pure function of values (Keras's JAX API), for use inside `jax.jit`.

        Args:
            optimizer_variables: values of `optimizer.variables`, in order.
            grads: gradients of the variables the optimizer was built with.
            trainable_variables: values of those variables, in order.

        Returns:
            (new trainable values, new optimizer variable values).

        Example:
            >>> optimizer.build(model.trainable_variables)
            >>> state = [v.value for v in optimizer.variables]
            >>> values, state = jax.jit(optimizer.stateless_apply)(state, grads, values)
        """
        if not self.built:
            raise ValueError(f"To call `stateless_apply`, {type(self).__name__} must be built "
                             "(its variables created): optimizer.build(trainable_variables).")
        references = self.variables
        if len(optimizer_variables) != len(references):
            raise ValueError(
                "Argument `optimizer_variables` must be a list of values corresponding 1:1 to "
                f"{type(self).__name__}().variables: got {len(optimizer_variables)}, expected "
                f"{len(references)}.")
        built = self._trainable_variables
        if len(trainable_variables) != len(built):
            raise ValueError(
                "Argument `trainable_variables` must be a list of values corresponding 1:1 to "
                f"the variables the optimizer was built with: got {len(trainable_variables)}, "
                f"expected {len(built)}.")
        values = [unwrap(v) for v in trainable_variables]
        state = [unwrap(v) for v in optimizer_variables]
        with StatelessScope(list(zip(built, values)) + list(zip(references, state))) as scope:
            self.apply(grads)
        return ([scope.updated_value(v, x) for v, x in zip(built, values)],
                [scope.updated_value(v, x) for v, x in zip(references, state)])

    def scale_loss(self, loss):
        """The loss times `loss_scale_factor` (unchanged without one), before gradients."""
        return loss if self.loss_scale_factor is None else loss * self.loss_scale_factor

    def stateless_scale_loss(self, loss, state: OptimizerState):
        """`scale_loss` inside a step, from the step's optimizer state."""
        return self.scale_loss(loss)

    def finalize_variable_values(self, var_list: Iterable[Variable]) -> None:
        """End of training: with `use_ema`, set each variable of `var_list` that has an
        average to it (Keras calls this at the end of `fit` with the trainable weights;
        a variable frozen then is left as it is)."""
        if not self.use_ema:
            return
        for variable in var_list:
            slots = self._slots.get(variable)
            if slots is not None:
                variable.assign(jnp.array(slots[AVERAGE], copy=True))  # not the slot's buffer

    # --- the pure update -----------------------------------------------------------
    def current_rate(self, learning_rate, iterations):
        """The rate inside a step, from the traced hyperparameters."""
        if self.learning_rate_schedule is not None:
            return jnp.asarray(self.learning_rate_schedule(iterations), jnp.float32)
        return learning_rate

    def _clip_gradients(self, grads: list) -> list:
        if self.clipnorm and self.clipnorm > 0:
            return [clipping.clip_by_norm(g, self.clipnorm) for g in grads]
        if self.global_clipnorm and self.global_clipnorm > 0:
            return clipping.clip_by_global_norm(grads, self.global_clipnorm)
        if self.clipvalue and self.clipvalue > 0:
            return [clipping.clip_by_value(g, self.clipvalue) for g in grads]
        return grads

    def stateless_update(self, grads: list, values: list, state: OptimizerState,
                         learning_rate=None, multipliers=None) -> tuple[list, OptimizerState]:
        """One step over `state.variables` (pure; the training step's and `apply`'s core).

        In Keras's order: gradients divided by `loss_scale_factor`, accumulated
        (an update every `gradient_accumulation_steps` steps), clipped; weight
        decay; the optimizer's update; the moving average (and its overwrite);
        the step count. Constraints are the caller's.

        Args:
            grads, values: per variable of the state, in its order.
            state: the variables' slots, the step count, the optimizer's own state.
            learning_rate: the constant rate (ignored with a schedule).
            multipliers: per-variable factors on the rate, or None.

        Returns:
            (new values, new state).
        """
        iterations = state.iterations
        rate = self.current_rate(learning_rate, iterations)
        grads = list(grads)
        if self.loss_scale_factor is not None:
            grads = [g / self.loss_scale_factor for g in grads]
        every = self.gradient_accumulation_steps
        common = (AVERAGE, AVERAGE_COUNT, ACCUMULATOR)
        own_slots = [s if not (self.use_ema or every) else
                     {k: v for k, v in s.items() if k not in common} for s in state.slots]
        raw = grads
        if every:
            is_update = (iterations + 1) % every == 0
            grads = [jnp.where(is_update, (g + s[ACCUMULATOR]) / every, g)
                     for g, s in zip(grads, state.slots)]
        grads = self._clip_gradients(grads)
        new_values, new_own = [], []
        for i, (grad, value, slots) in enumerate(zip(grads, values, own_slots)):
            lr = rate if multipliers is None else rate * multipliers[i]
            decayed = value
            if self._use_weight_decay(state.variables[i]):
                decayed = value - value * self.weight_decay * jnp.asarray(lr, value.dtype)
            update, new_slots = self._transform.update(grad, slots, decayed, learning_rate=lr)
            new_value = (decayed + update).astype(value.dtype)
            if every:  # keep the old ones on an accumulating step
                new_value = jnp.where(is_update, new_value, value)
                new_slots = jax.tree.map(lambda n, o: jnp.where(is_update, n, o),
                                         new_slots, slots)
            new_values.append(new_value)
            new_own.append(new_slots)
        if not (self.use_ema or every):
            return new_values, state.replace(slots=new_own, iterations=iterations + 1)
        new_states = []
        updates = iterations // every if every else iterations  # Keras's `iterations`
        for i, (value, slots, own) in enumerate(zip(list(new_values), state.slots, new_own)):
            new = {}
            if self.use_ema:
                seen = slots[AVERAGE_COUNT]
                momentum = (seen != 0).astype(value.dtype) * self.ema_momentum
                average = momentum * slots[AVERAGE] + (1 - momentum) * value
                new[AVERAGE] = average
                new[AVERAGE_COUNT] = seen + (is_update.astype(seen.dtype) if every else 1)
                if self.ema_overwrite_frequency:
                    overwrite = (updates + 1) % self.ema_overwrite_frequency == 0
                    new_values[i] = jnp.where(overwrite, average, value)
            if every:
                new[ACCUMULATOR] = jnp.where(is_update, jnp.zeros_like(slots[ACCUMULATOR]),
                                             slots[ACCUMULATOR] + raw[i])
            new_states.append({**new, **own})
        return new_values, state.replace(slots=new_states, iterations=iterations + 1)

    def _legacy_apply(self, grads, values, slots, learning_rate, iterations, multipliers=None):
        """The engine's former pure `apply(grads, values, slots, learning_rate, iterations,
        multipliers)` -> (new values, new slots), on `stateless_update`."""
        state = OptimizerState([None] * len(values), slots, iterations, {})
        new_values, state = self.stateless_update(grads, values, state, learning_rate,
                                                  multipliers)
        return new_values, state.slots

    # --- config ----------------------------------------------------------------------
    def get_config(self) -> dict[str, Any]:
        """Keras's config: the name, the rate (a number or a serialised schedule) and the
        common arguments; subclasses add theirs."""
        config = {"name": self.name}
        if self._schedule is None:
            config["learning_rate"] = float(self._learning_rate.numpy())
        elif isinstance(self._schedule, schedules.LearningRateSchedule):
            config["learning_rate"] = schedules.serialize(self._schedule)
        config.update({
            "weight_decay": self.weight_decay, "clipnorm": self.clipnorm,
            "global_clipnorm": self.global_clipnorm, "clipvalue": self.clipvalue,
            "use_ema": self.use_ema, "ema_momentum": self.ema_momentum,
            "ema_overwrite_frequency": self.ema_overwrite_frequency,
            "loss_scale_factor": self.loss_scale_factor,
            "gradient_accumulation_steps": self.gradient_accumulation_steps})
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        if isinstance(config.get("learning_rate"), dict):  # a serialised schedule
            config["learning_rate"] = schedules.deserialize(config["learning_rate"],
                                                            custom_objects)
        return cls(**config)


def _check_multiplier(factor, where) -> None:
    """A learning-rate factor must be a finite number >= 0."""
    try:
        value = float(factor)
    except (TypeError, ValueError):
        value = float("nan")
    if not np.isfinite(value) or value < 0:
        raise ValueError(f"`lr_multipliers` factors must be finite numbers >= 0; got {factor!r} "
                         f"for {where!r}.")
