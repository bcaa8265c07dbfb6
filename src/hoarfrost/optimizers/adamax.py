"""Adamax: Adam with the infinity norm."""

from __future__ import annotations

import jax.numpy as jnp
import optax

from hoarfrost.optimizers.base_optimizer import Optimizer


def keras_adamax(beta_1: float = 0.9, beta_2: float = 0.999, epsilon: float = 1e-7
                 ) -> optax.GradientTransformationExtraArgs:
    """Keras's Adamax update for one variable, as an Optax transformation.

    Not Optax's `scale_by_adamax`, which adds epsilon inside the running maximum;
    Keras adds it to the maximum afterwards.
    """

    def init(param):
        return {"momentum": jnp.zeros_like(param), "norm": jnp.zeros_like(param),
                "count": jnp.zeros((), jnp.int32)}

    def update(grad, state, param=None, *, learning_rate, **extra_args):
        count = state["count"] + 1
        beta_1_power = jnp.power(jnp.asarray(beta_1, grad.dtype), count.astype(grad.dtype))
        m = state["momentum"] + (grad - state["momentum"]) * (1 - beta_1)
        u = jnp.maximum(beta_2 * state["norm"], jnp.abs(grad))
        step = (learning_rate * m) / ((1 - beta_1_power) * (u + epsilon))
        return -step, {"momentum": m, "norm": u, "count": count}

    return optax.GradientTransformationExtraArgs(init, update)


class Adamax(Optimizer):
    """Adamax: Adam with the infinity norm (Keras's defaults, formula and slot names)."""

    def __init__(self, learning_rate=0.001, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-7, **kwargs):
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon
        super().__init__(learning_rate=learning_rate, **kwargs)

    def _build_transform(self):
        return keras_adamax(self.beta_1, self.beta_2, self.epsilon)

    def _slot_groups(self):
        return [("momentum", "norm")]

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2,
                "epsilon": self.epsilon}
