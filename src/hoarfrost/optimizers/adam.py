"""Adam, with Keras's defaults and formula."""

from __future__ import annotations

import jax.numpy as jnp
import optax

from hoarfrost.optimizers.base_optimizer import Optimizer, descend


def scale_by_keras_adam(beta_1: float, beta_2: float, epsilon: float,
                        amsgrad: bool = False) -> optax.GradientTransformation:
    """Adam's direction exactly as Keras computes it (epsilon outside the bias fix).

    Each variable counts its own steps (`count`), so the bias correction of a
    variable that was frozen for a while continues where it stopped.
    """

    def init(param):
        state = {"count": jnp.zeros((), jnp.int32), "momentum": jnp.zeros_like(param),
                 "velocity": jnp.zeros_like(param)}
        if amsgrad:
            state["velocity_hat"] = jnp.zeros_like(param)
        return state

    def update(grad, state, param=None):
        count = state["count"] + 1
        t = count.astype(jnp.float32)
        m = state["momentum"] + (grad - state["momentum"]) * (1 - beta_1)
        v = state["velocity"] + (jnp.square(grad) - state["velocity"]) * (1 - beta_2)
        new = {"count": count, "momentum": m, "velocity": v}
        if amsgrad:
            v = new["velocity_hat"] = jnp.maximum(state["velocity_hat"], v)
        correction = jnp.sqrt(1 - beta_2 ** t) / (1 - beta_1 ** t)
        return correction * m / (jnp.sqrt(v) + epsilon), new

    return optax.GradientTransformation(init, update)


class Adam(Optimizer):
    """Adam, with Keras's defaults (`epsilon=1e-7`) and formula."""

    def __init__(self, learning_rate=0.001, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-7, amsgrad: bool = False, **kwargs):
        self.beta_1, self.beta_2, self.epsilon, self.amsgrad = beta_1, beta_2, epsilon, amsgrad
        super().__init__(learning_rate=learning_rate, **kwargs)

    def _build_transform(self):
        return descend(scale_by_keras_adam(self.beta_1, self.beta_2, self.epsilon, self.amsgrad))

    def _slot_groups(self):
        return [("momentum", "velocity"), ("velocity_hat",)]

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2,
                "epsilon": self.epsilon, "amsgrad": self.amsgrad}
