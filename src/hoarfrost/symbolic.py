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
        return _tensor_op("getitem", self, index)

    def __iter__(self):
        # Without this, Python would iterate by indexing 0, 1, 2, ... for ever.
        raise TypeError(f"Iterating over a symbolic tensor is not supported: {self!r}. Index "
                        "it (`x[:, 0]`) or split it with `hoarfrost.ops.split`.")



def _tensor_op(op: str, *args):
    from hoarfrost.layers.tensor_op import TensorOp
    return TensorOp.apply(op, args, {})


def _binary(op: str, reflected: bool):
    def method(self, other):
        return _tensor_op(op, other, self) if reflected else _tensor_op(op, self, other)
    return method


def _install_operators() -> None:
    """`x + y`, `2 * x`, `x @ w`, `-x`, `x > 0` ... record `TensorOp` nodes, as in Keras 3."""
    from hoarfrost.layers.tensor_op import OPERATORS, UNARY
    for dunder, op in OPERATORS.items():
        setattr(KerasTensor, dunder, _binary(op, reflected=False))
        if dunder not in ("__gt__", "__ge__", "__lt__", "__le__"):
            setattr(KerasTensor, "__r" + dunder[2:], _binary(op, reflected=True))
    for dunder, op in UNARY.items():
        setattr(KerasTensor, dunder, lambda self, op=op: _tensor_op(op, self))


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
