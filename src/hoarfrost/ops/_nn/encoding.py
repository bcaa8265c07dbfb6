"""Tensors re-encoded: one-hot and multi-hot vectors, complex numbers from polar form."""

from __future__ import annotations

import jax.numpy as jnp
from jax import lax
from jax import nn as jnn

from hoarfrost.ops._operation import keras_op, standardize_dtype, tensor

__all__ = ["multi_hot", "one_hot", "polar"]


@keras_op()
def one_hot(x, num_classes, axis=-1, dtype=None, sparse=False):
    """One-hot vectors of `num_classes` along `axis` (negative indices: all zeros)."""
    if sparse:
        raise ValueError("one_hot: `sparse=True` is not supported: hoarfrost's tensors are dense.")
    return jnn.one_hot(tensor(x), num_classes, axis=axis, dtype=standardize_dtype(dtype))


@keras_op()
def multi_hot(inputs, num_classes=None, axis=-1, dtype=None, sparse=False, **kwargs):
    """Multi-hot vectors: 1 for each class present in a row of `inputs`."""
    if num_classes is None and "num_tokens" in kwargs:
        num_classes = kwargs.pop("num_tokens")
    if kwargs:
        raise TypeError(f"multi_hot: unexpected arguments {sorted(kwargs)}.")
    if num_classes is None:
        raise ValueError("multi_hot: argument `num_classes` must be specified.")
    if sparse:
        raise ValueError("multi_hot: `sparse=True` is not supported: hoarfrost's tensors are "
                         "dense.")
    x = tensor(inputs)
    reduction_axis = 1 if x.ndim > 1 else 0
    encoded = jnn.one_hot(x.astype("int32"), num_classes, axis=axis,
                          dtype=standardize_dtype(dtype))
    return jnp.max(encoded, axis=reduction_axis)


@keras_op()
def polar(abs_, angle):
    """The complex number `abs_ * (cos(angle) + i sin(angle))`."""
    abs_, angle = tensor(abs_), tensor(angle)
    real, imaginary = abs_ * jnp.cos(angle), abs_ * jnp.sin(angle)
    if real.shape != imaginary.shape:
        raise ValueError(f"polar: the parts have different shapes, {real.shape} and "
                         f"{imaginary.shape}.")
    if not jnp.issubdtype(real.dtype, jnp.floating):
        raise ValueError(f"polar: expected float inputs, got {real.dtype}.")
    return lax.complex(real, imaginary)
