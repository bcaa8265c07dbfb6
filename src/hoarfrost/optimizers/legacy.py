"""`keras.optimizers.legacy`: the names exist, as in Keras 3, and constructing one raises.

Keras 3 removed Keras 2's legacy optimizers and keeps these names only to say so;
hoarfrost does the same, and names the optimizer to use instead.
"""

from __future__ import annotations


class LegacyOptimizerWarning:
    """Raises `ImportError` on construction, as Keras 3's `keras.optimizers.legacy.*`."""

    _modern = "Optimizer"

    def __init__(self, *args, **kwargs):
        raise ImportError(
            f"`keras.optimizers.legacy.{self._modern}` is not supported in Keras 3, nor in "
            f"hoarfrost. Use `hoarfrost.optimizers.{self._modern}` (Keras 3's optimizers: "
            "`learning_rate=` instead of `lr=`, and a learning-rate schedule instead of "
            "`decay=`).")


def _named(name: str) -> type:
    return type(name, (LegacyOptimizerWarning,), {"_modern": name, "__module__": __name__,
                                                  "__doc__": LegacyOptimizerWarning.__doc__})


Adagrad = _named("Adagrad")
Adam = _named("Adam")
Ftrl = _named("Ftrl")
Optimizer = _named("Optimizer")
RMSprop = _named("RMSprop")
SGD = _named("SGD")

__all__ = ["Adagrad", "Adam", "Ftrl", "Optimizer", "RMSprop", "SGD"]
