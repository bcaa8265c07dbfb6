"""Weight penalties (`l1`, `l2`, `l1_l2`) added to the loss of trainable weights."""

from __future__ import annotations

from typing import Any

import jax.numpy as jnp
import numpy as np


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


def l1_l2(l1: float = 0.01, l2: float = 0.01) -> L1L2:
    return L1L2(l1=l1, l2=l2)


l1, l2 = L1, L2
_CLASSES = {"L1": L1, "L2": L2, "L1L2": L1L2}
_NAMES = {"l1": L1, "l2": L2, "l1_l2": l1_l2}


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
