"""Stochastic gradient descent, with Keras's (Nesterov) momentum."""

from __future__ import annotations

import jax.numpy as jnp
import optax

from hoarfrost.optimizers.base_optimizer import Optimizer


def keras_sgd(momentum: float = 0.0, nesterov: bool = False
              ) -> optax.GradientTransformationExtraArgs:
    """Keras's SGD update for one variable, as an Optax transformation.

    The rate enters the velocity at every step (Keras's form), so a rate
    that changes (a schedule) affects only the steps after the change: that
    is why `learning_rate` is an argument of `update`, not a final `optax.scale`.

    Example:
        >>> sgd = keras_sgd(momentum=0.9)
        >>> slots = sgd.init(jnp.zeros(3))
        >>> update, slots = sgd.update(jnp.ones(3), slots, learning_rate=0.1)
    """

    def init(param):
        return {"momentum": jnp.zeros_like(param)} if momentum else {}

    def update(grad, state, param=None, *, learning_rate, **extra_args):
        if not momentum:
            return -learning_rate * grad, state
        velocity = momentum * state["momentum"] - learning_rate * grad
        if nesterov:
            return momentum * velocity - learning_rate * grad, {"momentum": velocity}
        return velocity, {"momentum": velocity}

    return optax.GradientTransformationExtraArgs(init, update)


class SGD(Optimizer):
    """Gradient descent with optional (Nesterov) momentum.

    Example:
        >>> opt = SGD(learning_rate=0.01, momentum=0.9, nesterov=True)
    """

    def __init__(self, learning_rate=0.01, momentum: float = 0.0, nesterov: bool = False,
                 **kwargs):
        if not 0 <= momentum <= 1:
            raise ValueError(f"SGD: `momentum` must be in [0, 1], got {momentum!r}.")
        self.momentum, self.nesterov = float(momentum), bool(nesterov)
        super().__init__(learning_rate=learning_rate, **kwargs)

    def _build_transform(self):
        return keras_sgd(self.momentum, self.nesterov)

    def _slot_groups(self):
        return [("momentum",)]

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}
