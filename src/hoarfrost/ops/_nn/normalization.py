"""Moments and normalizations: batch, layer, RMS and L-p (`normalize`)."""

from __future__ import annotations

import warnings

import jax.numpy as jnp
from jax import lax

from hoarfrost.ops._operation import compiled, keras_op, standardize_dtype, tensor
from hoarfrost.ops._operation import epsilon as config_epsilon

__all__ = ["batch_normalization", "layer_normalization", "moments", "normalize",
    "rms_normalization"]


@keras_op()
def moments(x, axes, keepdims=False, synchronized=False):
    """The mean and variance of `x` over `axes` (float16 computed in float32)."""
    if synchronized:
        raise NotImplementedError("moments: `synchronized=True` is not supported with JAX (as "
                                  "in Keras).")
    x = tensor(x)
    original = standardize_dtype(x.dtype)
    low_precision = original in ("float16", "bfloat16")
    if low_precision:
        x = x.astype("float32")
    mean = jnp.mean(x, axes, keepdims=True)
    variance = jnp.var(x, axis=axes, keepdims=True)
    if not keepdims:
        mean, variance = jnp.squeeze(mean, axes), jnp.squeeze(variance, axes)
    if low_precision:
        low, high = jnp.finfo(jnp.float16).min, jnp.finfo(jnp.float16).max
        mean = jnp.clip(mean, low, high).astype(original)
        variance = jnp.clip(variance, low, high).astype(original)
    return mean, variance


@keras_op()
def batch_normalization(x, mean, variance, axis, offset=None, scale=None, epsilon=1e-3):
    """`(x - mean) / sqrt(variance + epsilon) * scale + offset`, statistics along `axis`."""
    x, mean, variance = tensor(x), tensor(mean), tensor(variance)
    shape = [1] * x.ndim
    shape[axis] = mean.shape[0]
    mean, variance = jnp.reshape(mean, shape), jnp.reshape(variance, shape)
    inv = lax.rsqrt(variance + epsilon)
    if scale is not None:
        inv = inv * jnp.reshape(tensor(scale), shape)
    res = -mean * inv
    if offset is not None:
        res = res + jnp.reshape(tensor(offset), shape)
    return jnp.add(x * inv, res)


@keras_op()
def normalize(x, axis=-1, order=2, epsilon=None):
    """`x` divided by its `order`-norm along `axis` (at least `epsilon`)."""
    if not isinstance(order, int) or not order >= 1:
        raise ValueError(f"normalize: `order` must be an int >= 1, got {order!r}.")
    x = tensor(x)
    if x.ndim == 0:
        x = jnp.expand_dims(x, axis=0)
    epsilon = config_epsilon() if epsilon is None else epsilon
    if order == 2:
        square_sum = jnp.sum(jnp.square(x), axis=axis, keepdims=True)
        return x * jnp.minimum(lax.rsqrt(square_sum), 1.0 / epsilon)
    norm = jnp.linalg.norm(x, ord=order, axis=axis, keepdims=True)
    return jnp.divide(x, jnp.maximum(norm, epsilon))


@keras_op()
@compiled
def rms_normalization(x, scale=None, axis=-1, epsilon=None):
    """`x / sqrt(mean(x ** 2) + epsilon) * scale` along `axis`, computed in float32 or wider."""
    epsilon = config_epsilon() if epsilon is None else epsilon
    x = tensor(x)
    original = x.dtype
    x = x.astype(jnp.result_type(x.dtype, "float32"))
    if isinstance(axis, (tuple, list)):
        axis = tuple(sorted(axis))
    if x.ndim == 0:
        x = jnp.expand_dims(x, axis=0)
    outputs = x * lax.rsqrt(jnp.mean(jnp.square(x), axis=axis, keepdims=True) + epsilon)
    if scale is not None:
        outputs = outputs * tensor(scale, x.dtype)
    return outputs.astype(original)


@keras_op()
@compiled
def layer_normalization(x, gamma=None, beta=None, axis=-1, epsilon=None, **kwargs):
    """`(x - mean) / sqrt(var + epsilon) * gamma + beta`, statistics along `axis`."""
    rms_scaling = kwargs.pop("rms_scaling", False)
    if kwargs:
        raise TypeError(f"layer_normalization: unexpected arguments {sorted(kwargs)}.")
    if rms_scaling:
        warnings.warn("You passed `rms_scaling=True`, which is deprecated. This argument "
                      "incorrectly scales the input by the variance, not the root mean square. "
                      "To correctly use RMS Normalization, please use "
                      "`hoarfrost.ops.rms_normalization` instead.", stacklevel=2)
    epsilon = config_epsilon() if epsilon is None else epsilon
    x = tensor(x)
    original = x.dtype
    x = x.astype(jnp.result_type(x.dtype, "float32"))
    gamma = None if gamma is None else tensor(gamma, x.dtype)
    beta = None if beta is None else tensor(beta, x.dtype)
    axis = sorted([axis] if isinstance(axis, int) else axis)
    broadcast_shape = [1] * x.ndim
    for dim in axis:
        broadcast_shape[dim] = x.shape[dim]

    def broadcast(v):
        if v is not None and v.ndim != x.ndim and axis != [x.ndim - 1]:
            return jnp.reshape(v, broadcast_shape)
        return v

    if rms_scaling:
        outputs = x * lax.rsqrt(jnp.var(x, axis=axis, keepdims=True) + epsilon)
        if gamma is not None:
            outputs = outputs * broadcast(gamma).astype(x.dtype)
    else:
        mean, variance = moments(x, axes=axis, keepdims=True)
        gamma, beta = broadcast(gamma), broadcast(beta)
        inv = lax.rsqrt(variance + epsilon)
        if gamma is not None:
            inv = inv * gamma
        res = -mean * inv
        if beta is not None:
            res = res + beta
        outputs = x * inv + res
    return outputs.astype(original)
