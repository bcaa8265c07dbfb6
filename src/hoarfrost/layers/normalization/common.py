"""What the normalization layers share: Keras's formula term by term, the dtype of the
statistics, and the check of an axis against the input's rank."""

from __future__ import annotations

import jax
import jax.numpy as jnp


def _normalize(x, mean, variance, gamma, beta, epsilon):
    """Keras's formula, term by term: `x * inv + (beta - mean * inv)`."""
    inv = jax.lax.rsqrt(variance + epsilon)
    if gamma is not None:
        inv = inv * gamma
    res = -mean * inv
    if beta is not None:
        res = res + beta
    return x * inv + res


def _compute_dtype(dtype):
    # Statistics in at least float32 (float16 inputs overflow), as Keras does.
    return jnp.result_type(dtype, jnp.float32)


def _check_axis(layer, axis: int, rank: int) -> int:
    if not -rank <= axis < rank:
        raise ValueError(
            f'{type(layer).__name__} layer "{layer.name}": axis {axis} is out of bounds '
            f"for inputs of rank {rank}."
        )
    return axis % rank
