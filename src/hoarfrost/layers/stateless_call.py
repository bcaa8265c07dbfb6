"""`Layer.stateless_call`: a layer called on explicit variable values, without side
effects (pure, so it runs under `jax.jit` and `jax.grad`), as Keras 3."""

from __future__ import annotations

import jax

from hoarfrost.layers.call_context import _flatten_layers
from hoarfrost.random import global_key
from hoarfrost.rematerialization import rematerialized_call
from hoarfrost.variables import StatelessScope


class _KeylessScope(StatelessScope):
    """The scope of a traced `stateless_call` given no `rng`: drawing is an error, not a
    key baked into the trace (which would repeat the same dropout mask every call)."""

    def __init__(self, values, owner: str):
        super().__init__(values)
        self._owner = owner

    def next_rng(self):
        raise ValueError(
            f'stateless_call of "{self._owner}": a layer draws random numbers (e.g. Dropout '
            "with training=True) inside a traced function, but no key was given. Pass "
            "rng=jax.random.key(...) (a different key for each step); Keras keeps this seed "
            "state among the non-trainable variables, hoarfrost takes it as an argument.")


def run_stateless(layer, trainable_variables, non_trainable_variables, args: tuple,
                  kwargs: dict, return_losses: bool = False, rng=None):
    """`layer.stateless_call(...)` (see its docstring): `(outputs, non_trainable values)`,
    and the losses with `return_losses=True`."""
    if not layer.built:
        raise ValueError(
            f"To call stateless_call, {type(layer).__name__} must be built (i.e. its "
            "variables must have been already created). You can build it by calling it on "
            "some data.")
    trainable, non_trainable = layer.trainable_variables, layer.non_trainable_variables
    for argument, given, expected in (("trainable_variables", trainable_variables, trainable),
                                      ("non_trainable_variables", non_trainable_variables,
                                       non_trainable)):
        if len(given) != len(expected):
            raise ValueError(
                f"Argument `{argument}` must be a list of tensors corresponding 1:1 to "
                f"{type(layer).__name__}().{argument}. Received list with length "
                f"{len(given)}, but expected {len(expected)} variables.")
    mapping = list(zip(trainable, trainable_variables)) + list(
        zip(non_trainable, non_trainable_variables))
    traced = any(isinstance(leaf, jax.core.Tracer)
                 for leaf in jax.tree.leaves((trainable_variables, non_trainable_variables,
                                              args, kwargs)))
    if rng is not None:
        scope = StatelessScope(mapping, rng=rng)
    elif traced:
        scope = _KeylessScope(mapping, layer.name)
    else:
        scope = StatelessScope(mapping, rng=global_key())
    with scope:
        outputs = rematerialized_call(layer, True, args, kwargs)(*args, **kwargs)  # RematScope
        if return_losses:
            losses = [loss for sub in [layer] + _flatten_layers(layer)
                      for loss in scope.losses_of(sub)]
            losses += [v.regularizer(v.value) for v in trainable
                       if getattr(v, "regularizer", None) is not None]
    new_values = [scope.updated_value(v, value)
                  for v, value in zip(non_trainable, non_trainable_variables)]
    if return_losses:
        return outputs, new_values, losses
    return outputs, new_values
