"""Weight constraints with Keras 3's names: projections applied after each update.

A constraint is a pure function of a weight's value; `fit` applies it to a
trainable variable right after the optimizer's update, inside the compiled
step (a frozen variable is never updated, so never projected).

Example:
    >>> layer = hoarfrost.layers.Dense(4, kernel_constraint="max_norm")
    >>> hoarfrost.constraints.MaxNorm(2.0)(jnp.array([[3.0], [4.0]]))  # norm 5 -> 2
    Array([[1.2],
           [1.6]], dtype=float32)
"""

from __future__ import annotations

import inspect
from typing import Any

import jax.numpy as jnp

from hoarfrost import config
from hoarfrost._objects import deserialize_object, serialize_object


def _norms(w, axis):
    return jnp.sqrt(jnp.sum(jnp.square(w), axis=_axis(axis), keepdims=True))


def _axis(axis):
    return tuple(axis) if isinstance(axis, (list, tuple)) else axis


class Constraint:
    """Base class: `constraint(w)` returns the projected value (the identity here)."""

    def __call__(self, w):
        return w

    def get_config(self) -> dict[str, Any]:
        return {}

    @classmethod
    def from_config(cls, config: dict[str, Any]):
        return cls(**config)


class MaxNorm(Constraint):
    """Scales the weights incident to each unit down to a norm of at most `max_value`.

    Args:
        max_value: the largest norm allowed.
        axis: the axis (or axes) along which norms are taken: 0 for a Dense
            kernel's columns, `[0, 1, 2]` for a Conv2D kernel's filters.
    """

    def __init__(self, max_value: float = 2, axis=0):
        self.max_value = max_value
        self.axis = axis

    def __call__(self, w):
        w = jnp.asarray(w)
        norms = _norms(w, self.axis)
        desired = jnp.clip(norms, 0, self.max_value)
        return w.astype(norms.dtype) * (desired / (config.epsilon() + norms))

    def get_config(self):
        return {"max_value": self.max_value, "axis": self.axis}


class NonNeg(Constraint):
    """Sets negative weights to zero."""

    def __call__(self, w):
        return jnp.maximum(jnp.asarray(w), 0)


class UnitNorm(Constraint):
    """Scales the weights incident to each unit to a norm of 1 (along `axis`)."""

    def __init__(self, axis=0):
        self.axis = axis

    def __call__(self, w):
        w = jnp.asarray(w)
        norms = _norms(w, self.axis)
        return w.astype(norms.dtype) / (config.epsilon() + norms)

    def get_config(self):
        return {"axis": self.axis}


class MinMaxNorm(Constraint):
    """Moves each unit's norm towards `[min_value, max_value]`.

    Args:
        min_value, max_value: the range of norms.
        rate: the weights are rescaled to `(1 - rate) * norm + rate *
            clip(norm, min_value, max_value)`; 1.0 enforces the range strictly.
        axis: as for `MaxNorm`.
    """

    def __init__(self, min_value: float = 0.0, max_value: float = 1.0, rate: float = 1.0,
                 axis=0):
        self.min_value = min_value
        self.max_value = max_value
        self.rate = rate
        self.axis = axis

    def __call__(self, w):
        w = jnp.asarray(w)
        norms = _norms(w, self.axis)
        desired = (self.rate * jnp.clip(norms, self.min_value, self.max_value)
                   + (1 - self.rate) * norms)
        return w.astype(norms.dtype) * (desired / (config.epsilon() + norms))

    def get_config(self):
        return {"min_value": self.min_value, "max_value": self.max_value, "rate": self.rate,
                "axis": self.axis}


max_norm, non_neg, unit_norm, min_max_norm = MaxNorm, NonNeg, UnitNorm, MinMaxNorm

_CLASSES = {cls.__name__: cls for cls in (Constraint, MaxNorm, MinMaxNorm, NonNeg, UnitNorm)}
_OBJECTS = {**_CLASSES, "constraint": Constraint, "max_norm": MaxNorm,
            "min_max_norm": MinMaxNorm, "non_neg": NonNeg, "unit_norm": UnitNorm}


def serialize(constraint) -> dict | None:
    """A constraint's config, in Keras's form (`{"module", "class_name", "config", ...}`)."""
    if constraint is None:
        return None
    return serialize_object(constraint, "keras.constraints")


def deserialize(config, custom_objects: dict | None = None):
    """The constraint a `serialize` config (or a name) describes."""
    return deserialize_object(config, _OBJECTS, "constraint", custom_objects)


def get(identifier):
    """A constraint from an instance, a name (`"max_norm"`, `"MaxNorm"`), a config or a
    function of the value; None stays None."""
    if identifier is None:
        return None
    if isinstance(identifier, (dict, str)):
        obj = deserialize(identifier)
    else:
        obj = identifier
    if inspect.isclass(obj):
        obj = obj()
    if callable(obj):
        return obj
    raise ValueError(f"Could not interpret constraint identifier: {identifier!r}. Expected a "
                     f"Constraint, a function of the weight, or one of {sorted(_OBJECTS)}.")


__all__ = ["Constraint", "MaxNorm", "MinMaxNorm", "NonNeg", "UnitNorm", "deserialize", "get",
           "max_norm", "min_max_norm", "non_neg", "serialize", "unit_norm"]
