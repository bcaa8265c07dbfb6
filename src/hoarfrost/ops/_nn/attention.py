"""Scaled dot-product attention."""

from __future__ import annotations

import jax.numpy as jnp
from jax import nn as jnn

from hoarfrost.ops._operation import compiled, keras_op, tensor

__all__ = ["dot_product_attention"]


@keras_op()
@compiled
def dot_product_attention(query, key, value, bias=None, mask=None, scale=None, is_causal=False,
                          flash_attention=None, attn_logits_soft_cap=None):
    """`softmax(query @ key^T * scale + bias, masked) @ value`, inputs `(batch, time, heads, dim)`.

    Args:
        mask: a boolean mask broadcastable to `(batch, heads, query time, key time)`;
            False entries are left out.
        scale: the logits' scale (`1 / sqrt(dim)` by default).
        is_causal: also mask every key after its query.
        flash_attention: None (XLA's attention), True (cuDNN's fused attention, on a
            GPU that has it, else an error), or False.
        attn_logits_soft_cap: only on TPU in Keras; an error here.
    """
    if attn_logits_soft_cap is not None:
        raise ValueError("attn_logits_soft_cap is only supported for JAX on TPU. Set "
                         "attn_logits_soft_cap=None when not using JAX on TPU.")
    query, key, value = tensor(query), tensor(key), tensor(value)
    if query.ndim != 4 or key.ndim != 4 or value.ndim != 4:
        raise ValueError("dot_product_attention only supports 4D inputs, got "
                         f"query.shape={query.shape}, key.shape={key.shape}, "
                         f"value.shape={value.shape}.")
    compute_dtype = jnp.result_type(query.dtype, key.dtype, value.dtype)
    query, key, value = (t.astype(compute_dtype) for t in (query, key, value))
    if bias is not None:
        bias = tensor(bias, dtype=compute_dtype)
    implementation = "cudnn" if flash_attention else "xla"
    return jnn.dot_product_attention(query, key, value, bias=bias, mask=mask, scale=scale,
                                     is_causal=is_causal, implementation=implementation)
