"""Array operations for custom layers, as `keras.ops` offers them.

Every name resolves to the `jax.numpy` function of that name (or `jax.nn`'s,
for activations such as `relu`), with hoarfrost Variables accepted wherever
an array is: `ops.matmul(inputs, self.kernel)`.

Example:
    >>> from hoarfrost import ops
    >>> ops.matmul(ops.ones((1, 2)), ops.ones((2, 3))).shape
    (1, 3)
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp

from hoarfrost.symbolic import any_symbolic
from hoarfrost.variables import Variable


def _unwrap_args(fn, name: str):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        if any_symbolic((args, kwargs)):  # inside a functional model: a graph node
            from hoarfrost.layers.tensor_op import TensorOp
            return TensorOp.apply(name, args, kwargs)
        args = jax.tree.map(lambda a: a.value if isinstance(a, Variable) else a, args,
                            is_leaf=lambda a: isinstance(a, Variable))
        kwargs = {k: v.value if isinstance(v, Variable) else v for k, v in kwargs.items()}
        return fn(*args, **kwargs)

    return wrapper


_EXTRA = {
    "convert_to_tensor": jnp.asarray,
    "convert_to_numpy": lambda x: __import__("numpy").asarray(x),
    "cast": lambda x, dtype: jnp.asarray(x).astype(dtype),
    "leaky_relu": jax.nn.leaky_relu,
}


def __getattr__(name: str):
    for source in (_EXTRA, jnp, jax.nn, jax.lax):
        fn = source.get(name) if isinstance(source, dict) else getattr(source, name, None)
        if callable(fn):
            wrapped = _unwrap_args(fn, name)
            globals()[name] = wrapped
            return wrapped
    raise AttributeError(f"hoarfrost.ops has no operation {name!r} (jax.numpy, jax.nn and "
                         "jax.lax names are available).")
