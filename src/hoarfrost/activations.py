"""Activation functions, by function or by Keras name."""

from __future__ import annotations

from typing import Callable

import jax
import jax.numpy as jnp


def linear(x):
    return x


def relu(x, negative_slope: float = 0.0, max_value: float | None = None,
         threshold: float = 0.0):
    """Keras 3's relu, with its optional slope, cap and threshold."""
    if negative_slope == 0.0 and max_value is None and threshold == 0.0:
        return jax.nn.relu(x)
    if negative_slope != 0.0:
        if max_value is None and threshold == 0:
            return jax.nn.leaky_relu(x, negative_slope)
        negative_part = jax.nn.relu(-x + threshold) if threshold != 0 else jax.nn.relu(-x)
    if threshold != 0:
        x = jnp.where(x > jnp.asarray(threshold, x.dtype), x, jnp.zeros((), x.dtype))
    else:
        x = jax.nn.relu(x)
    if max_value is not None:
        x = jnp.clip(x, jnp.zeros((), x.dtype), jnp.asarray(max_value, x.dtype))
    if negative_slope != 0.0:
        x = x - negative_slope * negative_part
    return x


def sigmoid(x):
    return jax.nn.sigmoid(x)


def tanh(x):
    return jnp.tanh(x)


def softmax(x, axis: int = -1):
    return jax.nn.softmax(x, axis=axis)


def log_softmax(x, axis: int = -1):
    return jax.nn.log_softmax(x, axis=axis)


def elu(x, alpha: float = 1.0):
    return jax.nn.elu(x, alpha)


def selu(x):
    return jax.nn.selu(x)


def gelu(x, approximate: bool = False):
    return jax.nn.gelu(x, approximate=approximate)


def silu(x):
    return jax.nn.silu(x)


swish = silu


def softplus(x):
    return jax.nn.softplus(x)


def softsign(x):
    return jax.nn.soft_sign(x)


def leaky_relu(x, negative_slope: float = 0.2):
    return jax.nn.leaky_relu(x, negative_slope)


def exponential(x):
    return jnp.exp(x)


def hard_sigmoid(x):
    return jax.nn.hard_sigmoid(x)


_ALL = {
    f.__name__: f
    for f in (linear, relu, sigmoid, tanh, softmax, log_softmax, elu, selu, gelu, silu,
              softplus, softsign, leaky_relu, exponential, hard_sigmoid)
}
_ALL["swish"] = silu


def get(identifier: str | Callable | None) -> Callable:
    """Resolve an activation given as a name, a function or None (linear)."""
    if identifier is None:
        return linear
    if callable(identifier):
        return identifier
    if isinstance(identifier, str) and identifier.lower() in _ALL:
        return _ALL[identifier.lower()]
    raise ValueError(
        f"Unknown activation {identifier!r}. Expected a callable or one of: "
        f"{', '.join(sorted(_ALL))}."
    )


def serialize(activation: Callable) -> str | Callable:
    """The Keras name of a built-in activation (custom callables pass through)."""
    for name, fn in _ALL.items():
        if fn is activation:
            return "silu" if name == "swish" else name
    return activation
