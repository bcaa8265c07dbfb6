"""Learning-rate schedules with Keras's names, arguments and formulas.

A schedule is a callable `step -> rate`, evaluated inside the compiled step at
the optimizer's `iterations` (0 for the first step), so a changing rate costs
no recompilation. Unlike a bare function (or an Optax schedule, also
accepted), these serialise: a saved model keeps its schedule.

    >>> lr = ExponentialDecay(1e-3, decay_steps=1000, decay_rate=0.9)
    >>> model.compile(optimizer=hoarfrost.optimizers.Adam(lr), loss="mse")
"""

from __future__ import annotations

import math
from typing import Any

import jax.numpy as jnp

from hoarfrost.object_registration import get_registered_object

__all__ = ["LearningRateSchedule", "ExponentialDecay", "PiecewiseConstantDecay",
           "PolynomialDecay", "InverseTimeDecay", "CosineDecay", "CosineDecayRestarts",
           "serialize", "deserialize"]


def _positive(owner: str, name: str, value) -> None:
    if not value > 0:
        raise ValueError(f"{owner}: argument `{name}` must be > 0; received {name}={value!r}.")


class LearningRateSchedule:
    """Base class: override `__call__(step)` and `get_config()` (as in Keras)."""

    def __call__(self, step):
        raise NotImplementedError(
            f"Learning rate schedule '{type(self).__name__}' must override `__call__(self, step)`.")

    def get_config(self) -> dict[str, Any]:
        raise NotImplementedError(
            f"Learning rate schedule '{type(self).__name__}' must override `get_config()` in "
            "order to be serializable.")

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class _StepDecay(LearningRateSchedule):
    """Shared by the decays of `step / decay_steps` (floored if `staircase`)."""

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False,
                 name=None):
        _positive(type(self).__name__, "decay_steps", decay_steps)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps, self.decay_rate = decay_steps, decay_rate
        self.staircase, self.name = staircase, name or type(self).__name__

    def _progress(self, step):
        p = jnp.asarray(step, jnp.float32) / self.decay_steps
        return jnp.floor(p) if self.staircase else p

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "decay_rate": self.decay_rate,
                "staircase": self.staircase, "name": self.name}


class ExponentialDecay(_StepDecay):
    """`initial_learning_rate * decay_rate ** (step / decay_steps)` (floored if `staircase`)."""

    def __call__(self, step):
        return self.initial_learning_rate * jnp.power(jnp.float32(self.decay_rate),
                                                      self._progress(step))


class PiecewiseConstantDecay(LearningRateSchedule):
    """`values[0]` while `step <= boundaries[0]`, `values[i]` up to `boundaries[i]`, then the last."""

    def __init__(self, boundaries, values, name="PiecewiseConstant"):
        if len(boundaries) != len(values) - 1:
            raise ValueError(
                "PiecewiseConstantDecay: the length of `boundaries` should be 1 less than the "
                f"length of `values`; received boundaries of length {len(boundaries)} and "
                f"values of length {len(values)}.")
        self.boundaries, self.values, self.name = list(boundaries), list(values), name

    def __call__(self, step):
        index = jnp.searchsorted(jnp.asarray(self.boundaries), jnp.asarray(step), side="left")
        return jnp.asarray(self.values, jnp.float32)[index]

    def get_config(self):
        return {"boundaries": self.boundaries, "values": self.values, "name": self.name}


class PolynomialDecay(LearningRateSchedule):
    """From `initial_learning_rate` to `end_learning_rate` along `(1 - step/decay_steps)**power`."""

    def __init__(self, initial_learning_rate, decay_steps, end_learning_rate=0.0001, power=1.0,
                 cycle=False, name="PolynomialDecay"):
        _positive("PolynomialDecay", "decay_steps", decay_steps)
        self.initial_learning_rate, self.decay_steps = initial_learning_rate, decay_steps
        self.end_learning_rate, self.power = end_learning_rate, power
        self.cycle, self.name = cycle, name

    def __call__(self, step):
        step = jnp.asarray(step, jnp.float32)
        decay_steps = jnp.float32(self.decay_steps)
        if self.cycle:  # the first multiple of decay_steps above step (1 at step 0)
            decay_steps = decay_steps * jnp.where(step == 0, 1.0,
                                                  jnp.ceil(step / self.decay_steps))
        else:
            step = jnp.minimum(step, decay_steps)
        p = step / decay_steps
        return ((self.initial_learning_rate - self.end_learning_rate)
                * jnp.power(1 - p, self.power) + self.end_learning_rate)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "end_learning_rate": self.end_learning_rate,
                "power": self.power, "cycle": self.cycle, "name": self.name}


