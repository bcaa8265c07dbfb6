"""Keras masks, kept beside the arrays they belong to.

A mask marks which timesteps of a sequence are data (True) and which are
padding (False). Keras hangs it on the tensor (`_keras_mask`), and so does
hoarfrost where the array takes attributes; JAX tracers take none, so
hoarfrost also keeps a side table from each array (by
identity, through a weak reference) to its mask. It works the same eagerly
and while `model.__call__` is traced under `jit`: the table then maps tracers
to tracers of the same trace, and an entry goes away with its array.

`Layer.__call__` reads the masks of its inputs here, passes them to `call`
as `mask=` and records the output mask; losses and `MeanMetricWrapper`
metrics weight by the mask of `y_pred`, as in Keras 3.
"""

from __future__ import annotations

import functools
import weakref
from typing import Any

import jax
import jax.numpy as jnp

# id(array) -> (weak reference to the array, its mask)
_table: dict[int, tuple[weakref.ref, Any]] = {}


def _forget(key: int, ref: weakref.ref, table: dict = _table) -> None:
    # The table is bound here: at interpreter exit the module's globals are already
    # None when the last arrays' finalizers run.
    entry = table.get(key)
    if entry is not None and entry[0] is ref:
        del table[key]


def get_mask(x):
    """The mask attached to `x`, or None (Keras's `x._keras_mask`)."""
    entry = _table.get(id(x))
    if entry is not None and entry[0]() is x:
        return entry[1]
    return getattr(x, "_keras_mask", None) if hasattr(x, "shape") else None  # set by hand


def _set_attribute(x, mask) -> None:
    """Keras's `x._keras_mask`, where the array takes attributes (JAX arrays and
    symbolic tensors do; tracers and NumPy arrays do not: the table serves them)."""
    try:
        if mask is None:
            if "_keras_mask" in getattr(x, "__dict__", {}) or hasattr(type(x), "__slots__"):
                delattr(x, "_keras_mask")
        else:
            x._keras_mask = mask
    except (AttributeError, TypeError):
        pass


def set_mask(x, mask) -> None:
    """Attach `mask` to `x` (None removes it); ignored for objects that can't
    be weakly referenced (Python scalars), which never carry masks."""
    key = id(x)
    _set_attribute(x, mask)
    if mask is None:
        entry = _table.get(key)
        if entry is not None and entry[0]() is x:
            del _table[key]
        return
    try:
        ref = weakref.ref(x, functools.partial(_forget, key))  # bound: see _forget
    except TypeError:
        return
    _table[key] = (ref, mask)


def masks_of(tree):
    """The masks of the arrays in `tree`, in its structure (None where none)."""
    if isinstance(tree, (list, tuple)) and not hasattr(tree, "_fields"):
        return type(tree)(masks_of(x) for x in tree)
    if isinstance(tree, dict):
        return {k: masks_of(v) for k, v in tree.items()}
    return get_mask(tree)


def flat_masks(masks) -> list:
    """`masks` flattened, None kept as an entry (so it lines up with outputs)."""
    return jax.tree.leaves(masks, is_leaf=lambda m: m is None)


def any_mask(masks) -> bool:
    return any(m is not None for m in flat_masks(masks))


def set_masks(tree, masks) -> None:
    """Attach each mask of the structure `masks` to the array in the same place."""
    if masks is None:
        return
    if isinstance(tree, (list, tuple, dict)) and not hasattr(tree, "shape"):
        items = tree.items() if isinstance(tree, dict) else enumerate(tree)
        for key, value in items:
            try:
                sub = masks[key]
            except (KeyError, IndexError, TypeError):
                continue
            set_masks(value, sub)
        return
    if not isinstance(masks, (list, tuple, dict)):
        set_mask(tree, masks)


def _match_rank(weight, mask):
    """A `(batch,)` weight against a `(batch, steps)` mask gets a steps axis;
    a trailing size-1 axis the mask lacks is dropped (Keras squeezes it)."""
    while weight.ndim > mask.ndim and weight.shape[-1] == 1:
        weight = jnp.squeeze(weight, -1)
    while weight.ndim < mask.ndim:
        weight = weight[..., None]
    return weight


def loss_weights(sample_weight, mask, reduction="sum_over_batch_size"):
    """`sample_weight` combined with an output mask, as Keras's `apply_mask`.

    For `"sum_over_batch_size"`/`"mean"` the kept entries weigh
    `total / valid`, so the reduced loss is the mean over unmasked entries
    only; for other reductions the mask is a 0/1 weight.
    """
    if mask is None:
        return sample_weight
    mask = jnp.asarray(mask).astype(bool)
    weight = mask.astype(jnp.float32)
    if reduction in ("sum_over_batch_size", "mean"):
        valid = jnp.sum(weight)
        scale = jnp.where(valid > 0, mask.size / jnp.where(valid > 0, valid, 1.0), 0.0)
        weight = weight * scale
    if sample_weight is None:
        return weight
    return _match_rank(jnp.asarray(sample_weight, jnp.float32), weight) * weight


def metric_weights(sample_weight, mask):
    """`sample_weight` times the 0/1 mask (Keras's `apply_mask(reduction="sum")`)."""
    return loss_weights(sample_weight, mask, reduction="sum")
