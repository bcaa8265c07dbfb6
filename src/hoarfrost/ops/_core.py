"""`keras.ops` core: control flow, scatter and slices, casts and conversions.

Keras 3's `keras/src/ops/core.py`, on JAX as its JAX backend runs it
(`lax.scan`, `lax.cond`, `lax.dynamic_slice`, ...), with Keras's argument names.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from hoarfrost.ops._operation import keras_op, standardize_dtype, tensor, unwrap
from hoarfrost.symbolic import is_keras_tensor

__all__ = [
    "associative_scan", "cast", "cond", "convert_to_numpy", "convert_to_tensor",
    "custom_gradient", "dtype", "fori_loop", "is_tensor", "map", "saturate_cast", "scan",
    "scatter", "scatter_update", "shape", "slice", "slice_update", "stop_gradient", "switch",
    "unstack", "vectorized_map", "while_loop",
]


@keras_op()
def map(f, xs):
    """`f` applied to each slice of `xs` along its first axis, stacked (`lax.map`)."""
    return jax.lax.map(f, xs)


@keras_op()
def scan(f, init, xs=None, length=None, reverse=False, unroll=1):
    """Loop `carry, y = f(carry, x)` over the leading axis of `xs`; returns (carry, ys)."""
    if not isinstance(unroll, bool) and (not isinstance(unroll, int) or unroll < 1):
        raise ValueError(f"scan: `unroll` must be a positive integer or a bool, got {unroll!r}.")
    return jax.lax.scan(f, init=init, xs=xs, length=length, reverse=reverse, unroll=unroll)


@keras_op()
def associative_scan(f, elems, reverse=False, axis=0):
    """The prefix "sums" of `elems` under the associative binary `f` (`lax.associative_scan`)."""
    return jax.lax.associative_scan(f, elems, reverse, axis)


@keras_op()
def scatter(indices, values, shape):
    """A zero tensor of `shape` with `values` added at `indices` (`(..., rank)` coordinates)."""
    indices, values = tensor(indices), tensor(values)
    zeros = jnp.zeros(shape, values.dtype)
    return zeros.at[tuple(jnp.moveaxis(indices, -1, 0))].add(values)


@keras_op()
def scatter_update(inputs, indices, updates, reduction=None):
    """`inputs` with `updates` written (or combined by `reduction`) at `indices`.

    Args:
        reduction: None (replace), "add", "max", "min" or "mul".
    """
    inputs = tensor(inputs)
    index = tuple(jnp.transpose(jnp.array(indices)))
    at = inputs.at[index]
    if reduction is None:
        return at.set(updates)
    updaters = {"add": at.add, "max": at.max, "min": at.min, "mul": at.multiply}
    if reduction not in updaters:
        raise ValueError(f"scatter_update: unsupported reduction {reduction!r} (expected None, "
                         "'add', 'max', 'min' or 'mul').")
    return updaters[reduction](updates)


@keras_op()
def slice(inputs, start_indices, shape):
    """The block of `shape` starting at `start_indices`; -1 in `shape` takes the rest."""
    inputs = tensor(inputs)
    final_shape = tuple(inputs.shape[i] - start_indices[i] if s == -1 else s
                        for i, s in enumerate(shape))
    return jax.lax.dynamic_slice(inputs, start_indices, final_shape)


@keras_op()
def slice_update(inputs, start_indices, updates):
    """`inputs` with the block starting at `start_indices` replaced by `updates`."""
    return jax.lax.dynamic_update_slice(tensor(inputs), tensor(updates), start_indices)


@keras_op()
def switch(index, branches, *operands):
    """`branches[index](*operands)`, `index` clamped to the valid range (`lax.switch`)."""
    return jax.lax.switch(index, branches, *operands)


@keras_op()
def while_loop(cond, body, loop_vars, maximum_iterations=None):
    """Run `loop_vars = body(*loop_vars)` while `cond(*loop_vars)`, at most `maximum_iterations`.

    A tuple or list of `loop_vars` is passed unpacked to `cond` and `body`
    (and returned as a tuple); a single value is passed as is.
    """
    is_tuple = isinstance(loop_vars, (tuple, list))
    loop_vars = tuple(loop_vars) if is_tuple else (loop_vars,)

    def as_tuple(outputs):
        return tuple(outputs) if is_tuple else (outputs,)

    if maximum_iterations is None:
        outputs = jax.lax.while_loop(lambda v: cond(*v), lambda v: as_tuple(body(*v)), loop_vars)
    else:
        def limited_cond(v):
            return cond(*v[:-1]) & (v[-1] < maximum_iterations)

        def counted_body(v):
            return as_tuple(body(*v[:-1])) + (v[-1] + 1,)

        outputs = jax.lax.while_loop(limited_cond, counted_body, loop_vars + (0,))[:-1]
    return outputs if is_tuple else outputs[0]


@keras_op()
def stop_gradient(variable):
    """`variable`'s value, with no gradient flowing through it."""
    return jax.lax.stop_gradient(variable)


