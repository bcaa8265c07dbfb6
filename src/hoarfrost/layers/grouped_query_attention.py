"""`GroupedQueryAttention` (`GroupQueryAttention`): multi-head attention where
groups of query heads share one key/value head (Ainslie et al., 2023)."""

from __future__ import annotations

import jax.numpy as jnp

from hoarfrost.layers.attention import MultiHeadAttention, _EinsumDense, _take_keras_sublayer_names


def _positive_int(value, argument: str, allow_none: bool = False):
    if value is None and allow_none:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ValueError(
            f"GroupedQueryAttention: `{argument}` must be a positive integer"
            f"{' or None' if allow_none else ''}; received {argument}={value!r}.")
    return value


class GroupedQueryAttention(MultiHeadAttention):
    """Grouped-query attention, as `keras.layers.GroupQueryAttention`.

    `num_query_heads` query heads attend over `num_key_value_heads` key and
    value heads, each shared by `num_query_heads // num_key_value_heads`
    query heads: the key/value projections (and a decoder's cache) shrink by
    that factor. With as many key/value heads as query heads it is
    `MultiHeadAttention`; with one, multi-query attention.

    Weights, in Keras's order: `query/kernel` `(dim, num_query_heads,
    head_dim)`, `query/bias`, `key/kernel` `(key_dim_in, num_key_value_heads,
    head_dim)`, `key/bias`, (`gate/...` with `use_gate`), `value/...`,
    `attention_output/kernel` `(num_query_heads, head_dim, dim)`,
    `attention_output/bias`.

    Args:
        head_dim: the size of each attention head.
        num_query_heads: the number of query heads.
        num_key_value_heads: the number of key/value heads; divides
            `num_query_heads`.
        dropout: the dropout rate on the attention weights (training only).
        use_bias: whether the projections have biases.
        sliding_window: attend only to keys less than this many positions away.
        flash_attention: accepted for Keras compatibility; only None/False.
        kernel_initializer, bias_initializer, kernel_regularizer,
        bias_regularizer, activity_regularizer, kernel_constraint,
        bias_constraint: passed to the projections.
        use_gate: multiply the attention output by a sigmoid gate projected
            from the query before the output projection.
        seed: an optional seed for the dropout.

    Call arguments: as `MultiHeadAttention` (`query`, `value`, `key`,
    `attention_mask`, the `*_mask`s, `return_attention_scores`, `training`,
    `use_causal_mask`), on `(batch, length, features)` inputs.

    Example:
        >>> gqa = GroupedQueryAttention(head_dim=4, num_query_heads=4, num_key_value_heads=2)
        >>> x = jnp.ones((2, 5, 8))
        >>> gqa(x, x).shape
        (2, 5, 8)
    """

    # Keras's GroupedQueryAttention has no public projection properties, so Keras's files
    # name its projections by their attributes (`_query_dense`): hide MultiHeadAttention's.
    query_dense = key_dense = value_dense = output_dense = None

    def __init__(self, head_dim, num_query_heads, num_key_value_heads, dropout=0.0,
                 use_bias=True, sliding_window=None, flash_attention=None,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, use_gate=False, seed=None,
                 **kwargs):
        _positive_int(head_dim, "head_dim")
        _positive_int(num_query_heads, "num_query_heads")
        _positive_int(num_key_value_heads, "num_key_value_heads")
        _positive_int(sliding_window, "sliding_window", allow_none=True)
        if num_query_heads % num_key_value_heads != 0:
            raise ValueError(
                "GroupedQueryAttention: `num_query_heads` must be divisible by "
                f"`num_key_value_heads`; received num_query_heads={num_query_heads}, "
                f"num_key_value_heads={num_key_value_heads}.")
        super().__init__(
            num_heads=num_query_heads, key_dim=head_dim, dropout=dropout, use_bias=use_bias,
            sliding_window=sliding_window, flash_attention=flash_attention,
            kernel_initializer=kernel_initializer, bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer, bias_regularizer=bias_regularizer,
            activity_regularizer=activity_regularizer, kernel_constraint=kernel_constraint,
            bias_constraint=bias_constraint, use_gate=use_gate, seed=seed, **kwargs)
        self.head_dim = head_dim
        self.num_query_heads = num_query_heads
        self.num_key_value_heads = num_key_value_heads
        self.num_repeats = num_query_heads // num_key_value_heads

    def build(self, query_shape, value_shape=None, key_shape=None):
        query_shape, value_shape, key_shape = self._split_shapes(query_shape, value_shape,
                                                                 key_shape)
        if len(query_shape) != 3:
            raise ValueError(
                f'GroupedQueryAttention layer "{self.name}" expects inputs of shape (batch, '
                f"length, features); received query shape {query_shape}.")
        common = dict(kernel_initializer=self._kernel_initializer,
                      bias_initializer=self._bias_initializer,
                      kernel_regularizer=self._kernel_regularizer,
                      bias_regularizer=self._bias_regularizer,
                      activity_regularizer=self._activity_regularizer,
                      kernel_constraint=self._kernel_constraint,
                      bias_constraint=self._bias_constraint, owner=self.name,
                      dtype=self.dtype_policy)
        bias = self._use_bias

        def projection(equation, output_shape, bias_axes, name, shape, activation=None):
            layer = _EinsumDense(equation, output_shape, bias_axes if bias else None,
                                 activation=activation, name=name, **common)
            layer._maybe_build(shape)
            return layer

        heads, kv_heads, dim = self.num_query_heads, self.num_key_value_heads, self.head_dim
        # Creation order is Keras's, so get_weights lines up: query, key, gate, value, output.
        self._query_dense = projection("bqm,muh->bquh", [None, heads, dim], "uh", "query",
                                       query_shape)
        self._key_dense = projection("bkm,mvh->bkvh", [None, kv_heads, dim], "vh", "key",
                                     key_shape)
        if self._use_gate:
            self._gate_dense = projection("bqm,muh->bquh", [None, heads, dim], "uh", "gate",
                                          query_shape, activation="sigmoid")
        self._value_dense = projection("bkm,mvh->bkvh", [None, kv_heads, dim], "vh", "value",
                                       value_shape)
        self._axes = (1,)
        self._dot_product_equation = "bkuh,bquh->buqk"
        self._combine_equation = "buqk,bkuh->bquh"
        self._norm_axes = (3,)
        _take_keras_sublayer_names()
        self._output_dense = projection("bquh,uhm->bqm", [None, query_shape[-1]], "m",
                                        "attention_output", (None, None, heads, dim))
        self.built = True

    def _compute_attention(self, query, key, value, attention_mask, training,
                           return_attention_scores, causal_only):
        key = jnp.repeat(key, self.num_repeats, axis=2)
        value = jnp.repeat(value, self.num_repeats, axis=2)
        return super()._compute_attention(query, key, value, attention_mask, training,
                                          return_attention_scores, causal_only)

    def get_config(self):
        config = {**super().get_config()}
        for key in ("num_heads", "key_dim", "value_dim", "output_shape", "attention_axes"):
            del config[key]
        return {**config, "head_dim": self.head_dim, "num_query_heads": self.num_query_heads,
                "num_key_value_heads": self.num_key_value_heads}

GroupQueryAttention = GroupedQueryAttention
