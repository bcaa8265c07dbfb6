"""Gradient clipping exactly as Keras's optimizers do it (`clipnorm`, `clipvalue`,
`global_clipnorm`), operation for operation, so clipped steps equal Keras's."""

from __future__ import annotations

import jax.numpy as jnp


def clip_by_norm(gradient, clipnorm: float):
    """`gradient * clipnorm / max(norm, clipnorm)`; a zero gradient stays zero (no NaN)."""
    l2sum = jnp.sum(jnp.square(gradient), keepdims=True)
    positive = l2sum > 0
    l2norm = jnp.where(positive, jnp.sqrt(jnp.where(positive, l2sum, jnp.ones_like(l2sum))),
                       l2sum)
    return (gradient * clipnorm) / jnp.maximum(l2norm, clipnorm)


def clip_by_global_norm(gradients: list, clipnorm: float) -> list:
    """All gradients scaled together so that their joint norm is at most `clipnorm`.

    A non-finite norm makes every gradient NaN (Keras's rule: such a step is
    not silently shrunk to zero).
    """
    if not gradients:
        return []
    norm = jnp.sqrt(jnp.sum(jnp.stack([jnp.sum(jnp.square(g)) for g in gradients])))
    scale = clipnorm * jnp.minimum(1.0 / norm, 1.0 / clipnorm) + (norm - norm)
    return [g * scale for g in gradients]


def clip_by_value(gradient, clipvalue: float):
    """Each element into `[-clipvalue, clipvalue]`."""
    return jnp.clip(gradient, -clipvalue, clipvalue)