@keras_op()
def fori_loop(lower, upper, body_fun, init_val):
    """`val = body_fun(i, val)` for `i` in `range(lower, upper)`; returns `val`."""
    return jax.lax.fori_loop(lower, upper, body_fun, init_val)


@keras_op()
def unstack(x, num=None, axis=0):
    """The slices of `x` along `axis`, as a list."""
    x = tensor(x)
    if num is not None and num != x.shape[axis]:
        raise ValueError(f"unstack: `num` is {num} but axis {axis} of x has {x.shape[axis]} "
                         "entries.")
    return [jax.lax.index_in_dim(x, i, axis, keepdims=False) for i in range(x.shape[axis])]


@keras_op(symbolic=False)
def shape(x):
    """The shape of `x` as a tuple (None for a symbolic tensor's unknown dimensions)."""
    return tuple(x.shape) if hasattr(x, "shape") else jnp.shape(x)


@keras_op(symbolic=False)
def dtype(x):
    """The dtype of `x` as Keras's string, e.g. "float32"."""
    return standardize_dtype(x.dtype)


@keras_op()
def cast(x, dtype):
    """`x` converted to `dtype`."""
    return tensor(x, dtype=standardize_dtype(dtype))


def _dtype_limits(dtype: str):
    if dtype == "bool":
        return 0, 1
    info = jnp.iinfo(dtype) if "int" in dtype else jnp.finfo(dtype)
    return info.min, info.max


@keras_op()
def saturate_cast(x, dtype):
    """`x` clipped to the range of `dtype`, then cast: no wrap-around on overflow."""
    x = tensor(x)
    dtype = standardize_dtype(dtype)
    in_dtype = standardize_dtype(x.dtype)
    in_min, in_max = _dtype_limits(in_dtype)
    out_min, out_max = _dtype_limits(dtype)
    min_limit = np.maximum(in_min, out_min).astype(in_dtype)
    if min_limit < out_min:
        min_limit = np.nextafter(min_limit, 0, dtype=in_dtype)
    max_limit = np.minimum(in_max, out_max).astype(in_dtype)
    if max_limit > out_max:
        max_limit = np.nextafter(max_limit, 0, dtype=in_dtype)
    x = jnp.clip(x, min_limit, max_limit)
    return x.astype(dtype)


@keras_op()
def convert_to_tensor(x, dtype=None, sparse=None, ragged=None):
    """`x` (an array, a nested list, a NumPy array or a Variable) as a JAX array.

    Args:
        dtype: the dtype to convert to; that of `x` when None.
        sparse: whether to keep sparse tensors sparse; hoarfrost's are all dense.
        ragged: not supported on JAX (as in Keras).
    """
    if ragged:
        raise ValueError("convert_to_tensor: `ragged=True` is not supported with the JAX backend.")
    return tensor(x, dtype=None if dtype is None else standardize_dtype(dtype))


def convert_to_numpy(x):
    """`x` as a NumPy array."""
    if is_keras_tensor(x):
        raise TypeError(f"convert_to_numpy: a symbolic tensor has no values yet: {x!r}.")
    return np.asarray(unwrap(x))


@keras_op()
def cond(pred, true_fn, false_fn):
    """`true_fn()` if `pred` else `false_fn()`, traceable (`lax.cond`)."""
    return jax.lax.cond(pred, true_fun=true_fn, false_fun=false_fn)


@keras_op()
def vectorized_map(function, elements):
    """`function` mapped over the leading axis of `elements` in parallel (`jax.vmap`)."""
    return jax.vmap(function)(elements)


def is_tensor(x):
    """Whether `x` is a JAX array (a Variable or a symbolic tensor is not)."""
    return isinstance(x, jax.Array)


def custom_gradient(f):
    """`f`, which returns `(y, grad_fn)`, as a function whose gradient is `grad_fn`'s.

    As in Keras on JAX this is `jax.custom_gradient`: `grad_fn` receives the
    upstream gradient and returns the gradients of `f`'s inputs.
    """
    with_gradient = jax.custom_gradient(fun=f)

    def call(*args, **kwargs):
        args, kwargs = unwrap((args, kwargs))
        return with_gradient(*args, **kwargs)

    return call
