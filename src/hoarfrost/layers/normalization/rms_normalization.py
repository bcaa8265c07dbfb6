"""`RMSNormalization` (Zhang & Sennrich, 2019), as Keras 3."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from hoarfrost.layers.layer import Layer
from hoarfrost.layers.normalization.common import _check_axis, _compute_dtype


class RMSNormalization(Layer):
    """Root-mean-square normalization (Zhang & Sennrich, 2019), as Keras 3.

    `outputs = inputs * rsqrt(mean(inputs ** 2, axis) + epsilon) * scale`:
    no centering and no offset. The same in training and inference.

    Args:
        axis: an axis or a list of axes to normalize over (default -1).
        epsilon: added to the mean square (1e-6).
        **kwargs: `name`, `trainable`, `input_shape`, `dtype`.

    Weights: `scale` (ones at first), shaped as the input along `axis`.

    Example:
        >>> RMSNormalization()(jnp.ones((2, 3))).shape
        (2, 3)
    """

    def __init__(self, axis=-1, epsilon: float = 1e-6, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(axis, (int, list, tuple)) or isinstance(axis, bool):
            raise TypeError(
                f"RMSNormalization: `axis` must be an int or a list of ints, got {axis!r}.")
        self.axis = list(axis) if isinstance(axis, tuple) else axis
        self.epsilon = float(epsilon)
        self.scale = None

    def build(self, input_shape):
        rank = len(input_shape)
        # As Keras: `axis` becomes a sorted list once built (and so in the config).
        axes = sorted(self.axis) if isinstance(self.axis, list) else [self.axis]
        for a in axes:
            _check_axis(self, a, rank)
        shape = tuple(input_shape[a] for a in axes)
        if any(d is None for d in shape):
            raise ValueError(
                f'RMSNormalization layer "{self.name}": the normalized axes {self.axis} must '
                f"have known sizes, got input shape {tuple(input_shape)}.")
        self.axis = axes
        self.scale = self.add_weight(shape=shape, initializer="ones", name="scale")
        self.built = True

    def call(self, inputs):
        dtype = _compute_dtype(inputs.dtype)
        x = inputs.astype(dtype)
        inverse_rms = jax.lax.rsqrt(
            jnp.mean(jnp.square(x), axis=tuple(self.axis), keepdims=True) + self.epsilon)
        # Keras multiplies by `scale` with plain broadcasting (trailing axes).
        outputs = x * inverse_rms * self.scale.value.astype(dtype)
        return outputs.astype(self.compute_dtype)

    def compute_output_shape(self, input_shape):
        for a in self.axis if isinstance(self.axis, list) else [self.axis]:
            _check_axis(self, a, len(input_shape))
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis, "epsilon": self.epsilon}
