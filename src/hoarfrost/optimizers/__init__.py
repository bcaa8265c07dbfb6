"""Optimizers with Keras's names and defaults, built from Optax transforms.

Slots (moments, momentum, step count) are kept *per variable*, keyed by the
variable itself. A training step gathers the slots of the variables that are
trainable at that moment and scatters them back; a frozen variable's slots
are never read or written, so they stay bit-identical, and unfreezing resumes
from them. Calling `compile()` again with the same optimizer keeps them.
"""

from __future__ import annotations

import functools
from typing import Any, Callable

import jax
import jax.numpy as jnp
import numpy as np
import optax

from hoarfrost.optimizers import schedules
from hoarfrost.variables import Variable


def scale_by_keras_adam(beta_1: float, beta_2: float, epsilon: float,
                        amsgrad: bool = False) -> optax.GradientTransformation:
    """Adam's direction exactly as Keras computes it (epsilon outside the bias fix)."""

    def init(param):
        state = {"count": jnp.zeros((), jnp.int32), "m": jnp.zeros_like(param),
                 "v": jnp.zeros_like(param)}
        if amsgrad:
            state["v_hat"] = jnp.zeros_like(param)
        return state

    def update(grad, state, param=None):
        count = state["count"] + 1
        t = count.astype(jnp.float32)
        m = state["m"] + (grad - state["m"]) * (1 - beta_1)
        v = state["v"] + (jnp.square(grad) - state["v"]) * (1 - beta_2)
        new = {"count": count, "m": m, "v": v}
        if amsgrad:
            v = new["v_hat"] = jnp.maximum(state["v_hat"], v)
        correction = jnp.sqrt(1 - beta_2 ** t) / (1 - beta_1 ** t)
        return correction * m / (jnp.sqrt(v) + epsilon), new

    return optax.GradientTransformation(init, update)



class _SlotInit:
    """An optimizer's slot initializer, equal to any other of the same kind and settings
    (so models compiled alike share one compiled initializer)."""

    def __init__(self, optimizer):
        self.init = optimizer._direction.init
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

class Optimizer:
    """Base class: a per-variable Optax direction, scaled by the learning rate.

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
        from hoarfrost.naming import to_snake_case
        self.name = name or to_snake_case(type(self).__name__)
        self.weight_decay = weight_decay
        self.clipnorm, self.clipvalue, self.global_clipnorm = clipnorm, clipvalue, global_clipnorm
        self.iterations = Variable(jnp.zeros((), jnp.int32), name="iterations", trainable=False)
        self.iterations._path = f"{self.name}/iterations"
        self._schedule: Callable | None = None
        self._learning_rate = Variable(jnp.zeros((), jnp.float32), name="learning_rate",
                                       trainable=False)
        self._learning_rate._path = f"{self.name}/learning_rate"
        self.learning_rate = learning_rate
        self._slots: dict[Variable, Any] = {}
        self.lr_multipliers: dict = {}
        self._direction = self._build_direction()

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

    def _build_direction(self) -> optax.GradientTransformation:
        raise NotImplementedError

    # --- per-variable rates ------------------------------------------------------
    def multiplier_for(self, variable: Variable) -> float:
        """The factor on the learning rate for `variable` (first matching pattern, else 1).

        `lr_multipliers` maps globs on variable paths (`"block1/*"`) or
        compiled regexes to factors; it may change between steps (it is an
        input of the compiled step, not a constant in it).
        """
        from hoarfrost.selectors import first_match
        factor = first_match(self.lr_multipliers, variable.path)
        return 1.0 if factor is None else float(factor)

    def learning_rate_for(self, variable: Variable) -> float:
        """The rate the next step applies to `variable`: base rate times its multiplier."""
        return float(self.learning_rate) * self.multiplier_for(variable)

    # --- slots -----------------------------------------------------------------
    def slots_for(self, variable: Variable):
        """The slots of a variable, created at first use."""
        return self.slots_of([variable])[0]

    def slots_of(self, variables) -> list:
        """The slots of each of `variables`; the missing ones made in one compiled call.

        Eagerly, each new variable shape would compile its own small XLA
        program (~30 ms each on CPU, paid in the first epoch).
        """
        missing = [v for v in dict.fromkeys(variables) if v not in self._slots]
        if missing:
            specs = tuple((tuple(v.shape), jnp.dtype(v.dtype).name) for v in missing)
            for variable, slots in zip(missing, _initial_slots(_SlotInit(self), specs)):
                self._slots[variable] = slots
        return [self._slots[v] for v in variables]

    def reset_slots(self, variables=None) -> None:
        """Forget slots (all, or those of `variables`) for a fresh start."""
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

        Returns (new values, new slots).
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
            new_value, slot = self._update_variable(grad, value, slot, lr)
            new_values.append(new_value.astype(value.dtype))
            new_slots.append(slot)
        return new_values, new_slots

    def _update_variable(self, grad, value, slot, lr):
        """One variable's update: `value - lr * direction` by default."""
        direction, slot = self._direction.update(grad, slot, value)
        return value - lr * direction, slot

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


