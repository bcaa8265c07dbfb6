"""Adagrad: per-element rates from the sum of squared gradients."""

from __future__ import annotations

import optax

from hoarfrost.optimizers.base_optimizer import Optimizer, descend, keras_named


class Adagrad(Optimizer):
    """Adagrad: per-element rates from the sum of squared gradients (Optax's `scale_by_rss`,
    its sum kept as Keras's slot `accumulator`)."""

    def __init__(self, learning_rate=0.001, initial_accumulator_value: float = 0.1,
                 epsilon: float = 1e-7, **kwargs):
        self.initial_accumulator_value, self.epsilon = initial_accumulator_value, epsilon
        super().__init__(learning_rate=learning_rate, **kwargs)

    def _build_transform(self):
        return descend(keras_named(
            optax.scale_by_rss(initial_accumulator_value=self.initial_accumulator_value,
                               eps=self.epsilon),
            optax.ScaleByRssState, sum_of_squares="accumulator"))

    def _slot_groups(self):
        return [("accumulator",)]

    def get_config(self):
        return {**super().get_config(),
                "initial_accumulator_value": self.initial_accumulator_value,
                "epsilon": self.epsilon}
