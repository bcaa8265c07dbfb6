"""Shape-only layers: `Flatten` and `Reshape`."""

from __future__ import annotations

import math

import jax.numpy as jnp

from hoarfrost.layers.layer import Layer


class Flatten(Layer):
    """Flattens every axis but the batch axis: `(n, 28, 28)` -> `(n, 784)`."""

    def __init__(self, data_format: str | None = None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = data_format or "channels_last"
        self.built = True

    def call(self, inputs):
        if self.data_format == "channels_first" and inputs.ndim > 2:
            inputs = jnp.moveaxis(inputs, 1, -1)
        return jnp.reshape(inputs, (inputs.shape[0], -1))

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format}


class Reshape(Layer):
    """Reshapes each sample to `target_shape` (one entry may be -1).

    Example:
        >>> Reshape((3, 4))(jnp.ones((2, 12))).shape
        (2, 3, 4)
    """

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        self.target_shape = tuple(int(d) for d in target_shape)
        if sum(d == -1 for d in self.target_shape) > 1:
            raise ValueError(
                f"Reshape: at most one axis of target_shape may be -1, got {self.target_shape}."
            )
        self.built = True

    def call(self, inputs):
        sample = inputs.shape[1:]
        known = math.prod(d for d in self.target_shape if d != -1)
        size = math.prod(sample)
        if (-1 in self.target_shape and size % known) or (-1 not in self.target_shape and size != known):
            raise ValueError(
                f'Reshape layer "{self.name}": can not reshape samples of shape '
                f"{tuple(sample)} ({size} values) to {self.target_shape}."
            )
        return jnp.reshape(inputs, (inputs.shape[0],) + self.target_shape)

    def get_config(self):
        return {**super().get_config(), "target_shape": list(self.target_shape)}
