"""`keras.ops.numpy`: the NumPy-like ops, by Keras's names, arguments and dtype rules.

Keras 3's `keras/src/ops/numpy.py` as its JAX backend runs it: mostly one
`jax.numpy` call, after Keras's argument checks and the casts that make its
dtypes (ints to floatx for float functions, floatx for new float tensors, ...).
One module per family: `elementwise` (one tensor), `binary` (two tensors),
`products`, `reductions`, `sorting`, `creation`, `shapes`.
"""

from __future__ import annotations

# What the single module imported, still importable from it.
import builtins  # noqa: F401
import math  # noqa: F401

import jax  # noqa: F401
import jax.numpy as jnp  # noqa: F401

from hoarfrost.backend import floatx  # noqa: F401
from hoarfrost.dtype_policies import is_int_dtype  # noqa: F401
from hoarfrost.ops._numpy import (binary, creation, elementwise, products, reductions, shapes,
                                  sorting)
from hoarfrost.ops._numpy.binary import *  # noqa: F401,F403
from hoarfrost.ops._numpy.binary import _float_pair  # noqa: F401
from hoarfrost.ops._numpy.creation import *  # noqa: F401,F403
from hoarfrost.ops._numpy.creation import _window  # noqa: F401
from hoarfrost.ops._numpy.elementwise import *  # noqa: F401,F403
from hoarfrost.ops._numpy.elementwise import _exp_like  # noqa: F401
from hoarfrost.ops._numpy.products import *  # noqa: F401,F403
from hoarfrost.ops._numpy.products import _preferred_int32  # noqa: F401
from hoarfrost.ops._numpy.reductions import *  # noqa: F401,F403
from hoarfrost.ops._numpy.reductions import _cpu_safe_for_arg  # noqa: F401
from hoarfrost.ops._numpy.shapes import *  # noqa: F401,F403
from hoarfrost.ops._numpy.shapes import _pad_width  # noqa: F401
from hoarfrost.ops._numpy.sorting import *  # noqa: F401,F403
from hoarfrost.ops._operation import (compiled, dtype_or_none, keras_op,  # noqa: F401
                                      standardize_dtype, tensor, to_float)

__all__ = sorted([*binary.__all__, *creation.__all__, *elementwise.__all__, *products.__all__,
                  *reductions.__all__, *shapes.__all__, *sorting.__all__])

# Each op keeps the module it had before the package was split, so that what records a
# function's module (a Lambda layer's saved config, a pickle) writes the same as before.
for _name in __all__:
    globals()[_name].__module__ = __name__
del _name
