"""Weight penalties (`l1`, `l2`, `l1_l2`, orthogonality) added to the loss of trainable
weights."""

from __future__ import annotations

import math
from typing import Any

import jax.numpy as jnp
import numpy as np

from hoarfrost._objects import deserialize_object
from hoarfrost.ops._nn import normalize


class Regularizer:
    """Base class: `regularizer(value)` returns a scalar penalty."""

    def __call__(self, x):
        return 0.0

    def get_config(self) -> dict[str, Any]:
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class L1L2(Regularizer):
    def __init__(self, l1: float = 0.0, l2: float = 0.0):
        self.l1, self.l2 = float(l1), float(l2)

    def __call__(self, x):
        penalty = 0.0
        if self.l1:
            penalty += self.l1 * jnp.sum(jnp.abs(x))
        if self.l2:
            penalty += self.l2 * jnp.sum(jnp.square(x))
        return penalty

    def get_config(self):
        return {"l1": self.l1, "l2": self.l2}


class L1(L1L2):
    def __init__(self, l1: float = 0.01):
        super().__init__(l1=l1)

    def get_config(self):
        # Keras keeps L1's factor as a float32 tensor, so its config reads it back
        # rounded (`L1(0.005)` -> 0.004999999888241291); L2 and L1L2 keep the float.
        return {"l1": float(np.float32(self.l1))}


class L2(L1L2):
    def __init__(self, l2: float = 0.01):
        super().__init__(l2=l2)

    def get_config(self):
        return {"l2": self.l2}


class OrthogonalRegularizer(Regularizer):
    """A penalty on the cosine similarity of the rows (or columns) of a 2-D weight: the
    mean absolute similarity of distinct pairs, times `factor / 2` (Keras's formula).

    Args:
        factor: the weight of the penalty (a non-negative float).
        mode: `"rows"` or `"columns"`: which vectors should be orthogonal.

    Example:
        >>> layer = hoarfrost.layers.Dense(
        ...     3, kernel_regularizer=OrthogonalRegularizer(factor=0.01, mode="columns"))
    """

    def __init__(self, factor: float = 0.01, mode: str = "rows"):
        if (not isinstance(factor, (float, int)) or math.isinf(factor) or math.isnan(factor)
                or factor < 0):
            raise ValueError("Invalid value for argument factor: expected a non-negative "
                             f"float.Received: factor={factor}")
        if mode not in {"rows", "columns"}:
            raise ValueError("Invalid value for argument `mode`. Expected one of "
                             f'{{"rows", "columns"}}. Received: mode={mode}')
        self.factor = np.float32(factor)  # Keras keeps it as a float32 tensor
        self.mode = mode

    def __call__(self, x):
        if len(x.shape) != 2:
            raise ValueError("Inputs to OrthogonalRegularizer must have rank 2. Received: "
                             f"inputs.shape={tuple(x.shape)}")
        x = jnp.asarray(x)
        if self.mode == "rows":
            x = normalize(x, axis=1)
            product, size = x @ x.T, x.shape[0]
        else:
            x = normalize(x, axis=0)
            product, size = x.T @ x, x.shape[1]
        off_diagonal = product * (1.0 - jnp.eye(size, dtype=x.dtype))
        num_pairs = size * (size - 1.0) / 2.0
        return self.factor * 0.5 * jnp.sum(jnp.abs(off_diagonal)) / num_pairs

    def get_config(self):
        return {"factor": float(self.factor), "mode": self.mode}


# Keras 3's `l1_l2` is the class `L1L2` (defaults 0.0 and 0.0; Keras 2's function had 0.01).
l1, l2, l1_l2 = L1, L2, L1L2
orthogonal_regularizer = OrthogonalRegularizer
_CLASSES = {"Regularizer": Regularizer, "L1": L1, "L2": L2, "L1L2": L1L2,
            "OrthogonalRegularizer": OrthogonalRegularizer}
_NAMES = {"l1": L1, "l2": L2, "l1_l2": l1_l2, "orthogonal_regularizer": OrthogonalRegularizer}


def get(identifier):
    """Resolve a regularizer from a name, a config dict, an instance or a callable."""
    if identifier is None or callable(identifier):
        return identifier
    if isinstance(identifier, str) and identifier.lower() in _NAMES:
        return _NAMES[identifier.lower()]()
    if isinstance(identifier, dict) and identifier.get("class_name") in _CLASSES:
        return _CLASSES[identifier["class_name"]].from_config(identifier.get("config", {}))
    raise ValueError(
        f"Unknown regularizer {identifier!r}. Expected a callable or one of: l1, l2, l1_l2."
    )


def serialize(regularizer):
    if isinstance(regularizer, Regularizer):
        return {"class_name": type(regularizer).__name__, "config": regularizer.get_config()}
    return regularizer


def deserialize(config, custom_objects: dict | None = None):
    """The regularizer a name or a config (Keras 3's or the older `{class_name, config}`)
    describes; custom ones from `custom_objects` or the registry."""
    return deserialize_object(config, {**_CLASSES, **_NAMES}, "regularizer", custom_objects)
