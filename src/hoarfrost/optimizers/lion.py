"""Lion: the sign of an interpolated momentum."""

from __future__ import annotations

import optax

from hoarfrost.optimizers.base_optimizer import Optimizer, descend, keras_named


class Lion(Optimizer):
    """Lion (Keras's defaults; Optax's `scale_by_lion`, whose formula is Keras's, with its
    moment kept as Keras's slot `momentum`)."""

    def __init__(self, learning_rate=0.001, beta_1: float = 0.9, beta_2: float = 0.99,
                 **kwargs):
        if beta_1 <= 0 or beta_1 > 1:
            raise ValueError(f"Lion: `beta_1` must be in (0, 1]; got {beta_1!r}.")
        self.beta_1, self.beta_2 = beta_1, beta_2
        super().__init__(learning_rate=learning_rate, **kwargs)

    def _build_transform(self):
        return descend(keras_named(optax.scale_by_lion(b1=self.beta_1, b2=self.beta_2),
                                   optax.ScaleByLionState, mu="momentum", count="count"))

    def _slot_groups(self):
        return [("momentum",)]

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2}
