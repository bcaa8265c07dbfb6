"""Activations: `relu`, `sigmoid`, `gelu`, ... and the softmax family."""

from __future__ import annotations

import warnings

import jax.numpy as jnp
from jax import nn as jnn

from hoarfrost.ops._operation import compiled, keras_op, tensor

__all__ = ["celu", "elu", "gelu", "glu", "hard_shrink", "hard_sigmoid", "hard_silu", "hard_swish",
    "hard_tanh", "leaky_relu", "log_sigmoid", "log_softmax", "relu", "relu6", "selu", "sigmoid",
    "silu", "soft_shrink", "softmax", "softplus", "softsign", "sparse_plus", "sparse_sigmoid",
    "sparsemax", "squareplus", "swish", "tanh_shrink", "threshold"]


@keras_op()
def relu(x):
    """`max(x, 0)`."""
    return jnn.relu(tensor(x))


@keras_op()
def relu6(x):
    """`min(max(x, 0), 6)`."""
    return jnn.relu6(tensor(x))


@keras_op()
def sigmoid(x):
    """`1 / (1 + exp(-x))`."""
    return jnn.sigmoid(tensor(x))


@keras_op()
def sparse_sigmoid(x):
    """0 below -1, 1 above 1, `(x + 1) / 2` between."""
    return jnn.sparse_sigmoid(tensor(x))


@keras_op()
def softplus(x):
    """`log(1 + exp(x))`."""
    return jnn.softplus(tensor(x))


@keras_op()
def softsign(x):
    """`x / (1 + |x|)`."""
    return jnn.soft_sign(tensor(x))


@keras_op()
def soft_shrink(x, threshold=0.5):
    """`x - threshold` above `threshold`, `x + threshold` below `-threshold`, else 0."""
    x = tensor(x)
    return jnp.where(x > threshold, x - threshold, jnp.where(x < -threshold, x + threshold, 0.0))


@keras_op()
def sparse_plus(x):
    """0 below -1, `x` above 1, `(x + 1) ** 2 / 4` between."""
    return jnn.sparse_plus(tensor(x))


@keras_op()
def silu(x):
    """`x * sigmoid(x)` (also called swish)."""
    return jnn.silu(tensor(x))


swish = silu


@keras_op()
def squareplus(x, b=4):
    """`(x + sqrt(x ** 2 + b)) / 2`."""
    return jnn.squareplus(tensor(x), b=b)


@keras_op()
def log_sigmoid(x):
    """`log(sigmoid(x))`, computed stably."""
    return jnn.log_sigmoid(tensor(x))


@keras_op()
def leaky_relu(x, negative_slope=0.2):
    """`x` for positive `x`, else `negative_slope * x`."""
    return jnn.leaky_relu(tensor(x), negative_slope=negative_slope)


@keras_op()
def hard_sigmoid(x):
    """`relu6(x + 3) / 6`."""
    return jnn.hard_sigmoid(tensor(x))


@keras_op()
def hard_silu(x):
    """`x * hard_sigmoid(x)` (also called hard swish)."""
    return jnn.hard_silu(tensor(x))


hard_swish = hard_silu


@keras_op()
def elu(x, alpha=1.0):
    """`x` for positive `x`, else `alpha * (exp(x) - 1)`."""
    return jnn.elu(tensor(x), alpha=alpha)


@keras_op()
def selu(x):
    """The scaled ELU of Klambauer et al. (2017)."""
    return jnn.selu(tensor(x))


@keras_op()
def gelu(x, approximate=True):
    """The Gaussian error linear unit (its tanh approximation by default)."""
    return jnn.gelu(tensor(x), approximate)


@keras_op()
def celu(x, alpha=1.0):
    """`max(x, 0) + min(0, alpha * (exp(x / alpha) - 1))`."""
    return jnn.celu(tensor(x), alpha=alpha)


@keras_op()
def glu(x, axis=-1):
    """`a * sigmoid(b)`, `x` split in halves `a`, `b` along `axis`."""
    return jnn.glu(tensor(x), axis=axis)


@keras_op()
def tanh_shrink(x):
    """`x - tanh(x)`."""
    x = tensor(x)
    return x - jnp.tanh(x)


@keras_op()
def hard_tanh(x):
    """`x` clipped to [-1, 1]."""
    return jnn.hard_tanh(tensor(x))


@keras_op()
def hard_shrink(x, threshold=0.5):
    """`x` where `|x| > threshold`, else 0."""
    x = tensor(x)
    return jnp.where(jnp.abs(x) > threshold, x, 0.0)


@keras_op()
def threshold(x, threshold, default_value):
    """`x` where `x > threshold`, else `default_value`."""
    x = tensor(x)
    return jnp.where(x > threshold, x, default_value)


def _over_axes(fn, x, axis):
    """`fn(..., axis=-1)` over several axes at once, as Keras does: moved last, merged."""
    keep = [v for v in range(x.ndim) if v not in axis]
    moved = jnp.transpose(x, (*keep, *axis))
    out = fn(jnp.reshape(moved, (*[x.shape[v] for v in keep], -1)), axis=-1)
    out = jnp.reshape(out, moved.shape)
    order = [*keep, *axis]
    return jnp.transpose(out, sorted(range(len(order)), key=order.__getitem__))


@keras_op()
def softmax(x, axis=-1):
    """`exp(x) / sum(exp(x))` along `axis` (an int or a tuple of ints)."""
    x = tensor(x)
    if isinstance(axis, int) and -x.ndim <= axis < x.ndim and x.shape[axis] == 1:
        warnings.warn(f"You are using a softmax over axis {axis} of a tensor of shape "
                      f"{x.shape}. This axis has size 1. The softmax operation will always "
                      "return the value 1, which is likely not what you intended. Did you mean "
                      "to use a sigmoid instead?", stacklevel=2)
    if isinstance(axis, tuple):
        return _over_axes(jnn.softmax, x, axis)
    return jnn.softmax(x, axis=axis)


@keras_op()
def log_softmax(x, axis=-1):
    """`log(softmax(x))` along `axis`, computed stably."""
    x = tensor(x)
    if isinstance(axis, tuple):
        return _over_axes(jnn.log_softmax, x, axis)
    return jnn.log_softmax(x, axis=axis)


@keras_op()
@compiled
def sparsemax(x, axis=-1):
    """The sparse softmax of Martins & Astudillo (2016): a projection onto the simplex."""
    logits = tensor(x)
    logits_sorted = -1.0 * jnp.sort(logits * -1.0, axis=axis)
    logits_cumsum = jnp.cumsum(logits_sorted, axis=axis)
    r_shape = [1] * logits.ndim
    r_shape[axis] = -1
    r = jnp.arange(1, logits.shape[axis] + 1).reshape(r_shape)
    support = logits_sorted - (logits_cumsum - 1) / r > 0
    k = jnp.sum(support, axis=axis, keepdims=True)
    cumsum_safe = jnp.where(support, logits_cumsum, 0.0)
    tau = (jnp.sum(cumsum_safe, axis=axis, keepdims=True) - 1) / k
    return jnp.maximum(logits - tau, 0.0)
