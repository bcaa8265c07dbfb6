"""RMSprop, with Keras's momentum and centering."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import optax

from hoarfrost.optimizers.base_optimizer import Optimizer


def keras_rmsprop(rho: float = 0.9, momentum: float = 0.0, epsilon: float = 1e-7,
                  centered: bool = False) -> optax.GradientTransformationExtraArgs:
    """Keras's RMSprop update for one variable, as an Optax transformation.

    As in SGD, the rate enters the momentum at each step, so it is an
    argument of `update`.
    """

    def init(param):
        slot = {"velocity": jnp.zeros_like(param)}
        if centered:
            slot["average_gradient"] = jnp.zeros_like(param)
        if momentum:
            slot["momentum"] = jnp.zeros_like(param)
        return slot

    def update(grad, state, param=None, *, learning_rate, **extra_args):
        new = {"velocity": rho * state["velocity"] + (1 - rho) * jnp.square(grad)}
        denominator = new["velocity"]
        if centered:
            new["average_gradient"] = rho * state["average_gradient"] + (1 - rho) * grad
            denominator = denominator - jnp.square(new["average_gradient"])
        increment = learning_rate * grad * jax.lax.rsqrt(denominator + epsilon)
        if momentum:
            new["momentum"] = momentum * state["momentum"] + increment
            return -new["momentum"], new
        return -increment, new

    return optax.GradientTransformationExtraArgs(init, update)


class RMSprop(Optimizer):
    """RMSprop: divide the gradient by a running root-mean-square."""

    def __init__(self, learning_rate=0.001, rho: float = 0.9, momentum: float = 0.0,
                 epsilon: float = 1e-7, centered: bool = False, **kwargs):
        self.rho, self.momentum, self.epsilon, self.centered = rho, momentum, epsilon, centered
        super().__init__(learning_rate=learning_rate, **kwargs)

    def _build_transform(self):
        return keras_rmsprop(self.rho, self.momentum, self.epsilon, self.centered)

    def _slot_groups(self):
        return [("velocity",), ("momentum",), ("average_gradient",)]

    def get_config(self):
        return {**super().get_config(), "rho": self.rho, "momentum": self.momentum,
                "epsilon": self.epsilon, "centered": self.centered}
