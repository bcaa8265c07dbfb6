"""Activation functions with Keras 3's names, arguments and values.

Each takes an array (or a Variable, or a list) and is also found by name:
`layers.Dense(8, activation="hard_silu")`, `activations.get("mish")`.

Example:
    >>> from hoarfrost import activations
    >>> activations.relu([-10.0, -5.0, 0.0, 5.0, 10.0], max_value=5.0)
    Array([0., 0., 0., 5., 5.], dtype=float32)
"""

from __future__ import annotations

import types
from typing import Callable

import jax
import jax.numpy as jnp

from hoarfrost.variables import Variable


def _tensor(x):
    if isinstance(x, Variable):
        return x.value
    return x if isinstance(x, jax.Array) else jnp.asarray(x)


def linear(x):
    """The identity."""
    return x


def relu(x, negative_slope: float = 0.0, max_value: float | None = None,
         threshold: float = 0.0):
    """`max(x, 0)`, with Keras's optional slope below `threshold` and cap `max_value`."""
    x = _tensor(x)
    if negative_slope == 0.0 and max_value is None and threshold == 0.0:
        return jax.nn.relu(x)
    if negative_slope != 0.0:
        if max_value is None and threshold == 0:
            return jax.nn.leaky_relu(x, negative_slope)
        negative_part = jax.nn.relu(-x + threshold) if threshold != 0 else jax.nn.relu(-x)
    clip_max = max_value is not None
    if threshold != 0:
        x = jnp.where(x > jnp.asarray(threshold, x.dtype), x, jnp.zeros((), x.dtype))
    elif max_value == 6:
        x = jax.nn.relu6(x)
        clip_max = False
    else:
        x = jax.nn.relu(x)
    if clip_max:
        x = jnp.clip(x, jnp.zeros((), x.dtype), jnp.asarray(max_value, x.dtype))
    if negative_slope != 0.0:
        x = x - negative_slope * negative_part
    return x


def leaky_relu(x, negative_slope: float = 0.2):
    """`x` for positive inputs, `negative_slope * x` otherwise."""
    return jax.nn.leaky_relu(_tensor(x), negative_slope=negative_slope)


def relu6(x):
    """`min(max(x, 0), 6)`."""
    return jax.nn.relu6(_tensor(x))


def softmax(x, axis: int = -1):
    """`exp(x) / sum(exp(x))` along `axis` (an int or a tuple of ints)."""
    return jax.nn.softmax(_tensor(x), axis=axis)


def log_softmax(x, axis: int = -1):
    """`x - logsumexp(x)` along `axis`."""
    return jax.nn.log_softmax(_tensor(x), axis=axis)


def elu(x, alpha: float = 1.0):
    """`x` if `x > 0` else `alpha * (exp(x) - 1)`."""
    return jax.nn.elu(_tensor(x), alpha=alpha)


def selu(x):
    """The scaled exponential linear unit (Klambauer et al., 2017)."""
    return jax.nn.selu(_tensor(x))


def celu(x, alpha: float = 1.0):
    """`max(x, 0) + min(0, alpha * (exp(x / alpha) - 1))`."""
    return jax.nn.celu(_tensor(x), alpha=alpha)


def softplus(x):
    """`log(exp(x) + 1)`."""
    return jax.nn.softplus(_tensor(x))


def softsign(x):
    """`x / (abs(x) + 1)`."""
    return jax.nn.soft_sign(_tensor(x))


def soft_shrink(x, threshold: float = 0.5):
    """`x - threshold` above `threshold`, `x + threshold` below `-threshold`, else 0."""
    x = _tensor(x)
    return jnp.where(x > threshold, x - threshold,
                     jnp.where(x < -threshold, x + threshold, 0.0))


def hard_shrink(x, threshold: float = 0.5):
    """`x` where `abs(x) > threshold`, else 0."""
    x = _tensor(x)
    return jnp.where(jnp.abs(x) > threshold, x, 0.0)


def sparse_plus(x):
    """0 below -1, `(x + 1)**2 / 4` on [-1, 1], `x` above 1."""
    return jax.nn.sparse_plus(_tensor(x))


def silu(x):
    """`x * sigmoid(x)` (also named swish)."""
    return jax.nn.silu(_tensor(x))


swish = silu


def squareplus(x, b: float = 4):
    """`(x + sqrt(x**2 + b)) / 2`."""
    return jax.nn.squareplus(_tensor(x), b=b)


def gelu(x, approximate: bool = False):
    """The Gaussian error linear unit: `x * P(X <= x)`, X ~ N(0, 1).

    Args:
        approximate: use the tanh approximation instead of the exact erf form.
    """
    return jax.nn.gelu(_tensor(x), approximate)


def glu(x, axis: int = -1):
    """The gated linear unit: `a * sigmoid(b)` for `x` split in halves `a`, `b` on `axis`."""
    return jax.nn.glu(_tensor(x), axis=axis)


def tanh(x):
    """The hyperbolic tangent."""
    return jnp.tanh(_tensor(x))


