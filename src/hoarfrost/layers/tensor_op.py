"""`TensorOp`: an operation on symbolic tensors, as a layer of a functional model.

In Keras 3, `x + y`, `x[:, 0]` or `ops.mean(x, axis=1)` on the symbolic
tensors of a functional model add a node to the graph. Here such a call makes
a `TensorOp`: it records the operation's name and its arguments (tensors by
position, everything else as JSON), replays it on arrays, and saves with the
model like any layer.
"""

from __future__ import annotations

import operator
from typing import Any

import numpy as np

from hoarfrost import ops
from hoarfrost.layers.layer import Layer
from hoarfrost.naming import unique_name
from hoarfrost.symbolic import is_keras_tensor, set_op_recorder


def _encode(value, tensors: list):
    """JSON for `value`, each symbolic tensor replaced by its position in `tensors`."""
    if is_keras_tensor(value):
        tensors.append(value)
        return {"__tensor__": len(tensors) - 1}
    if isinstance(value, (list, tuple)):
        return [_encode(v, tensors) for v in value]
    if isinstance(value, dict):
        return {"__dict__": {k: _encode(v, tensors) for k, v in value.items()}}
    if isinstance(value, slice):
        return {"__slice__": [_encode(v, tensors) for v in (value.start, value.stop, value.step)]}
    if value is Ellipsis:
        return {"__ellipsis__": True}
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (np.ndarray,)) or (hasattr(value, "shape") and hasattr(value, "dtype")):
        array = np.asarray(value)
        return {"__array__": array.tolist(), "dtype": array.dtype.name}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, np.dtype) or (isinstance(value, type) and issubclass(value, np.generic)):
        return {"__dtype__": np.dtype(value).name}
    raise TypeError(f"TensorOp: can not record argument {value!r} of type {type(value).__name__} "
                    "(expected tensors, numbers, strings, slices, arrays or lists of them).")


def _decode(value, tensors: list):
    """The inverse of `_encode`, lists restored as tuples (shapes and axes want tuples)."""
    if isinstance(value, list):
        return tuple(_decode(v, tensors) for v in value)
    if isinstance(value, dict):
        if "__tensor__" in value:
            return tensors[value["__tensor__"]]
        if "__slice__" in value:
            return slice(*(_decode(v, tensors) for v in value["__slice__"]))
        if "__ellipsis__" in value:
            return Ellipsis
        if "__array__" in value:
            return np.asarray(value["__array__"], value["dtype"])
        if "__dtype__" in value:
            return np.dtype(value["__dtype__"])
        return {k: _decode(v, tensors) for k, v in value["__dict__"].items()}
    return value


# The operations a saved TensorOp may name: Keras's ops (`image.resize` for ops.image's),
# indexing, and the names hoarfrost recorded before its ops were Keras's own.
OPERATIONS = (frozenset(n for n in ops.__all__ if n not in ("image", "linalg", "nn", "numpy"))
              | frozenset("image." + n for n in ops.image.__all__))
LEGACY_NAMES = {"remainder": "mod", "positive": "copy"}


def _resolve(op: str):
    if op == "getitem":
        return operator.getitem
    name = LEGACY_NAMES.get(op, op)
    if name not in OPERATIONS:
        raise ValueError(f"TensorOp: unknown operation {op!r} (expected a name of "
                         "hoarfrost.ops, which are Keras's ops, or 'getitem').")
    namespace, _, name = name.rpartition(".")
    return getattr(ops.image if namespace else ops, name)


class TensorOp(Layer):
    """A `hoarfrost.ops` function (or `getitem`) applied to symbolic tensors.

    Args:
        op: the operation's name in `hoarfrost.ops` (or "getitem").
        arguments: `[args, kwargs]` as `_encode` records them.
    """

    def __init__(self, op: str, arguments, **kwargs):
        kwargs.setdefault("name", unique_name(op))
        super().__init__(**kwargs)
        self.op, self.arguments = op, arguments
        self._fn = _resolve(op)
        self.built = True

    @classmethod
    def apply(cls, op: str, args: tuple, kwargs: dict):
        """Record `op(*args, **kwargs)` on symbolic tensors; returns its symbolic output."""
        tensors: list = []
        arguments = [_encode(list(args), tensors), _encode(kwargs, tensors)]
        return cls(op, arguments)(tensors)

    def call(self, inputs):
        args, kwargs = (_decode(part, list(inputs)) for part in self.arguments)
        return self._fn(*args, **kwargs)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "op": self.op, "arguments": self.arguments}


set_op_recorder(TensorOp.apply)
