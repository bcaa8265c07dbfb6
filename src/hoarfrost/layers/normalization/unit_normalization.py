"""`UnitNormalization`, as Keras 3: each sample scaled to unit L2 norm along `axis`."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from hoarfrost.layers.layer import Layer
from hoarfrost.layers.normalization.common import _check_axis


class UnitNormalization(Layer):
    """Scales each sample to unit L2 norm along `axis`, as Keras 3:
    `inputs * min(rsqrt(sum(inputs ** 2, axis)), 1e12)`.

    Args:
        axis: an axis or a list of axes (default -1).
        **kwargs: `name`, `input_shape`, `dtype`.

    Example:
        >>> UnitNormalization()(jnp.array([[3.0, 4.0]]))
        Array([[0.6, 0.8]], dtype=float32)
    """

    _supports_masking = True

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axis, (list, tuple)):
            self.axis = [int(a) for a in axis]
        elif isinstance(axis, int) and not isinstance(axis, bool):
            self.axis = axis
        else:
            raise TypeError(
                "UnitNormalization: expected an int or a list/tuple of ints for `axis`, "
                f"got {axis!r}.")
        self.built = True

    def call(self, inputs):
        axes = tuple(self.axis) if isinstance(self.axis, list) else self.axis
        x = inputs.astype(self.compute_dtype)
        square_sum = jnp.sum(jnp.square(x), axis=axes, keepdims=True)
        return x * jnp.minimum(jax.lax.rsqrt(square_sum), 1.0 / 1e-12)

    def compute_output_shape(self, input_shape):
        for a in self.axis if isinstance(self.axis, list) else [self.axis]:
            _check_axis(self, a, len(input_shape))
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}
