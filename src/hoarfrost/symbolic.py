"""Symbolic tensors and graph nodes for the functional API."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import jax
import numpy as np


class KerasTensor:
    """A symbolic tensor: a shape (batch as None), a dtype and its origin.

    Calling a layer on KerasTensors records a `Node` and returns new
    KerasTensors; `Model(inputs, outputs)` then replays the recorded graph.
    """

    def __init__(self, shape, dtype="float32", name: str | None = None, node=None, index: int = 0):
        self.shape = tuple(shape)
        self.dtype = np.dtype(dtype)
        self.name = name
        self.node = node
        self.index = index

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def __repr__(self) -> str:
        return f"<KerasTensor shape={self.shape}, dtype={self.dtype.name}, name={self.name}>"

    def __getitem__(self, index):
        return record_op("getitem", (self, index), {})

    def __bool__(self):
        # As in Keras: `if x > 0:` on a graph tensor has no value to branch on.
        raise TypeError(f"A symbolic tensor can not be used as a Python bool: {self!r}. Use "
                        "hoarfrost.ops.where or hoarfrost.ops.cond.")

    def __iter__(self):
        # Without this, Python would iterate by indexing 0, 1, 2, ... for ever.
        raise TypeError(f"Iterating over a symbolic tensor is not supported: {self!r}. Index "
                        "it (`x[:, 0]`) or split it with `hoarfrost.ops.split`.")



# Python operators on KerasTensors and the `hoarfrost.ops` names they record, as Keras 3's
# KerasTensor defines them (`x != y` a graph node; `==` stays identity, as in Keras).
OPERATORS = {
    "__add__": "add", "__sub__": "subtract", "__mul__": "multiply",
    "__truediv__": "true_divide", "__floordiv__": "floor_divide", "__mod__": "mod",
    "__pow__": "power", "__matmul__": "matmul", "__and__": "logical_and",
    "__or__": "logical_or", "__xor__": "logical_xor",
}
COMPARISONS = {"__gt__": "greater", "__ge__": "greater_equal", "__lt__": "less",
               "__le__": "less_equal", "__ne__": "not_equal"}
UNARY = {"__neg__": "negative", "__abs__": "absolute", "__invert__": "logical_not"}

# Records `ops.<name>(*args, **kwargs)` on symbolic tensors as a graph node. Set by
# hoarfrost.layers.tensor_op (a layer), so that neither this module nor hoarfrost.ops
# needs the layers at import time.
_op_recorder = None


def set_op_recorder(recorder) -> None:
    """Install `recorder(name, args, kwargs) -> KerasTensor(s)` for ops on symbolic tensors."""
    global _op_recorder
    _op_recorder = recorder


def record_op(name: str, args: tuple, kwargs: dict):
    """`hoarfrost.ops.<name>(*args, **kwargs)` on symbolic tensors: a node of the graph."""
    if _op_recorder is None:
        raise RuntimeError(f"ops.{name} on symbolic tensors needs hoarfrost.layers imported "
                           "(it records the operation as a TensorOp layer).")
    return _op_recorder(name, args, kwargs)


def _binary(op: str, reflected: bool):
    def method(self, other):
        return record_op(op, (other, self) if reflected else (self, other), {})
    return method


def _install_operators() -> None:
    """`x + y`, `2 * x`, `x @ w`, `-x`, `x > 0` ... record graph nodes, as in Keras 3."""
    for dunder, op in OPERATORS.items():
        setattr(KerasTensor, dunder, _binary(op, reflected=False))
        setattr(KerasTensor, "__r" + dunder[2:], _binary(op, reflected=True))
    for dunder, op in COMPARISONS.items():
        setattr(KerasTensor, dunder, _binary(op, reflected=False))
    for dunder, op in UNARY.items():
        setattr(KerasTensor, dunder, lambda self, op=op: record_op(op, (self,), {}))
    KerasTensor.__round__ = lambda self, ndigits=None: record_op(
        "round", (self,), {"decimals": ndigits or 0})


_install_operators()


@dataclass(eq=False)
class Node:
    """One call of a layer in a functional graph."""

    layer: Any
    inputs: Any  # the structure of KerasTensors passed as first argument
    outputs: Any  # the structure of KerasTensors returned
    kwargs: dict = field(default_factory=dict)  # keyword arguments; may hold KerasTensors
    args: tuple = ()  # further positional arguments; may hold KerasTensors

    @property
    def input_tensors(self) -> list[KerasTensor]:
        """Every KerasTensor the call took: first argument, further ones, keywords."""
        tree = (self.inputs, self.args, self.kwargs)
        return [t for t in jax.tree.leaves(tree, is_leaf=is_keras_tensor) if is_keras_tensor(t)]

    @property
    def output_tensors(self) -> list[KerasTensor]:
        return jax.tree.leaves(self.outputs, is_leaf=is_keras_tensor)


def is_keras_tensor(x) -> bool:
    return isinstance(x, KerasTensor)


def any_symbolic(tree) -> bool:
    return any(is_keras_tensor(t) for t in jax.tree.leaves(tree, is_leaf=is_keras_tensor))
