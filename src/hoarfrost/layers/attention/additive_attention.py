"""`AdditiveAttention`: additive (Bahdanau style) attention, as Keras 3."""

from __future__ import annotations

import jax.numpy as jnp

from hoarfrost.layers.attention.attention import Attention


class AdditiveAttention(Attention):
    """Additive attention (Bahdanau style): scores `sum(scale * tanh(query + key))`.

    Called like `Attention` on `[query, value]` or `[query, value, key]`.

    Args:
        use_scale: learn a per-feature `scale` of shape `(dim,)` (default True).
        dropout: the dropout rate on the attention weights (training only).
        seed: an optional seed for the dropout.

    Example:
        >>> q, v = jnp.ones((2, 3, 4)), jnp.ones((2, 5, 4))
        >>> AdditiveAttention()([q, v]).shape
        (2, 3, 4)
    """

    def __init__(self, use_scale: bool = True, dropout: float = 0.0, **kwargs):
        super().__init__(use_scale=use_scale, dropout=dropout, **kwargs)

    def build(self, input_shape):
        self._validate(input_shape)
        if self.use_scale:
            self.scale = self.add_weight(name="scale", shape=(input_shape[0][-1],),
                                         initializer="glorot_uniform")
        self.built = True

    def _calculate_scores(self, query, key):
        scale = self.scale.value if self.use_scale else 1.0
        return jnp.sum(scale * jnp.tanh(jnp.expand_dims(query, -2) + jnp.expand_dims(key, -3)),
                       axis=-1)

    def get_config(self):
        config = super().get_config()
        del config["score_mode"]
        return config
