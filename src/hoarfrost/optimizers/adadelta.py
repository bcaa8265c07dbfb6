"""Adadelta: rates adapted from running averages of squared gradients and updates."""

from __future__ import annotations

import optax

from hoarfrost.optimizers.base_optimizer import Optimizer, descend, keras_named


class Adadelta(Optimizer):
    """Adadelta (Keras's defaults; Optax's `scale_by_adadelta`, whose formula is Keras's, with
    its averages kept as Keras's slots `accumulated_grad` and `accumulated_delta_var`)."""

    def __init__(self, learning_rate=0.001, rho: float = 0.95, epsilon: float = 1e-7,
                 **kwargs):
        self.rho, self.epsilon = rho, epsilon
        super().__init__(learning_rate=learning_rate, **kwargs)

    def _build_transform(self):
        return descend(keras_named(optax.scale_by_adadelta(rho=self.rho, eps=self.epsilon),
                                   optax.ScaleByAdaDeltaState, e_g="accumulated_grad",
                                   e_x="accumulated_delta_var"))

    def _slot_groups(self):
        return [("accumulated_grad", "accumulated_delta_var")]

    def get_config(self):
        return {**super().get_config(), "rho": self.rho, "epsilon": self.epsilon}