def tanh_shrink(x):
    """`x - tanh(x)`."""
    x = _tensor(x)
    return x - jnp.tanh(x)


def hard_tanh(x):
    """-1 below -1, `x` on [-1, 1], 1 above 1."""
    return jax.nn.hard_tanh(_tensor(x))


def threshold(x, threshold, default_value):
    """`x` where `x > threshold`, else `default_value`."""
    x = _tensor(x)
    return jnp.where(x > threshold, x, default_value)


def sigmoid(x):
    """`1 / (1 + exp(-x))`."""
    return jax.nn.sigmoid(_tensor(x))


def sparse_sigmoid(x):
    """0 below -1, `(x + 1) / 2` on [-1, 1], 1 above 1."""
    return jax.nn.sparse_sigmoid(_tensor(x))


def exponential(x):
    """`exp(x)`."""
    return jnp.exp(_tensor(x))


def hard_sigmoid(x):
    """`relu6(x + 3) / 6`: 0 below -3, 1 above 3, linear between."""
    return jax.nn.hard_sigmoid(_tensor(x))


def hard_silu(x):
    """`x * hard_sigmoid(x)` (also named hard_swish)."""
    return jax.nn.hard_silu(_tensor(x))


hard_swish = hard_silu


def mish(x):
    """`x * tanh(softplus(x))`."""
    x = _tensor(x)
    return x * jnp.tanh(jax.nn.softplus(x))


def log_sigmoid(x):
    """`log(sigmoid(x))`, computed stably."""
    return jax.nn.log_sigmoid(_tensor(x))


def sparsemax(x, axis: int = -1):
    """The Euclidean projection of `x` onto the probability simplex (Martins & Astudillo,
    2016): like softmax, but exact zeros for the low entries."""
    logits = _tensor(x)
    logits_sorted = -1.0 * jnp.sort(logits * -1.0, axis=axis)
    logits_cumsum = jnp.cumsum(logits_sorted, axis=axis)
    r_shape = [1] * logits.ndim
    r_shape[axis] = -1
    r = jnp.arange(1, logits.shape[axis] + 1).reshape(r_shape)
    support = logits_sorted - (logits_cumsum - 1) / r > 0
    k = jnp.sum(support, axis=axis, keepdims=True)
    logits_cumsum_safe = jnp.where(support, logits_cumsum, 0.0)
    tau = (jnp.sum(logits_cumsum_safe, axis=axis, keepdims=True) - 1) / k
    return jnp.maximum(logits - tau, 0.0)


_FUNCTIONS = (relu, leaky_relu, relu6, softmax, celu, elu, selu, softplus, softsign, squareplus,
              soft_shrink, sparse_plus, silu, gelu, glu, tanh, tanh_shrink, threshold, sigmoid,
              sparse_sigmoid, exponential, hard_sigmoid, hard_silu, hard_tanh, hard_shrink,
              linear, mish, log_softmax, log_sigmoid, sparsemax)
_ALL = {fn.__name__: fn for fn in _FUNCTIONS}
_ALL["swish"] = silu
_ALL["hard_swish"] = hard_silu


def get(identifier: str | dict | Callable | None) -> Callable:
    """An activation from a name (`"relu"`), a config, a callable, or None (linear).

    Names are Keras's (case-insensitive here, so `"ReLU"` also works).
    """
    if identifier is None:
        return linear
    if isinstance(identifier, (str, dict)):
        obj = deserialize(identifier)
    else:
        obj = identifier
    if callable(obj):
        return obj
    raise ValueError(f"Could not interpret activation function identifier: {identifier!r}. "
                     f"Expected a callable or one of: {', '.join(sorted(_ALL))}.")


def serialize(activation: Callable) -> str | dict | Callable:
    """A built-in activation's Keras name (`silu` for swish); another function's Keras
    config (saved by name); an object with `get_config` its config; other callables
    pass through."""
    for name, fn in _ALL.items():
        if fn is activation:
            return {"swish": "silu", "hard_swish": "hard_silu"}.get(name, name)
    if isinstance(activation, types.FunctionType):
        # Keras: any other function by its registered name (`package>name`) or its own;
        # loading it needs it registered or in custom_objects.
        from hoarfrost.saving.serialization_lib import serialize_keras_object
        return serialize_keras_object(activation)
    if hasattr(activation, "get_config"):
        from hoarfrost._objects import serialize_object
        return serialize_object(activation, "keras.activations")
    return activation


def deserialize(config, custom_objects: dict | None = None) -> Callable:
    """The activation a name or a `serialize` config describes."""
    if isinstance(config, str):
        fn = (custom_objects or {}).get(config) or _ALL.get(config) or _ALL.get(config.lower())
        if fn is not None:
            return fn
    from hoarfrost._objects import deserialize_object
    return deserialize_object(config, _ALL, "activation", custom_objects)


__all__ = sorted(_ALL) + ["deserialize", "get", "serialize"]
