"""FTRL-Proximal ("Follow The Regularized Leader"), with Keras's L1/L2 terms."""

from __future__ import annotations

import jax.numpy as jnp
import optax

from hoarfrost.optimizers.base_optimizer import Optimizer


def keras_ftrl(learning_rate_power: float = -0.5, initial_accumulator_value: float = 0.1,
               l1: float = 0.0, l2: float = 0.0, l2_shrinkage: float = 0.0, beta: float = 0.0
               ) -> optax.GradientTransformationExtraArgs:
    """Keras's FTRL update for one variable, as an Optax transformation (Optax has none).

    FTRL computes the new value outright from its `linear` slot; the update is
    that value minus the current one.
    """

    def init(param):
        return {"accumulator": jnp.full_like(param, initial_accumulator_value),
                "linear": jnp.zeros_like(param)}

    def update(grad, state, param=None, *, learning_rate, **extra_args):
        accum, linear = state["accumulator"], state["linear"]
        l2_reg = l2 + beta / (2.0 * learning_rate)
        grad_to_use = grad + 2 * l2_shrinkage * param
        new_accum = accum + jnp.square(grad)
        linear = linear + (grad_to_use - (jnp.power(new_accum, -learning_rate_power)
                                          - jnp.power(accum, -learning_rate_power))
                           / learning_rate * param)
        quadratic = jnp.power(new_accum, -learning_rate_power) / learning_rate + 2 * l2_reg
        new_value = (jnp.clip(linear, -l1, l1) - linear) / quadratic
        return new_value - param, {"accumulator": new_accum, "linear": linear}

    return optax.GradientTransformationExtraArgs(init, update)


class Ftrl(Optimizer):
    """FTRL-Proximal (Keras's arguments, defaults, formula and slot names).

    Args:
        learning_rate_power: <= 0; how the rate falls as the accumulator grows
            (-0.5: as its inverse square root; 0: a constant rate).
        initial_accumulator_value: >= 0, the accumulators' starting value.
        l1_regularization_strength, l2_regularization_strength: >= 0.
        l2_shrinkage_regularization_strength: >= 0; a magnitude penalty on the
            gradient (the plain L2 one is on the loss).
        beta: >= 0; adds `beta / (2 * learning_rate)` to the L2 strength.
    """

    def __init__(self, learning_rate=0.001, learning_rate_power: float = -0.5,
                 initial_accumulator_value: float = 0.1,
                 l1_regularization_strength: float = 0.0,
                 l2_regularization_strength: float = 0.0,
                 l2_shrinkage_regularization_strength: float = 0.0, beta: float = 0.0,
                 **kwargs):
        for name, value, rule in (
                ("initial_accumulator_value", initial_accumulator_value, "positive or zero"),
                ("learning_rate_power", -learning_rate_power, "negative or zero"),
                ("l1_regularization_strength", l1_regularization_strength, "positive or zero"),
                ("l2_regularization_strength", l2_regularization_strength, "positive or zero"),
                ("l2_shrinkage_regularization_strength", l2_shrinkage_regularization_strength,
                 "positive or zero")):
            if value < 0:
                raise ValueError(f"Ftrl: `{name}` needs to be {rule}; got "
                                 f"{-value if name == 'learning_rate_power' else value!r}.")
        self.learning_rate_power = learning_rate_power
        self.initial_accumulator_value = initial_accumulator_value
        self.l1_regularization_strength = l1_regularization_strength
        self.l2_regularization_strength = l2_regularization_strength
        self.l2_shrinkage_regularization_strength = l2_shrinkage_regularization_strength
        self.beta = beta
        super().__init__(learning_rate=learning_rate, **kwargs)

    def _build_transform(self):
        return keras_ftrl(self.learning_rate_power, self.initial_accumulator_value,
                          self.l1_regularization_strength, self.l2_regularization_strength,
                          self.l2_shrinkage_regularization_strength, self.beta)

    def _slot_groups(self):
        return [("accumulator", "linear")]

    def get_config(self):
        return {**super().get_config(),
                "learning_rate_power": self.learning_rate_power,
                "initial_accumulator_value": self.initial_accumulator_value,
                "l1_regularization_strength": self.l1_regularization_strength,
                "l2_regularization_strength": self.l2_regularization_strength,
                "l2_shrinkage_regularization_strength":
                    self.l2_shrinkage_regularization_strength,
                "beta": self.beta}
