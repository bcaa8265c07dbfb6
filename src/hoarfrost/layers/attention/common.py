"""What the attention layers share: dropout on attention weights, and Keras's names of
the sublayers its attention layers build."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from hoarfrost.naming import unique_name
from hoarfrost.random import draw_key


def _dropout(x, rate: float, seed):
    keep = jax.random.bernoulli(draw_key(seed), 1.0 - rate, x.shape)
    return jnp.where(keep, x / (1.0 - rate), jnp.zeros((), x.dtype))


def _take_keras_sublayer_names() -> None:
    """Keras's attention layers build a `Softmax` and a `Dropout` layer, which take the
    next "softmax" and "dropout" names; taking them too gives later layers Keras's names."""
    unique_name("softmax")
    unique_name("dropout")
