"""Input signatures for export: which shapes and dtypes an exported function takes.

A signature is a list with one entry per positional argument; an entry is a
spec or a list/tuple/dict of specs (a model with several inputs takes them as
one structure). A spec is a symbolic tensor (`hoarfrost.Input(...)`), a
`jax.ShapeDtypeStruct`, or an array (its shape and dtype). A `None` size
becomes a symbolic dimension: the batch axes of all inputs share one (`batch`),
any other unknown axis gets its own.
"""

from __future__ import annotations

import jax
import numpy as np

from hoarfrost.symbolic import is_keras_tensor


def _is_spec(x) -> bool:
    return is_keras_tensor(x) or isinstance(x, jax.ShapeDtypeStruct) or (
        hasattr(x, "shape") and hasattr(x, "dtype"))


def get_input_signature(model) -> list:
    """The signature of `model`'s call: its inputs' shapes, batch size unknown.

    Raises:
        ValueError: for a model whose input shape is not known (a subclassed
            model never built): pass `input_signature`.
    """
    inputs = getattr(model, "_inputs_struct", None)
    if inputs is not None:
        return [jax.tree.map(lambda t: jax.ShapeDtypeStruct(t.shape, t.dtype), inputs,
                             is_leaf=is_keras_tensor)]
    shape = getattr(model, "_build_shapes_dict", None) or getattr(model, "_batch_input_shape",
                                                                   None)
    if shape and all(isinstance(d, (int, type(None))) for d in shape):
        return [jax.ShapeDtypeStruct((None,) + tuple(shape[1:]), np.float32)]
    raise ValueError(
        f'Model "{model.name}": its input shape is not known, so the export can not derive '
        "an input signature. Pass `input_signature=[hoarfrost.Input(shape=...)]` (or "
        "`jax.ShapeDtypeStruct`s; None sizes are exported as symbolic dimensions).")


def symbolic_specs(signature) -> tuple[list, list[str]]:
    """`signature` with every None size replaced by a JAX symbolic dimension.

    Returns:
        `(specs, names)`: the specs (`jax.ShapeDtypeStruct`s in the signature's
        structure) and, per leaf, the shape as written for humans, e.g.
        `(batch, 32, 32, 3)`.
    """
    if not isinstance(signature, (list, tuple)):
        raise TypeError("input_signature must be a list with one spec (or structure of specs) "
                        f"per positional argument, got {type(signature).__name__}.")
    leaves, treedef = jax.tree.flatten(list(signature), is_leaf=_is_spec)
    for leaf in leaves:
        if not _is_spec(leaf):
            raise TypeError(f"input_signature: expected hoarfrost.Input(...) tensors, "
                            "jax.ShapeDtypeStruct or arrays, got "
                            f"{type(leaf).__name__} ({leaf!r}).")
    shapes = [tuple(leaf.shape) for leaf in leaves]
    names = []
    for i, shape in enumerate(shapes):
        names.append(tuple(d if d is not None else ("batch" if axis == 0 else f"d{i}_{axis}")
                           for axis, d in enumerate(shape)))
    symbols = sorted({d for shape in names for d in shape if isinstance(d, str)})
    values = dict(zip(symbols, jax.export.symbolic_shape(", ".join(symbols)))) if symbols else {}
    specs = [jax.ShapeDtypeStruct(tuple(values.get(d, d) if isinstance(d, str) else d
                                        for d in shape), np.dtype(leaf.dtype))
             for shape, leaf in zip(names, leaves)]
    return jax.tree.unflatten(treedef, specs), [
        "(" + ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"
        for shape in names]
