"""Regularization layers: `Dropout`."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from hoarfrost.layers.layer import Layer
from hoarfrost.random import draw_key


class Dropout(Layer):
    """Zeroes a fraction `rate` of inputs in training, scaling the rest by `1/(1-rate)`.

    Inside `fit` the mask comes from the step's random key, so a seeded run
    is reproducible and every step draws a new mask.

    Args:
        rate: the fraction of inputs to drop, in [0, 1).
        noise_shape: the shape of the mask, broadcast over the inputs
            (None entries take the input's size).
        seed: an optional seed for this layer's masks.
    """

    def __init__(self, rate: float, noise_shape=None, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        if not 0 <= rate < 1:
            raise ValueError(f"Dropout: `rate` must be in [0, 1), got {rate!r}.")
        self.rate = float(rate)
        self.noise_shape = None if noise_shape is None else tuple(noise_shape)
        self.seed = seed
        self.built = True

    def call(self, inputs, training=None):
        if not training or self.rate == 0:
            return inputs
        shape = inputs.shape
        if self.noise_shape is not None:
            shape = tuple(s if n is None else n for s, n in zip(inputs.shape, self.noise_shape))
        keep = jax.random.bernoulli(draw_key(self.seed), 1.0 - self.rate, shape)
        return jnp.where(keep, inputs / (1.0 - self.rate), jnp.zeros((), inputs.dtype))

    def get_config(self):
        return {**super().get_config(), "rate": self.rate,
                "noise_shape": None if self.noise_shape is None else list(self.noise_shape),
                "seed": self.seed}
