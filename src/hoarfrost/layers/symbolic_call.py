"""Layers on symbolic tensors (a functional model being built): outputs and masks as
KerasTensors, by abstract evaluation (`jax.eval_shape`) of the layer's `call` or
`compute_mask`. Unknown sizes are evaluated as symbolic dimensions, or else with two
placeholder sizes, as Keras does."""

from __future__ import annotations

import functools

import jax

from hoarfrost import masking
from hoarfrost.layers.call_context import _no_scope
from hoarfrost.symbolic import KerasTensor, is_keras_tensor
from hoarfrost.variables import StatelessScope


def _evaluate_symbolic(run, tensors: list):
    """KerasTensors describing `run(arrays)` for arrays shaped as the symbolic `tensors`.

    Unknown sizes (None) are evaluated as symbolic dimensions (one per axis
    position, shared by all inputs), so an output axis that depends on one is
    unknown. Code that needs a concrete size falls back to two placeholder sizes
    (as Keras does): an output axis whose size follows the placeholder is unknown.
    """
    def evaluate(fill):
        abstract = [jax.ShapeDtypeStruct(fill(t.shape), t.dtype) for t in tensors]
        with _no_scope():
            return jax.eval_shape(run, abstract)

    try:
        out = evaluate(_symbolic_fill)
        return jax.tree.map(
            lambda a: KerasTensor(tuple(None if jax.export.is_symbolic_dim(d) else int(d)
                                        for d in a.shape), a.dtype), out)
    except Exception:  # noqa: BLE001 - the concrete evaluation raises the real error
        pass
    first = evaluate(lambda shape: _placeholder(shape, _PLACEHOLDERS[0]))
    second = evaluate(lambda shape: _placeholder(shape, _PLACEHOLDERS[1]))
    return jax.tree.map(
        lambda a, b: KerasTensor(tuple(None if x != y else x for x, y in zip(a.shape, b.shape)),
                                 a.dtype), first, second)


def _placeholder(shape, size: int) -> tuple:
    return tuple(size if d is None else d for d in shape)


# Placeholder sizes for unknown axes when symbolic evaluation fails: large enough for
# kernels and pools, and primes, so that no stride or pool maps both to one size (Keras).
_PLACEHOLDERS = (83, 89)


@functools.lru_cache(maxsize=None)
def _axis_symbols() -> tuple:
    """One symbolic dimension per axis position (`d0` the batch), in one scope, shared by
    every input (so inputs with unknown sizes on the same axis combine)."""
    return jax.export.symbolic_shape(", ".join(f"d{i}" for i in range(_MAX_SYMBOLIC_RANK)))


_MAX_SYMBOLIC_RANK = 8


def _symbolic_fill(shape) -> tuple:
    if None not in shape:
        return tuple(shape)
    if len(shape) > _MAX_SYMBOLIC_RANK:
        raise ValueError("rank too high for symbolic evaluation")  # the fallback handles it
    symbols = _axis_symbols()
    return tuple(symbols[i] if d is None else d for i, d in enumerate(shape))


def _shape_to_spec(input_shape):
    if isinstance(input_shape, (list, tuple)) and input_shape and isinstance(input_shape[0], (list, tuple)):
        return [KerasTensor(s) for s in input_shape]
    return KerasTensor(input_shape)


def symbolic_output_spec(call, inputs, args: tuple, kwargs: dict):
    """KerasTensors describing `call(inputs, args, kwargs)` (a layer's call in its context)
    for the symbolic tensors among its arguments (`Layer.compute_output_spec`)."""
    leaves, treedef = jax.tree.flatten((inputs, args, kwargs), is_leaf=is_keras_tensor)
    positions = [i for i, leaf in enumerate(leaves) if is_keras_tensor(leaf)]

    def run(concrete):
        filled = list(leaves)
        for i, value in zip(positions, concrete):
            filled[i] = value
        call_inputs, call_args, call_kwargs = jax.tree.unflatten(treedef, filled)
        # A scope of its own: state a layer assigns while traced is dropped.
        with StatelessScope(symbolic=True):
            return call(call_inputs, tuple(call_args), dict(call_kwargs))

    return _evaluate_symbolic(run, [leaves[i] for i in positions])


def symbolic_mask(compute_mask, inputs, previous_mask):
    """A layer's `compute_mask` on symbolic tensors (Keras calls it so while the graph is
    built): called directly, so `hoarfrost.ops` record the mask as graph nodes; a
    `compute_mask` that needs arrays is evaluated abstractly instead, giving symbolic
    masks that describe shape and dtype (usable as masks, not as graph inputs)."""
    try:
        masks = compute_mask(inputs, previous_mask)
        if all(m is None or is_keras_tensor(m) for m in masking.flat_masks(masks)):
            return masks
    except Exception:  # noqa: BLE001 - evaluated abstractly below
        pass
    leaves, treedef = jax.tree.flatten((inputs, previous_mask), is_leaf=is_keras_tensor)
    positions = [i for i, leaf in enumerate(leaves) if is_keras_tensor(leaf)]

    def run(concrete):
        filled = list(leaves)
        for i, value in zip(positions, concrete):
            filled[i] = value
        call_inputs, call_mask = jax.tree.unflatten(treedef, filled)
        return compute_mask(call_inputs, call_mask)

    return _evaluate_symbolic(run, [leaves[i] for i in positions])
