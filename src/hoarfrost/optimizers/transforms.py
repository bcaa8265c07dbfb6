"""The update transforms every optimizer shares: Optax's sign convention with the rate as an
argument (`descend`), Optax state under Keras's slot names (`keras_named`), and the slots the
common arguments (`use_ema`, `gradient_accumulation_steps`) add to each variable's own.
"""

from __future__ import annotations

from typing import Callable

import jax.numpy as jnp
import optax

# The slots the common arguments add to each variable's own: Keras's names, plus the count
# of updates the moving average has seen (hoarfrost's: slots are per variable, and a
# variable may start training late).
AVERAGE, AVERAGE_COUNT, ACCUMULATOR = "average", "average_count", "gradient_accumulator"


def descend(direction: optax.GradientTransformation) -> optax.GradientTransformationExtraArgs:
    """`direction` as an update for a given rate: `-learning_rate * direction`.

    Optax's sign convention (the update is added to the parameter), with the
    rate an argument of `update` so that it can change between steps.
    """

    def update(grad, state, param=None, *, learning_rate, **extra_args):
        step, state = direction.update(grad, state, param)
        return -learning_rate * step, state

    return optax.GradientTransformationExtraArgs(direction.init, update)


def keras_named(transform: optax.GradientTransformation, state_type,
                **names: str) -> optax.GradientTransformation:
    """An Optax transformation whose NamedTuple state is kept as a dict of Keras's slot names.

    Optax's arithmetic, Keras's names (`keras_named(optax.scale_by_lion(),
    optax.ScaleByLionState, mu="momentum", count="count")`), so saved state,
    `optimizer.variables` and error messages speak Keras.

    Args:
        transform: the Optax transformation.
        state_type: its state's NamedTuple class.
        **names: each field of the state, and its slot name (in slot order).
    """
    if set(names) != set(state_type._fields):
        raise ValueError(f"keras_named: name every field of {state_type.__name__} "
                         f"{state_type._fields}; got {sorted(names)}.")

    def init(param):
        state = transform.init(param)
        return {slot: getattr(state, field) for field, slot in names.items()}

    def update(grad, slots, param=None):
        state = state_type(**{field: slots[slot] for field, slot in names.items()})
        step, state = transform.update(grad, state, param)
        return step, {slot: getattr(state, field) for field, slot in names.items()}

    return optax.GradientTransformation(init, update)


def _with_common_slots(init: Callable, use_ema: bool, accumulate: bool) -> Callable:
    """The slot initializer with the slots the common arguments add (a plain function of the
    settings, so a compiled initializer never keeps an optimizer alive)."""
    if not (use_ema or accumulate):
        return init

    def init_all(param):
        own = init(param)
        if not isinstance(own, dict):
            raise TypeError("use_ema and gradient_accumulation_steps need an optimizer whose "
                            f"slots are a dict of named arrays; its slots are {type(own)}.")
        common = {}
        if use_ema:
            common[AVERAGE] = jnp.zeros_like(param)
            common[AVERAGE_COUNT] = jnp.zeros((), jnp.int32)
        if accumulate:
            common[ACCUMULATOR] = jnp.zeros_like(param)
        return {**common, **own}

    return init_all