class InverseTimeDecay(_StepDecay):
    """`initial_learning_rate / (1 + decay_rate * step / decay_steps)` (floored if `staircase`)."""

    def __call__(self, step):
        return self.initial_learning_rate / (1.0 + self.decay_rate * self._progress(step))


def _cosine(fraction, alpha):
    return (1 - alpha) * 0.5 * (1.0 + jnp.cos(jnp.float32(math.pi) * fraction)) + alpha


class CosineDecay(LearningRateSchedule):
    """Cosine decay to `alpha * rate` over `decay_steps`, after an optional linear warmup
    from `initial_learning_rate` to `warmup_target` over `warmup_steps`."""

    def __init__(self, initial_learning_rate, decay_steps, alpha=0.0, name="CosineDecay",
                 warmup_target=None, warmup_steps=0):
        _positive("CosineDecay", "decay_steps", decay_steps)
        self.initial_learning_rate, self.decay_steps, self.alpha = (
            initial_learning_rate, decay_steps, alpha)
        self.name, self.warmup_target, self.warmup_steps = name, warmup_target, warmup_steps

    def __call__(self, step):
        step = jnp.asarray(step, jnp.float32)
        if self.warmup_target is None:
            step = jnp.minimum(step, self.decay_steps)
            return self.initial_learning_rate * _cosine(step / self.decay_steps, self.alpha)
        step = jnp.minimum(step, self.decay_steps + self.warmup_steps)
        warm = (self.initial_learning_rate + (self.warmup_target - self.initial_learning_rate)
                * step / max(self.warmup_steps, 1e-30))
        decayed = self.warmup_target * _cosine((step - self.warmup_steps) / self.decay_steps,
                                               self.alpha)
        return jnp.where(step < self.warmup_steps, warm, decayed)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "alpha": self.alpha, "name": self.name,
                "warmup_target": self.warmup_target, "warmup_steps": self.warmup_steps}


class CosineDecayRestarts(LearningRateSchedule):
    """Cosine decay with warm restarts (SGDR): each period `t_mul` times longer, its peak
    `m_mul` times lower."""

    def __init__(self, initial_learning_rate, first_decay_steps, t_mul=2.0, m_mul=1.0,
                 alpha=0.0, name="SGDRDecay"):
        _positive("CosineDecayRestarts", "first_decay_steps", first_decay_steps)
        self.initial_learning_rate, self.first_decay_steps = (
            initial_learning_rate, first_decay_steps)
        self._t_mul, self._m_mul, self.alpha, self.name = t_mul, m_mul, alpha, name

    def __call__(self, step):
        fraction = jnp.asarray(step, jnp.float32) / self.first_decay_steps
        t_mul = jnp.float32(self._t_mul)
        if self._t_mul == 1.0:
            restart = jnp.floor(fraction)
            fraction = fraction - restart
        else:
            restart = jnp.floor(jnp.log(1.0 - fraction * (1.0 - t_mul)) / jnp.log(t_mul))
            done = (1.0 - jnp.power(t_mul, restart)) / (1.0 - t_mul)
            fraction = (fraction - done) / jnp.power(t_mul, restart)
        peak = jnp.power(jnp.float32(self._m_mul), restart)
        cosine = 0.5 * peak * (1.0 + jnp.cos(jnp.float32(math.pi) * fraction))
        return self.initial_learning_rate * ((1 - self.alpha) * cosine + self.alpha)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate,
                "first_decay_steps": self.first_decay_steps, "t_mul": self._t_mul,
                "m_mul": self._m_mul, "alpha": self.alpha, "name": self.name}


def serialize(schedule: LearningRateSchedule) -> dict:
    """`{"class_name", "config"}` (as Keras writes it in an optimizer's config)."""
    return {"module": "hoarfrost.optimizers.schedules", "class_name": type(schedule).__name__,
            "config": schedule.get_config(),
            "registered_name": getattr(type(schedule), "_registered_name", None)}


def deserialize(config: dict, custom_objects=None) -> LearningRateSchedule:
    """A schedule from `serialize`'s dict (a Keras-written one too)."""
    cls = (get_registered_object(config["class_name"], custom_objects)
           or (config.get("registered_name")
               and get_registered_object(config["registered_name"], custom_objects))
           or globals().get(config["class_name"]))
    if cls is None or not (isinstance(cls, type) and issubclass(cls, LearningRateSchedule)):
        raise ValueError(
            f"Unknown learning rate schedule {config['class_name']!r}; pass it in "
            "custom_objects or register it with @hoarfrost.saving.register_keras_serializable().")
    return cls.from_config(config["config"])
