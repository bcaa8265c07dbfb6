"""What every op shares: Variables read as arrays, symbolic tensors recorded, Keras's config.

An op is a plain function of arrays, decorated with `keras_op`: called on
hoarfrost Variables it reads their values (`ops.matmul(x, self.kernel)`); called
on the symbolic tensors of a functional model it adds a node to the graph
instead (`hoarfrost.symbolic.record_op`), as Keras 3's operations do.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np

from hoarfrost.config import epsilon, floatx, image_data_format
from hoarfrost.symbolic import any_symbolic, record_op
from hoarfrost.variables import Variable



def _is_variable(value) -> bool:
    return isinstance(value, Variable)


def unwrap(tree):
    """`tree` with every Variable replaced by its current value."""
    return jax.tree.map(lambda v: v.value if isinstance(v, Variable) else v, tree,
                        is_leaf=_is_variable)


def keras_op(name: str | None = None, symbolic: bool = True):
    """Decorate an op: Variables unwrapped; on symbolic tensors, a graph node named `name`.

    Args:
        name: the name recorded in the graph (and resolved when a model loads);
            the function's own name by default, `image.<name>` for ops.image's.
        symbolic: False for ops that handle symbolic tensors themselves
            (`shape`, `dtype`, ...).
    """

    def decorate(fn):
        op_name = name or fn.__name__

        @functools.wraps(fn)
        def op(*args, **kwargs):
            if symbolic and any_symbolic((args, kwargs)):
                return record_op(op_name, args, kwargs)
            args, kwargs = unwrap((args, kwargs))
            return fn(*args, **kwargs)

        return op

    return decorate


def compiled(fn):
    """Run the many-step op `fn` as one compiled program when called eagerly.

    Called eagerly, every `jax.numpy` step of an op compiles on its own the first
    time; an op of dozens of steps (an STFT, a beam search, a warp) costs seconds.
    Compiled whole, it costs a fraction of that. Arrays are the program's inputs;
    every other argument (numbers, strings, shapes, None) is fixed in the program
    as the eager call would see it, one program per such set (at most 64 kept).
    Inside a traced function (`fit`'s step, `jax.jit`) it is simply inlined.
    """
    programs: dict = {}

    @functools.wraps(fn)
    def call(*args, **kwargs):
        leaves, treedef = jax.tree.flatten((args, kwargs))
        is_array = tuple(isinstance(leaf, (jax.Array, np.ndarray)) for leaf in leaves)
        static = tuple(None if array else leaf for leaf, array in zip(leaves, is_array))
        # Types too: 1 and 1.0 (and True) are equal keys but trace differently.
        key = (treedef, is_array, static, tuple(type(leaf) for leaf in static))
        try:
            program = programs.get(key)
        except TypeError:  # an unhashable argument: run step by step
            return fn(*args, **kwargs)
        if program is None:
            def run(arrays):
                supply = iter(arrays)
                full = [next(supply) if array else leaf for leaf, array in zip(static, is_array)]
                call_args, call_kwargs = jax.tree.unflatten(treedef, full)
                return fn(*call_args, **call_kwargs)

            if len(programs) >= 64:
                programs.clear()
            program = programs[key] = jax.jit(run)
        return program([leaf for leaf, array in zip(leaves, is_array) if array])

    return call


def tensor(x, dtype=None):
    """Keras's `convert_to_tensor` on JAX: an array (Python scalars stay weakly typed)."""
    return jnp.asarray(x, dtype=dtype)


def standardize_dtype(dtype) -> str:
    """Keras's dtype name for `dtype` (None means floatx)."""
    if dtype is None:
        return floatx()
    if dtype in (float, "float"):
        return floatx()
    if dtype in (int, "int"):
        return "int32"
    if dtype in (bool, "bool"):
        return "bool"
    return jnp.dtype(dtype).name


def dtype_or_none(dtype):
    return None if dtype is None else standardize_dtype(dtype)


def standardize_data_format(data_format) -> str:
    if data_format is None:
        return image_data_format()
    data_format = str(data_format).lower()
    if data_format not in ("channels_first", "channels_last"):
        raise ValueError("`data_format` must be 'channels_first' or 'channels_last', got "
                         f"{data_format!r}.")
    return data_format


def to_float(x):
    """`x` cast as Keras casts the input of a float function (ints to floatx)."""
    x = tensor(x)
    if jnp.issubdtype(x.dtype, jnp.inexact):
        return x
    return x.astype(floatx())


