"""Mixed precision with Keras's `keras.mixed_precision` names.

Under `set_global_policy("mixed_bfloat16")` (or `"mixed_float16"`), new layers
keep their variables in float32 and compute in the 16-bit type: a layer casts
its floating inputs to its `compute_dtype` and reads its variables in it
inside `call`; gradients reach the float32 variables, which the optimizer
updates in float32. The loss is computed in float32. Layers Keras keeps in
float32 internally (BatchNormalization's statistics, LayerNormalization,
GroupNormalization) do so here too. A layer given `dtype="float32"` computes in
float32 inside a mixed model (the usual choice for the last softmax).

Under `"mixed_float16"`, `compile()` wraps the optimizer in a
`LossScaleOptimizer` (dynamic loss scaling against float16 underflow), as
Keras does.

Example:
    >>> from hoarfrost import layers, mixed_precision
    >>> mixed_precision.set_global_policy("mixed_bfloat16")
    >>> dense = layers.Dense(4)
    >>> dense.compute_dtype, dense.variable_dtype
    ('bfloat16', 'float32')
    >>> mixed_precision.set_global_policy("float32")
"""

from __future__ import annotations

from hoarfrost.config import dtype_policy, set_dtype_policy
from hoarfrost.dtype_policies import DTypePolicy

Policy = DTypePolicy
global_policy = dtype_policy
set_global_policy = set_dtype_policy


def __getattr__(name: str):
    if name == "LossScaleOptimizer":  # keras.mixed_precision.LossScaleOptimizer (lazy: no
        from hoarfrost.optimizers import LossScaleOptimizer  # import cycle at start-up)
        return LossScaleOptimizer
    raise AttributeError(f"module 'hoarfrost.mixed_precision' has no attribute {name!r}")


__all__ = ["DTypePolicy", "LossScaleOptimizer", "Policy", "dtype_policy", "global_policy",
           "set_dtype_policy", "set_global_policy"]