class SGD(Optimizer):
    """Gradient descent with optional (Nesterov) momentum.

    Example:
        >>> opt = SGD(learning_rate=0.01, momentum=0.9, nesterov=True)
    """

    def __init__(self, learning_rate=0.01, momentum: float = 0.0, nesterov: bool = False, **kwargs):
        if not 0 <= momentum <= 1:
            raise ValueError(f"SGD: `momentum` must be in [0, 1], got {momentum!r}.")
        self.momentum, self.nesterov = float(momentum), bool(nesterov)
        super().__init__(learning_rate=learning_rate, **kwargs)

    def _build_direction(self):
        if self.momentum == 0:
            return optax.identity()
        return optax.GradientTransformation(
            lambda param: {"momentum": jnp.zeros_like(param)}, None)

    def _update_variable(self, grad, value, slot, lr):
        if self.momentum == 0:
            return value - lr * grad, slot
        # Keras's form: the rate is folded into the velocity at each step, so a
        # changing rate (a schedule) affects only the steps after the change.
        velocity = self.momentum * slot["momentum"] - lr * grad
        if self.nesterov:
            return value + self.momentum * velocity - lr * grad, {"momentum": velocity}
        return value + velocity, {"momentum": velocity}

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}


class Adam(Optimizer):
    """Adam, with Keras's defaults (`epsilon=1e-7`) and formula."""

    def __init__(self, learning_rate=0.001, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-7, amsgrad: bool = False, **kwargs):
        self.beta_1, self.beta_2, self.epsilon, self.amsgrad = beta_1, beta_2, epsilon, amsgrad
        super().__init__(learning_rate=learning_rate, **kwargs)

    def _build_direction(self):
        return scale_by_keras_adam(self.beta_1, self.beta_2, self.epsilon, self.amsgrad)

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2,
                "epsilon": self.epsilon, "amsgrad": self.amsgrad}


class AdamW(Adam):
    """Adam with decoupled weight decay (Keras's default `weight_decay=0.004`)."""

    def __init__(self, learning_rate=0.001, weight_decay: float = 0.004, **kwargs):
        super().__init__(learning_rate=learning_rate, weight_decay=weight_decay, **kwargs)


class RMSprop(Optimizer):
    """RMSprop: divide the gradient by a running root-mean-square."""

    def __init__(self, learning_rate=0.001, rho: float = 0.9, momentum: float = 0.0,
                 epsilon: float = 1e-7, centered: bool = False, **kwargs):
        self.rho, self.momentum, self.epsilon, self.centered = rho, momentum, epsilon, centered
        super().__init__(learning_rate=learning_rate, **kwargs)

    def _build_direction(self):
        def init(param):
            slot = {"velocity": jnp.zeros_like(param)}
            if self.centered:
                slot["average_gradient"] = jnp.zeros_like(param)
            if self.momentum:
                slot["momentum"] = jnp.zeros_like(param)
            return slot

        return optax.GradientTransformation(init, None)

    def _update_variable(self, grad, value, slot, lr):
        # Keras's RMSprop: the rate enters the momentum, as in SGD.
        rho = self.rho
        new = {"velocity": rho * slot["velocity"] + (1 - rho) * jnp.square(grad)}
        denominator = new["velocity"]
        if self.centered:
            new["average_gradient"] = rho * slot["average_gradient"] + (1 - rho) * grad
            denominator = denominator - jnp.square(new["average_gradient"])
        increment = lr * grad * jax.lax.rsqrt(denominator + self.epsilon)
        if self.momentum:
            new["momentum"] = self.momentum * slot["momentum"] + increment
            return value - new["momentum"], new
        return value - increment, new

    def get_config(self):
        return {**super().get_config(), "rho": self.rho, "momentum": self.momentum,
                "epsilon": self.epsilon, "centered": self.centered}


class Adagrad(Optimizer):
    """Adagrad: per-element rates from the sum of squared gradients."""

    def __init__(self, learning_rate=0.001, initial_accumulator_value: float = 0.1,
                 epsilon: float = 1e-7, **kwargs):
        self.initial_accumulator_value, self.epsilon = initial_accumulator_value, epsilon
        super().__init__(learning_rate=learning_rate, **kwargs)

    def _build_direction(self):
        return optax.scale_by_rss(initial_accumulator_value=self.initial_accumulator_value,
                                  eps=self.epsilon)

    def get_config(self):
        return {**super().get_config(), "initial_accumulator_value": self.initial_accumulator_value,
                "epsilon": self.epsilon}


_CLASSES = {c.__name__: c for c in (SGD, Adam, AdamW, RMSprop, Adagrad)}


def get(identifier) -> Optimizer:
    """Resolve an optimizer from an instance, a class, a config or a name (any case)."""
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Optimizer):
        return identifier()
    if isinstance(identifier, str):
        cls = {k.lower(): v for k, v in _CLASSES.items()}.get(identifier.lower())
        if cls is not None:
            return cls()
    if isinstance(identifier, dict) and identifier.get("class_name") in _CLASSES:
        return _CLASSES[identifier["class_name"]].from_config(identifier.get("config", {}))
    raise ValueError(
        f"Unknown optimizer {identifier!r}. Expected an Optimizer or one of (any case): "
        f"{', '.join(sorted(_CLASSES))}."
    )


def serialize(optimizer: Optimizer) -> dict | None:
    if type(optimizer) in _CLASSES.values():
        return {"class_name": type(optimizer).__name__, "config": optimizer.get_config()}
    return None
