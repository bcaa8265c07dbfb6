"""A minimal stand-in for `hoarfrost.optimizers.LossScaleOptimizer`, for tests only.

It follows the contract of `hoarfrost.mixed_precision.loss_scaling` with
Keras's arithmetic: `scale_loss` multiplies by `dynamic_scale`; `apply`
divides the gradients by it, updates through the wrapped optimizer when all
are finite (the scale doubles after `dynamic_growth_steps` such steps) and
otherwise keeps every value and slot, halving the scale. Everything else is
the wrapped optimizer's.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from hoarfrost import optimizers
from hoarfrost.variables import Variable


def fake_loss_scale_optimizer():
    class LossScaleOptimizer(optimizers.Optimizer):
        def __init__(self, inner_optimizer, initial_scale=2.0 ** 15,
                     dynamic_growth_steps: int = 2000, name=None):
            object.__setattr__(self, "inner_optimizer", inner_optimizer)
            self.name = name or "loss_scale_optimizer"
            self.initial_scale = float(initial_scale)
            self.dynamic_growth_steps = int(dynamic_growth_steps)
            self.step_counter = Variable(jnp.zeros((), jnp.int32), "step_counter",
                                         trainable=False)
            self.dynamic_scale = Variable(jnp.asarray(initial_scale, jnp.float32),
                                          "dynamic_scale", trainable=False)

        def __getattr__(self, name):  # only for what this class does not define itself
            return getattr(self.__dict__["inner_optimizer"], name)

        def scale_loss(self, loss):
            return loss * self.dynamic_scale.value

        def apply(self, grads, values, slots, learning_rate, iterations, multipliers=None):
            scale = self.dynamic_scale.value
            finite = jnp.all(jnp.stack([jnp.all(jnp.isfinite(g)) for g in grads]))
            new_values, new_slots = self.inner_optimizer.apply(
                [g / scale for g in grads], values, slots, learning_rate, iterations,
                multipliers)
            keep = lambda new, old: jnp.where(finite, new, old)  # noqa: E731
            new_values = [keep(n, o) for n, o in zip(new_values, values)]
            new_slots = jax.tree.map(keep, new_slots, list(slots))
            counter = self.step_counter.value
            grow = finite & (counter == self.dynamic_growth_steps - 1)
            self.dynamic_scale.assign(
                jnp.where(finite, jnp.where(grow, scale * 2.0, scale), scale * 0.5))
            self.step_counter.assign(jnp.where(finite & ~grow, counter + 1, 0))
            return new_values, new_slots

    return LossScaleOptimizer
