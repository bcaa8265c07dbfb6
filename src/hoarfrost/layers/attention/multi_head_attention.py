"""`MultiHeadAttention`, as Keras 3: einsum projections per head, the attention (a fused
dot-product path, or softmax over scores with masks), the output projection."""

from __future__ import annotations

import math
import string

import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.special import logsumexp

from hoarfrost import constraints, initializers, masking, regularizers
from hoarfrost.layers.attention.common import _dropout, _take_keras_sublayer_names
from hoarfrost.layers.einsum_dense import EinsumDense
from hoarfrost.layers.layer import Layer


# --- einsum projections ---------------------------------------------------------------------
def _letter(i: int) -> str:
    return string.ascii_lowercase[i]


def _build_proj_equation(free_dims: int, bound_dims: int, output_dims: int):
    """Keras's projection equation, e.g. `abc,cde->abde` (free, bound, output axes)."""
    input_str = kernel_str = output_str = bias_axes = ""
    for i in range(free_dims):
        input_str += _letter(i)
        output_str += _letter(i)
    for i in range(free_dims, free_dims + bound_dims):
        input_str += _letter(i)
        kernel_str += _letter(i)
    for i in range(free_dims + bound_dims, free_dims + bound_dims + output_dims):
        kernel_str += _letter(i)
        output_str += _letter(i)
        bias_axes += _letter(i)
    return f"{input_str},{kernel_str}->{output_str}", bias_axes, len(output_str)


def _build_attention_equation(rank: int, attn_axes: tuple):
    """Keras's query-key product and combination equations for projected
    tensors `(batch, <other axes>, <attention axes>, heads, channels)`."""
    target = "".join(_letter(i) for i in range(rank))
    batch_dims = tuple(np.delete(range(rank), attn_axes + (rank - 1,)))
    offset = rank
    source = ""
    for i in range(rank):
        if i in batch_dims or i == rank - 1:
            source += target[i]
        else:
            source += _letter(offset)
            offset += 1
    product = "".join([target[i] for i in batch_dims] + [target[i] for i in attn_axes]
                      + [source[i] for i in attn_axes])
    return f"{source},{target}->{product}", f"{product},{source}->{target}", len(product)


class _EinsumDense(EinsumDense):
    """`EinsumDense` as MultiHeadAttention uses it: its variable paths start with
    the owner's name (`multi_head_attention/query/kernel`, as Keras's paths), so
    they stay unique."""

    def __init__(self, equation, output_shape, bias_axes=None, owner: str = "", **kwargs):
        super().__init__(equation, output_shape, bias_axes=bias_axes, **kwargs)
        self._owner = owner

    def _track_variable(self, variable) -> None:
        super()._track_variable(variable)
        if self._owner:
            variable._path = f"{self._owner}/{self.name}/{variable._short_name}"


def _large_negative(dtype) -> float:
    return -3e4 if jnp.dtype(dtype) == jnp.float16 else -1e9


def _dot_product_attention(query, key, value, mask, is_causal: bool, scale: float):
    """`jax.nn.dot_product_attention`'s XLA path, as Keras's fast path runs it:
    logits in at least float32, masked entries at -0.7 * the dtype's max (a
    fully masked row attends uniformly), softmax in float32."""
    logits_dtype = jnp.promote_types(query.dtype, jnp.float32)
    logits = jnp.einsum("BTNH,BSNH->BNTS", query, key, preferred_element_type=logits_dtype)
    logits = logits * jnp.asarray(scale, logits.dtype)
    if mask is not None or is_causal:
        combined = jnp.ones(logits.shape, bool)
        if mask is not None:
            combined = jnp.logical_and(combined, mask)
        if is_causal:
            t, s = logits.shape[2], logits.shape[3]
            combined = jnp.logical_and(combined, jnp.tril(jnp.ones((t, s), bool)))
        big = -0.7 * float(jnp.finfo(jnp.float32).max)
        logits = jnp.where(combined, logits, jnp.asarray(big, logits.dtype))
    probs = jax.nn.softmax(logits.astype(jnp.float32), axis=-1).astype(key.dtype)
    return jnp.einsum("BNTS,BSNH->BTNH", probs, value)


# MultiHeadAttention's packed call: [query, value, key, query_mask, value_mask,
# key_mask, attention_mask], None where not given.
_NUM_SLOTS = 7


def _is_packed(x) -> bool:
    return isinstance(x, (list, tuple)) and len(x) == _NUM_SLOTS and not isinstance(
        x[0], (int, type(None)))


