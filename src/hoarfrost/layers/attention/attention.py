"""`Attention`: dot-product (Luong style) attention, as Keras 3."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from hoarfrost.layers.attention.common import _dropout
from hoarfrost.layers.layer import Layer


class Attention(Layer):
    """Dot-product attention (Luong style): `softmax(query @ key^T) @ value`.

    Called on `[query, value]` or `[query, value, key]` of shapes `(batch,
    Tq, dim)`, `(batch, Tv, dim)`, `(batch, Tv, dim)`; returns `(batch, Tq,
    dim)`.

    Args:
        use_scale: learn a scalar `scale` multiplying the scores.
        score_mode: `"dot"` (`query @ key^T`) or `"concat"`
            (`concat_score_weight * sum(tanh(scale * (query + key)))`,
            which adds the scalar weight `concat_score_weight`).
        dropout: the dropout rate on the attention weights (training only).
        seed: an optional seed for the dropout.

    Call arguments: `mask=[query_mask, value_mask]` (taken from the inputs'
    masks when not given): masked values get no attention and masked query
    positions output zeros; `return_attention_scores`, `training`,
    `use_causal_mask`.

    Example:
        >>> q, v = jnp.ones((2, 3, 4)), jnp.ones((2, 5, 4))
        >>> Attention()([q, v]).shape
        (2, 3, 4)
    """

    _supports_masking = True

    def __init__(self, use_scale: bool = False, score_mode: str = "dot", dropout: float = 0.0,
                 seed=None, **kwargs):
        super().__init__(**kwargs)
        if score_mode not in ("dot", "concat"):
            raise ValueError(
                f'{type(self).__name__} layer "{self.name}": `score_mode` must be "dot" or '
                f'"concat"; received score_mode={score_mode!r}.'
            )
        if not 0 <= float(dropout) < 1:
            raise ValueError(
                f'{type(self).__name__} layer "{self.name}": `dropout` must be in [0, 1); '
                f"received dropout={dropout!r}."
            )
        self.use_scale = bool(use_scale)
        self.score_mode = score_mode
        self.dropout = float(dropout)
        self.seed = seed
        self.scale = self.concat_score_weight = None

    def _validate(self, inputs, mask=None):
        name = type(self).__name__
        if not isinstance(inputs, (list, tuple)):
            raise ValueError(
                f'{name} layer "{self.name}" must be called on a list of inputs, '
                f"[query, value] or [query, value, key]; received {type(inputs).__name__}."
            )
        if not 2 <= len(inputs) <= 3:
            raise ValueError(
                f'{name} layer "{self.name}" takes a list of 2 or 3 inputs, [query, value] '
                f"or [query, value, key]; received {len(inputs)}."
            )
        if mask is not None and (not isinstance(mask, (list, tuple))
                                 or not 2 <= len(mask) <= 3):
            raise ValueError(
                f'{name} layer "{self.name}": `mask` must be a list [query_mask, value_mask]; '
                f"received {mask!r}."
            )

    def build(self, input_shape):
        self._validate(input_shape)
        if self.use_scale:
            self.scale = self.add_weight(name="scale", shape=(), initializer="ones")
        if self.score_mode == "concat":
            self.concat_score_weight = self.add_weight(name="concat_score_weight", shape=(),
                                                       initializer="ones")
        self.built = True

    def _calculate_scores(self, query, key):
        if self.score_mode == "dot":
            scores = jnp.matmul(query, jnp.swapaxes(key, -2, -1))
            if self.scale is not None:
                scores = scores * self.scale.value
            return scores
        q = jnp.expand_dims(query, -2)
        k = jnp.expand_dims(key, -3)
        inner = q + k if self.scale is None else self.scale.value * (q + k)
        return self.concat_score_weight.value * jnp.sum(jnp.tanh(inner), axis=-1)

    def call(self, inputs, mask=None, training=None, return_attention_scores=False,
             use_causal_mask=False):
        self._validate(inputs, mask)
        q, v = inputs[0], inputs[1]
        k = inputs[2] if len(inputs) > 2 else v
        q_mask = mask[0] if mask else None
        v_mask = mask[1] if mask else None
        scores = self._calculate_scores(q, k)
        scores_mask = v_mask
        if use_causal_mask:
            causal = jnp.tril(jnp.ones(scores.shape[-2:], bool))[None]
            scores_mask = causal if v_mask is None else jnp.logical_and(
                jnp.expand_dims(jnp.asarray(v_mask).astype(bool), -2), causal)
        if scores_mask is not None:
            padding = jnp.logical_not(jnp.asarray(scores_mask).astype(bool))
            if padding.ndim == 2:
                padding = jnp.expand_dims(padding, -2)
            big = 65504.0 if scores.dtype == jnp.float16 else 1.0e9
            scores = jnp.where(padding, scores - big, scores)
        weights = jax.nn.softmax(scores, axis=-1)
        attended = weights
        if training and self.dropout > 0:
            attended = _dropout(weights, self.dropout, self.seed)
        output = jnp.matmul(attended, v)
        if q_mask is not None:
            output = jnp.where(jnp.expand_dims(jnp.asarray(q_mask).astype(bool), -1), output,
                               jnp.zeros((), output.dtype))
        if return_attention_scores:
            return output, weights
        return output

    def compute_mask(self, inputs, mask=None):
        if not mask or mask[0] is None:
            return None
        return jnp.asarray(mask[0])

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[0][:-1]) + (input_shape[1][-1],)

    def get_config(self):
        return {**super().get_config(), "use_scale": self.use_scale,
                "score_mode": self.score_mode, "dropout": self.dropout, "seed": self.seed}
