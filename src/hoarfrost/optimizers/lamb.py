"""Lamb: Adam's direction scaled by each variable's trust ratio."""

from __future__ import annotations

import optax

from hoarfrost.optimizers.base_optimizer import Optimizer, keras_named


def keras_lamb(beta_1: float = 0.9, beta_2: float = 0.999, epsilon: float = 1e-7
               ) -> optax.GradientTransformationExtraArgs:
    """Keras's Lamb for one variable from Optax's pieces: `scale_by_adam` (its moments as
    Keras's `momentum` and `velocity`) then `scale_by_trust_ratio` (`|w| / |update|`, 1
    where either is zero). Keras's Lamb has no weight decay of its own; `weight_decay`
    is the base optimizer's, applied before, as in Keras."""
    adam = keras_named(optax.scale_by_adam(b1=beta_1, b2=beta_2, eps=epsilon),
                       optax.ScaleByAdamState, mu="momentum", nu="velocity", count="count")
    trust = optax.scale_by_trust_ratio()

    def update(grad, state, param=None, *, learning_rate, **extra_args):
        direction, state = adam.update(grad, state, param)
        direction, _ = trust.update(direction, optax.ScaleByTrustRatioState(), param)
        return -learning_rate * direction, state

    return optax.GradientTransformationExtraArgs(adam.init, update)


class Lamb(Optimizer):
    """Lamb (Keras's defaults, formula and slot names)."""

    def __init__(self, learning_rate=0.001, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-7, **kwargs):
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon
        super().__init__(learning_rate=learning_rate, **kwargs)

    def _build_transform(self):
        return keras_lamb(self.beta_1, self.beta_2, self.epsilon)

    def _slot_groups(self):
        return [("momentum", "velocity")]

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2,
                "epsilon": self.epsilon}
