"""The training step's side of loss scaling (float16 mixed precision).

Under a `"mixed_float16"` policy small gradients underflow in float16, so
Keras multiplies the loss by a large factor before differentiating and divides
the gradients by it before the update (`LossScaleOptimizer`). The factor and a
step counter are optimizer state that each step reads and may change: halved,
and the step skipped, when a gradient is not finite; doubled after
`dynamic_growth_steps` finite steps.

The optimizer does the arithmetic; this module is what the engine needs to
carry it through a pure, compiled step. The contract with a loss-scaling
optimizer (Keras's `LossScaleOptimizer` API):

- `optimizer.scale_loss(loss)`: the loss to differentiate; it reads its scale
  with `Variable.value`.
- `optimizer.apply(grads, values, slots, learning_rate, iterations,
  multipliers)`: as any hoarfrost optimizer, given the *scaled* gradients; it
  unscales them, and on non-finite gradients returns the values and slots
  unchanged. It changes its own state with `Variable.assign`.
- its own state: `optimizer.loss_scale_variables` if it lists them, else
  Keras's `step_counter` and `dynamic_scale` Variables.

The engine runs `scale_loss` and `apply` in a `StatelessScope` mapping those
Variables to values carried in the step (`TrainCarry.loss_scale`), takes their
new values out of the scope, and writes them back after each compiled call,
like any variable. The step count (`iterations`) does not advance on a skipped
step, as in Keras. A frozen variable's value and slots are never inputs of the
update, so they stay bit-identical whatever the scale does; the scale itself is
the optimizer's, kept across changes of the trainable set and `compile()`.
"""

from __future__ import annotations

import importlib

import jax
import jax.numpy as jnp

from hoarfrost.variables import StatelessScope, Variable


def loss_scale_optimizer_class():
    """`hoarfrost.optimizers.LossScaleOptimizer` where this build has it, else None."""
    optimizers = importlib.import_module("hoarfrost.optimizers")
    return getattr(optimizers, "LossScaleOptimizer", None)


def scales_loss(optimizer) -> bool:
    """Whether `optimizer` scales the loss (it has Keras's `scale_loss`)."""
    return optimizer is not None and callable(getattr(optimizer, "scale_loss", None))


def inner_optimizer(optimizer):
    """The optimizer a loss-scaling one wraps (Keras's `inner_optimizer`), else itself."""
    return getattr(optimizer, "inner_optimizer", optimizer) if scales_loss(optimizer) \
        else optimizer


def for_policy(model, optimizer, auto_scale_loss: bool = True):
    """The optimizer `compile()` uses: wrapped in a `LossScaleOptimizer` when the model's
    policy is `"mixed_float16"` (as Keras's `compile(auto_scale_loss=True)`).

    Raises where Keras would wrap but this build has no `LossScaleOptimizer`:
    float16 training without loss scaling is not what a Keras program asked for.
    """
    if not auto_scale_loss or optimizer is None or scales_loss(optimizer):
        return optimizer
    if model.dtype_policy.name != "mixed_float16":
        return optimizer
    cls = loss_scale_optimizer_class()
    if cls is None:
        raise NotImplementedError(
            "compile(): the model's dtype policy is 'mixed_float16', where Keras wraps the "
            "optimizer in a LossScaleOptimizer; this build of hoarfrost has no "
            "hoarfrost.optimizers.LossScaleOptimizer. Pass auto_scale_loss=False to train in "
            "float16 without loss scaling, or use the 'mixed_bfloat16' policy (no scaling "
            "needed).")
    return cls(optimizer, name="loss_scale_optimizer")


def state_variables(optimizer) -> list[Variable]:
    """The Variables of a loss-scaling optimizer's own state (see the module docstring)."""
    if not scales_loss(optimizer):
        return []
    listed = getattr(optimizer, "loss_scale_variables", None)
    if listed is not None:
        return list(listed)
    return [v for v in (getattr(optimizer, "step_counter", None),
                        getattr(optimizer, "dynamic_scale", None)) if isinstance(v, Variable)]


def state_values(optimizer) -> list:
    """The current values of that state, for a step's carry."""
    return [v.value for v in state_variables(optimizer)]


def write_back(optimizer, values) -> None:
    """Take a compiled step's new state values back into the Variables."""
    for variable, value in zip(state_variables(optimizer), values):
        variable._value = value


def scale_loss(optimizer, state, loss):
    """`optimizer.scale_loss(loss)` reading the carried state (inside the traced step)."""
    with StatelessScope(list(zip(state_variables(optimizer), state))):
        return optimizer.scale_loss(loss)


def apply(optimizer, state, grads, values, slots, learning_rate, iterations, multipliers):
    """`optimizer.apply(...)` on the carried state; also returns the new state and whether
    the step was taken (all gradients finite)."""
    variables = state_variables(optimizer)
    with StatelessScope(list(zip(variables, state))) as scope:
        new_values, new_slots = optimizer.apply(grads, values, slots, learning_rate,
                                                iterations, multipliers)
        new_state = [scope.updated_value(v, s) for v, s in zip(variables, state)]
    return new_values, new_slots, new_state, all_finite(grads)


def all_finite(grads):
    """True when every gradient is finite (Keras's `check_finite`), as a traced bool."""
    leaves = jax.tree.leaves(grads)
    if not leaves:
        return jnp.asarray(True)
    return jnp.all(jnp.stack([jnp.all(jnp.isfinite(g)) for g in leaves]))
