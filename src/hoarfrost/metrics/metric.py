"""The `Metric` base class: a pure core the engine jits, and Keras's stateful API.

A metric's state is a small pytree of arrays. The engine threads it through
the compiled step (`initial_state`, `update`, `compute`), so nothing syncs
with the host per step; the Keras stateful API (`update_state`, `result`,
`reset_state`) wraps the same functions for use outside `fit`.
"""

from __future__ import annotations

from typing import Any

import jax.numpy as jnp
import numpy as np

from hoarfrost.naming import to_snake_case


def zeros(shape):
    """A fresh float32 zero buffer on the device: a transfer, not an op to compile."""
    return jnp.asarray(np.zeros(shape, np.float32))


class Metric:
    """Base class of metrics.

    Args:
        name: the key of this metric in logs and `History`.
    """

    #: "up" when a larger value is better, "down" when smaller is; None when unknown.
    #: `EarlyStopping(mode="auto")` and friends read it, as in Keras.
    _direction: str | None = None

    def __init__(self, name: str | None = None, dtype=None):
        self.name = name or to_snake_case(type(self).__name__)
        self._state = None

    # --- pure core, used inside compiled steps ----------------------------------
    def initial_state(self):
        raise NotImplementedError

    def update(self, state, y_true, y_pred, sample_weight=None):
        raise NotImplementedError

    def compute(self, state):
        raise NotImplementedError

    # --- Keras's stateful API ------------------------------------------------
    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        if self._state is None:
            self._state = self.initial_state()
        self._state = self.update(self._state, jnp.asarray(y_true), jnp.asarray(y_pred),
                                  sample_weight)

    def result(self):
        return self.compute(self._state if self._state is not None else self.initial_state())

    def reset_state(self) -> None:
        self._state = None

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)
