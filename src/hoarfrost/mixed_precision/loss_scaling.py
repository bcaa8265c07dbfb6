"""What `compile()` does for float16 mixed precision: loss scaling (Keras's rule).

Under a `"mixed_float16"` policy small gradients underflow in float16, so
Keras's `compile(auto_scale_loss=True)` wraps the optimizer in a
`LossScaleOptimizer`: each step multiplies the loss by a dynamic scale before
differentiating, the optimizer divides the gradients by it, and a step with a
non-finite gradient changes no variable, slot or step count (the scale halves;
it doubles after `dynamic_growth_steps` finite steps).

The arithmetic is `hoarfrost.optimizers.LossScaleOptimizer`'s; its scale and
counter are optimizer state (`OptimizerState.extra`) the compiled step carries
like the slots (`engine/step.py`: `stateless_scale_loss`, `stateless_update`).
A frozen variable's value and slots are never inputs of the update, so they
stay bit-identical whatever the scale does.
"""

from __future__ import annotations


def inner_optimizer(optimizer):
    """The optimizer a `LossScaleOptimizer` wraps (Keras's `inner_optimizer`), else itself."""
    from hoarfrost.optimizers import LossScaleOptimizer
    return optimizer.inner_optimizer if isinstance(optimizer, LossScaleOptimizer) else optimizer


def for_policy(model, optimizer, auto_scale_loss: bool = True):
    """The optimizer `compile()` uses: wrapped in a `LossScaleOptimizer` (named
    `"loss_scale_optimizer"`) when the model's policy is `"mixed_float16"` and it is not
    one already, as Keras's `compile(auto_scale_loss=True)` does."""
    from hoarfrost.optimizers import LossScaleOptimizer
    if not auto_scale_loss or optimizer is None or isinstance(optimizer, LossScaleOptimizer):
        return optimizer
    if model.dtype_policy.name != "mixed_float16":
        return optimizer
    return LossScaleOptimizer(optimizer, name="loss_scale_optimizer")