def _positive_int(layer_name, value, argument, allow_none=False):
    if value is None and allow_none:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ValueError(
            f'MultiHeadAttention layer "{layer_name}": `{argument}` must be a positive '
            f"integer{' or None' if allow_none else ''}; received {argument}={value!r}."
        )
    return value


class MultiHeadAttention(Layer):
    """Multi-head attention (Vaswani et al., 2017), as `keras.layers.MultiHeadAttention`.

    `mha(query, value)` projects the query, key (the value when not given)
    and value into `num_heads` heads, attends from each query position to
    the key/value positions with scaled dot products, and projects the heads
    back to the query's feature size (or `output_shape`). `mha(x, x)` is
    self-attention.

    Weights, in `get_weights` order as in Keras (EinsumDense kernels): for
    3D inputs `query/kernel` `(query_dim, num_heads, key_dim)`, `query/bias`
    `(num_heads, key_dim)`, then `key/...`, (`gate/...` with `use_gate`),
    `value/kernel` `(value_dim_in, num_heads, value_dim)`, `value/bias`,
    `attention_output/kernel` `(num_heads, value_dim, output_dim)`,
    `attention_output/bias` `(output_dim,)`. `query_dense`, `key_dense`,
    `value_dense` and `output_dense` are the projection sublayers: freeze
    one with `mha.query_dense.trainable = False`, or all with
    `mha.trainable = False`.

    Args:
        num_heads: the number of attention heads.
        key_dim: the size of each head for query and key.
        value_dim: the size of each head for value (default `key_dim`).
        dropout: the dropout rate on the attention weights (training only).
        use_bias: whether the projections have biases.
        output_shape: the output's feature shape (an int or a tuple); by
            default the query's last axis.
        attention_axes: the axes attention runs over (default: every axis
            between the batch and the features).
        sliding_window: attend only to keys less than this many positions
            away (combined with the causal mask for local causal attention).
        kernel_initializer, bias_initializer, kernel_regularizer,
        bias_regularizer, activity_regularizer, kernel_constraint,
        bias_constraint: passed to the projections.
        use_gate: multiply the attention output by a sigmoid gate projected
            from the query before the output projection.
        seed: an optional seed for the dropout.
        flash_attention: accepted for Keras compatibility; only None/False.
        **kwargs: `name`, `trainable`, `dtype`.

    Call arguments:
        query: `(batch, T, dim)`; value: `(batch, S, dim)`; key: `(batch, S,
            dim)`, optional.
        attention_mask: boolean `(batch, T, S)`: which keys each query
            position may attend to. Masks carried by the inputs (e.g. from
            `Embedding(mask_zero=True)`) are combined with it, as in Keras;
            `query_mask`, `value_mask`, `key_mask` give them explicitly.
        return_attention_scores: also return the attention weights
            `(batch, num_heads, T, S)`.
        training: whether dropout is active (default: the training mode).
        use_causal_mask: let position i attend only to positions <= i.

    As in Keras, without dropout and scores the computation takes the fused
    path, where a query row whose keys are all masked attends uniformly;
    with dropout or scores such a row is all zeros. The output carries the
    query's mask.

    Example:
        >>> mha = MultiHeadAttention(num_heads=2, key_dim=4)
        >>> x = jnp.ones((3, 5, 8))
        >>> mha(x, x).shape
        (3, 5, 8)
        >>> out, scores = mha(x, x, return_attention_scores=True)
        >>> scores.shape
        (3, 2, 5, 5)
    """

    _supports_masking = True

    def __init__(self, num_heads, key_dim, value_dim=None, dropout=0.0, use_bias=True,
                 output_shape=None, attention_axes=None, sliding_window=None,
                 flash_attention=None, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None,
                 use_gate=False, seed=None, **kwargs):
        super().__init__(**kwargs)
        self._num_heads = _positive_int(self.name, num_heads, "num_heads")
        self._key_dim = _positive_int(self.name, key_dim, "key_dim")
        self._value_dim = _positive_int(self.name, value_dim, "value_dim", True) or key_dim
        if not 0 <= float(dropout) < 1:
            raise ValueError(
                f'MultiHeadAttention layer "{self.name}": `dropout` must be in [0, 1); '
                f"received dropout={dropout!r}."
            )
        self._dropout = float(dropout)
        self._use_bias = bool(use_bias)
        self._use_gate = bool(use_gate)
        if output_shape:
            if isinstance(output_shape, int):
                output_shape = (output_shape,)
            try:
                output_shape = tuple(int(d) for d in output_shape)
            except (TypeError, ValueError):
                raise ValueError(
                    f'MultiHeadAttention layer "{self.name}": `output_shape` must be an int '
                    f"or a tuple of ints; received output_shape={output_shape!r}."
                ) from None
        self._output_shape = output_shape or None
        if isinstance(attention_axes, int):
            attention_axes = (attention_axes,)
        elif attention_axes is not None and not isinstance(attention_axes, (list, tuple)):
            raise ValueError(
                f'MultiHeadAttention layer "{self.name}": `attention_axes` must be an int, '
                f"a list or a tuple; received attention_axes={attention_axes!r}."
            )
        self._attention_axes = None if attention_axes is None else tuple(attention_axes)
        self._sliding_window = _positive_int(self.name, sliding_window, "sliding_window", True)
        if flash_attention:
            raise NotImplementedError(
                f'MultiHeadAttention layer "{self.name}": flash_attention=True is not '
                "supported by hoarfrost; leave it None (the XLA attention is used)."
            )
        self._flash_attention = flash_attention
        self._kernel_initializer = initializers.get(kernel_initializer)
        self._bias_initializer = initializers.get(bias_initializer)
        self._kernel_regularizer = regularizers.get(kernel_regularizer)
        self._bias_regularizer = regularizers.get(bias_regularizer)
        self._activity_regularizer = regularizers.get(activity_regularizer)
        self._kernel_constraint = constraints.get(kernel_constraint)
        self._bias_constraint = constraints.get(bias_constraint)
        self.seed = seed
        self._inverse_sqrt_key_dim = 1.0 / math.sqrt(float(self._key_dim))
        self._query_dense = self._key_dense = self._value_dense = None
        self._output_dense = self._gate_dense = None
        self._axes = None

    # --- Keras's read-only properties -----------------------------------------------------
    num_heads = property(lambda self: self._num_heads)
    key_dim = property(lambda self: self._key_dim)
    value_dim = property(lambda self: self._value_dim)
    dropout = property(lambda self: self._dropout)
    use_bias = property(lambda self: self._use_bias)
    attention_axes = property(lambda self: self._attention_axes)
    query_dense = property(lambda self: self._query_dense)
    key_dense = property(lambda self: self._key_dense)
    value_dense = property(lambda self: self._value_dense)
    output_dense = property(lambda self: self._output_dense)

    # --- calling --------------------------------------------------------------------------------
    def __call__(self, query, value=None, key=None, query_mask=None, value_mask=None,
                 key_mask=None, attention_mask=None, **kwargs):
        if _is_packed(query) and value is None:  # a functional model replaying its graph
            inputs = list(query)
        else:
            if value is None:
                raise ValueError(
                    f'MultiHeadAttention layer "{self.name}" needs a `value`: call it as '
                    "mha(query, value) (mha(x, x) for self-attention)."
                )
            inputs = [query, value, key, query_mask, value_mask, key_mask, attention_mask]
        # One positional structure, in Keras's argument order: a functional graph records
        # every tensor (attention_mask too) and orders the branches as Keras does.
        return super().__call__(inputs, **kwargs)

    @staticmethod
    def keras_call_arguments(args: list, kwargs: dict) -> tuple[list, dict]:
        """A Keras functional call `mha(query, value, key=..., attention_mask=...)` as
        hoarfrost's one packed positional structure (what `__call__` records)."""
        if len(args) == 1 and isinstance(args[0], list) and len(args[0]) == _NUM_SLOTS:
            return args, kwargs  # already packed (a file hoarfrost wrote)
        names = ("query", "value", "key", "query_mask", "value_mask", "key_mask",
                 "attention_mask")
        kwargs = dict(kwargs)
        given = dict(zip(names, args))
        packed = [given.get(n, kwargs.pop(n, None)) for n in names]
        return [packed], kwargs

    def _split_shapes(self, query_shape, value_shape, key_shape):
        if _is_packed(query_shape):
            query_shape, value_shape, key_shape = query_shape[:3]
        if value_shape is None:
            raise ValueError(
                f'MultiHeadAttention layer "{self.name}": build needs the query and value '
                f"shapes; received query shape {query_shape} only."
            )
        query_shape, value_shape = tuple(query_shape), tuple(value_shape)
        key_shape = value_shape if key_shape is None else tuple(key_shape)
        if value_shape[1:-1] != key_shape[1:-1]:
            raise ValueError(
                f'MultiHeadAttention layer "{self.name}": value and key must have equal '
                f"shapes except for the last axis; received value shape {value_shape} and "
                f"key shape {key_shape}."
            )
        if len(query_shape) != len(value_shape):
            raise ValueError(
                f'MultiHeadAttention layer "{self.name}": query and value must have the same '
                f"rank; received query shape {query_shape} and value shape {value_shape}."
            )
        if len(query_shape) < 3:
            raise ValueError(
                f'MultiHeadAttention layer "{self.name}" expects inputs of rank >= 3 '
                f"(batch, positions..., features); received query shape {query_shape}."
            )
        return query_shape, value_shape, key_shape

    def build(self, query_shape, value_shape=None, key_shape=None):
        query_shape, value_shape, key_shape = self._split_shapes(query_shape, value_shape,
                                                                 key_shape)
        common = dict(kernel_initializer=self._kernel_initializer,
                      bias_initializer=self._bias_initializer,
                      kernel_regularizer=self._kernel_regularizer,
                      bias_regularizer=self._bias_regularizer,
                      activity_regularizer=self._activity_regularizer,
                      kernel_constraint=self._kernel_constraint,
                      bias_constraint=self._bias_constraint, owner=self.name,
                      dtype=self.dtype_policy)

        def projection(rank, bound, last_dims, name, activation=None):
            equation, bias_axes, output_rank = _build_proj_equation(rank - 1, bound,
                                                                     len(last_dims))
            layer = _EinsumDense(equation, [None] * (output_rank - 1 - len(last_dims))
                                 + list(last_dims), bias_axes if self._use_bias else None,
                                 activation=activation, name=name, **common)
            return layer

        # Creation order is Keras's, so get_weights lines up: query, key, gate, value, output.
        self._query_dense = projection(len(query_shape), 1, [self._num_heads, self._key_dim],
                                       "query")
        self._query_dense._maybe_build(query_shape)
        self._key_dense = projection(len(key_shape), 1, [self._num_heads, self._key_dim], "key")
        self._key_dense._maybe_build(key_shape)
        if self._use_gate:
            self._gate_dense = projection(len(query_shape), 1,
                                          [self._num_heads, self._value_dim], "gate",
                                          activation="sigmoid")
            self._gate_dense._maybe_build(query_shape)
        self._value_dense = projection(len(value_shape), 1, [self._num_heads, self._value_dim],
                                       "value")
        self._value_dense._maybe_build(value_shape)
        rank = len(query_shape) + 1  # of the projected tensors
        if self._attention_axes is None:
            self._axes = tuple(range(1, rank - 2))
        else:
            self._axes = tuple(a if a >= 0 else (rank - 1) + a for a in self._attention_axes)
        self._dot_product_equation, self._combine_equation, scores_rank = \
            _build_attention_equation(rank, self._axes)
        self._norm_axes = tuple(range(scores_rank - len(self._axes), scores_rank))
        _take_keras_sublayer_names()
        output_dims = self._output_shape or (query_shape[-1],)
        self._output_dense = projection(len(query_shape), 2, list(output_dims),
                                        "attention_output")
        self._output_dense._maybe_build(query_shape[:-1] + (self._num_heads, self._value_dim))
        self.built = True

    def call(self, inputs, return_attention_scores=False, training=None,
             use_causal_mask=False):
        query, value, key, query_mask, value_mask, key_mask, attention_mask = inputs
        # Masks carried by the tensors, unless given (Keras: no key mask without a key).
        query_mask = masking.get_mask(query) if query_mask is None else query_mask
        value_mask = masking.get_mask(value) if value_mask is None else value_mask
        if key is None:
            key = value
        elif key_mask is None:
            key_mask = masking.get_mask(key)
        causal_only = (use_causal_mask and query_mask is None and value_mask is None
                       and key_mask is None and attention_mask is None
                       and self._sliding_window is None)
        if not causal_only:
            attention_mask = self._compute_attention_mask(
                query, value, query_mask, value_mask, key_mask, attention_mask,
                use_causal_mask)
        gate = self._gate_dense.call(query) if self._use_gate else None
        query = self._query_dense.call(query)
        key = self._key_dense.call(key)
        value = self._value_dense.call(value)
        output, scores = self._compute_attention(query, key, value, attention_mask, training,
                                                 return_attention_scores, causal_only)
        output = self._output_dense.call(output * gate if gate is not None else output)
        if query_mask is not None:
            masking.set_mask(output, jnp.asarray(query_mask))
        if return_attention_scores:
            return output, scores
        return output

    def _compute_attention_mask(self, query, value, query_mask, value_mask, key_mask,
                                attention_mask, use_causal_mask):
        """Keras's rule: the AND of the query mask `[B, T, 1]`, value and key masks
        `[B, 1, S]`, the causal and sliding-window masks and `attention_mask`."""
        auto_mask = None

        def both(a, b):
            return b if a is None else jnp.logical_and(a, b)

        if query_mask is not None:
            auto_mask = jnp.expand_dims(jnp.asarray(query_mask).astype(bool), -1)
        if value_mask is not None:
            auto_mask = both(auto_mask, jnp.expand_dims(jnp.asarray(value_mask).astype(bool), -2))
        if key_mask is not None:
            auto_mask = both(auto_mask, jnp.expand_dims(jnp.asarray(key_mask).astype(bool), -2))
        t, s = query.shape[1], value.shape[1]
        if use_causal_mask:
            auto_mask = both(auto_mask, jnp.tril(jnp.ones((t, s), bool))[None])
        if self._sliding_window is not None:
            distance = jnp.abs(jnp.arange(t)[:, None] - jnp.arange(s)[None, :])
            auto_mask = both(auto_mask, (distance < self._sliding_window)[None])
        if attention_mask is not None:
            attention_mask = jnp.asarray(attention_mask).astype(bool)
        if auto_mask is not None:
            attention_mask = both(attention_mask, auto_mask)
        return attention_mask

    def _compute_attention(self, query, key, value, attention_mask, training,
                           return_attention_scores, causal_only):
        fast = not (self._dropout > 0 or return_attention_scores or query.ndim != 4)
        if fast:
            mask = None
            if attention_mask is not None:
                mask = attention_mask
                for _ in range(4 - mask.ndim):
                    mask = jnp.expand_dims(mask, -len(self._axes) * 2 - 1)
            output = _dot_product_attention(query, key, value, mask, bool(causal_only),
                                            self._inverse_sqrt_key_dim)
            return output, None
        if causal_only:
            causal = jnp.tril(jnp.ones((query.shape[1], value.shape[1]), bool))[None]
            attention_mask = causal if attention_mask is None else \
                jnp.logical_and(attention_mask, causal)
        query = query * jnp.asarray(self._inverse_sqrt_key_dim, query.dtype)
        scores = jnp.einsum(self._dot_product_equation, key, query)
        scores = self._masked_softmax(scores, attention_mask)
        weights = scores
        if training and self._dropout > 0:
            weights = _dropout(scores, self._dropout, self.seed)
        output = jnp.einsum(self._combine_equation, weights, value)
        return output, scores

    def _masked_softmax(self, scores, mask):
        """Keras's Softmax layer with a mask: masked entries at -1e9 before the
        softmax and 0 after (a fully masked row is all zeros)."""
        if mask is not None:
            for _ in range(scores.ndim - mask.ndim):
                mask = jnp.expand_dims(mask, -len(self._axes) * 2 - 1)
            scores = jnp.where(mask, scores, _large_negative(scores.dtype))
        if len(self._norm_axes) > 1:
            outputs = jnp.exp(scores - logsumexp(scores, axis=self._norm_axes, keepdims=True))
        else:
            outputs = jax.nn.softmax(scores, axis=self._norm_axes[0])
        if mask is not None:
            outputs = jnp.where(mask, outputs, 0.0)
        return outputs

    def compute_mask(self, inputs, mask=None):
        if not _is_packed(inputs):
            return None
        if inputs[3] is not None:  # an explicit query_mask
            return inputs[3]
        if _is_packed(mask) and mask[0] is not None:
            return mask[0]
        return masking.get_mask(inputs[0])

    def compute_output_shape(self, query_shape, value_shape=None, key_shape=None):
        query_shape, value_shape, key_shape = self._split_shapes(query_shape, value_shape,
                                                                 key_shape)
        if self._output_shape:
            return query_shape[:-1] + tuple(self._output_shape)
        return query_shape

    def get_config(self):
        return {
            **super().get_config(),
            "num_heads": self._num_heads,
            "key_dim": self._key_dim,
            "value_dim": self._value_dim,
            "dropout": self._dropout,
            "use_bias": self._use_bias,
            "use_gate": self._use_gate,
            "output_shape": self._output_shape,
            "attention_axes": self._attention_axes,
            "sliding_window": self._sliding_window,
            "kernel_initializer": initializers.serialize(self._kernel_initializer),
            "bias_initializer": initializers.serialize(self._bias_initializer),
            "kernel_regularizer": regularizers.serialize(self._kernel_regularizer),
            "kernel_constraint": constraints.serialize(self._kernel_constraint),
            "bias_regularizer": regularizers.serialize(self._bias_regularizer),
            "bias_constraint": constraints.serialize(self._bias_constraint),
            "activity_regularizer": regularizers.serialize(self._activity_regularizer),
            "seed": self.seed,
        }
