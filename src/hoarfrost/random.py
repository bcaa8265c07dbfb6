"""Random streams: one global seed for eager use, explicit keys inside steps.

Inside a training step the key is an explicit input of the pure function and
layers draw from it through the active `StatelessScope`; outside a step
(eager calls, initializers) keys come from a global stream that
`set_random_seed` resets, so a seeded program is reproducible.
"""

from __future__ import annotations

import random as _py_random

import jax
import numpy as np

from hoarfrost.variables import current_scope

_state = {"key": None, "seed": None}


def set_random_seed(seed: int) -> None:
    """Seed Python's, NumPy's and hoarfrost's random streams.

    Example:
        >>> import hoarfrost
        >>> hoarfrost.utils.set_random_seed(1337)
    """
    seed = int(seed)
    _py_random.seed(seed)
    np.random.seed(seed % 2**32)
    _state["seed"] = seed
    _state["key"] = jax.random.key(seed)


def global_key():
    """A fresh key from the global stream (seeded from OS entropy by default)."""
    # Never traced: the global stream must hold concrete keys, not tracers.
    with jax.ensure_compile_time_eval():
        if _state["key"] is None:
            _state["key"] = jax.random.key(np.random.SeedSequence().entropy % 2**63)
        _state["key"], sub = jax.random.split(_state["key"])
    return sub


def draw_key(seed: int | None = None):
    """A key for a random layer op: from the step's stream when tracing.

    Args:
        seed: a layer's own seed; folded into the key so two seeded layers
            differ, and used alone when no stream is active.
    """
    scope = current_scope()
    key = scope.next_rng() if scope is not None else None
    if key is None:
        key = jax.random.key(seed) if seed is not None else global_key()
    elif seed is not None:
        key = jax.random.fold_in(key, seed)
    return key
