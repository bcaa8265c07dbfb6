"""The optimizer base class: hyperparameters, per-variable rates, the pure update, config.

`Optimizer` is built from three modules beside this one: `slot_store`
(`SlotStore`, the slots each variable has and the state API: `gather_slots` /
`scatter_slots`, `snapshot` / `restore`, `save_state` / `load_state`,
`reset_slots`, and `OptimizerState`), `keras_api` (`KerasOptimizerAPI`:
`variables`, `apply`, `apply_gradients`, `stateless_apply`, Keras's saving
hooks) and `transforms` (the Optax pieces every optimizer shares: `descend`,
`keras_named`, the slots of `use_ema` and `gradient_accumulation_steps`).
Here: the arguments every Keras optimizer takes (`weight_decay`, the clipping
ones, `use_ema`, `gradient_accumulation_steps`, `loss_scale_factor`), the
learning rate and its per-variable multipliers, and `stateless_update`, the
step's pure update.
"""

from __future__ import annotations

import re
from typing import Any, Callable, Iterable

import jax
import jax.numpy as jnp
import numpy as np
import optax

from hoarfrost.naming import path_matches, to_snake_case, unique_name
from hoarfrost.optimizers import clipping, schedules
from hoarfrost.optimizers.keras_api import KerasOptimizerAPI
from hoarfrost.optimizers.optimizer_variables import (DerivedCount, OptimizerVariable,
                                                      SlotVariable)
# OptimizerState, _slot_name, descend and keras_named are also imported from here (the
# optimizers and the savers), as before the split.
from hoarfrost.optimizers.slot_store import OptimizerState, _slot_name  # noqa: F401
from hoarfrost.optimizers.transforms import (ACCUMULATOR, AVERAGE, AVERAGE_COUNT,  # noqa: F401
                                             _with_common_slots, descend, keras_named)
from hoarfrost.variables import Variable, unwrap


#: hoarfrost's own optimizer classes by name; each registers itself as it is defined.
_BUILT_IN: dict[str, type] = {}


def built_in_optimizers() -> dict[str, type]:
    """hoarfrost's optimizer classes by name (those defined so far)."""
    return dict(_BUILT_IN)


class Optimizer(KerasOptimizerAPI):
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
        self._iterations = OptimizerVariable(np.zeros((), np.int32),
                                             name=f"{self.name}/iteration")
        self._update_count = (DerivedCount(self._iterations, self.gradient_accumulation_steps,
                                           f"{self.name}/iteration")
                              if self.gradient_accumulation_steps else None)
        self._schedule: Callable | None = None
        self._learning_rate = OptimizerVariable(np.zeros((), np.float32),
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
        self._learning_rate.assign(np.asarray(rate, np.float32))

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
