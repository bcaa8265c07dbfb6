"""Products and correlations: `matmul`, `dot`, `einsum`, `tensordot`, `kron`, ..."""

from __future__ import annotations

import jax.numpy as jnp

from hoarfrost.ops._operation import keras_op, tensor

__all__ = ["corrcoef", "correlate", "cross", "dot", "einsum", "inner", "kron", "matmul", "outer",
    "tensordot", "vdot"]


def _preferred_int32(*operands):
    """int32 accumulation when every operand is int8 (Keras's matmul/einsum rule)."""
    kinds = {jnp.dtype(x.dtype).name for x in operands}
    return "int32" if kinds == {"int8"} else None


@keras_op()
def matmul(x1, x2):
    """The matrix product of `x1` and `x2` (batched over leading axes)."""
    x1, x2 = tensor(x1), tensor(x2)
    return jnp.matmul(x1, x2, preferred_element_type=_preferred_int32(x1, x2))


@keras_op()
def dot(x1, x2):
    """The dot product of `x1` and `x2` (NumPy's `dot`)."""
    return jnp.dot(tensor(x1), tensor(x2))


@keras_op()
def vdot(x1, x2):
    """The dot product of `x1` and `x2` flattened, the first conjugated."""
    return jnp.vdot(tensor(x1), tensor(x2))


@keras_op()
def inner(x1, x2):
    """The inner product over the last axes."""
    return jnp.inner(tensor(x1), tensor(x2))


@keras_op()
def outer(x1, x2):
    """The outer product of `x1` and `x2` flattened."""
    return jnp.outer(tensor(x1), tensor(x2))


@keras_op()
def kron(x1, x2):
    """The Kronecker product."""
    return jnp.kron(tensor(x1), tensor(x2))


@keras_op()
def cross(x1, x2, axisa=-1, axisb=-1, axisc=-1, axis=None):
    """The cross product of vectors of 2 or 3 components."""
    return jnp.cross(tensor(x1), tensor(x2), axisa=axisa, axisb=axisb, axisc=axisc, axis=axis)


@keras_op()
def tensordot(x1, x2, axes=2):
    """The tensor dot product over `axes`."""
    return jnp.tensordot(tensor(x1), tensor(x2), axes=axes)


@keras_op()
def einsum(subscripts, *operands, **kwargs):
    """Einstein summation, e.g. `einsum("ij,jk->ik", a, b)`."""
    operands = [tensor(x) for x in operands]
    kwargs["preferred_element_type"] = _preferred_int32(*operands)
    return jnp.einsum(subscripts, *operands, **kwargs)


@keras_op()
def correlate(x1, x2, mode="valid"):
    """The cross-correlation of two 1-D tensors."""
    return jnp.correlate(tensor(x1), tensor(x2), mode)


@keras_op()
def corrcoef(x):
    """The Pearson correlation coefficients of the rows of `x`."""
    return jnp.corrcoef(tensor(x))
