"""`keras.backend`'s names: session, dtype and data-format helpers Keras programs call."""

from __future__ import annotations

import numpy as np

from hoarfrost.config import (backend, epsilon, floatx, image_data_format, set_epsilon,
                              set_floatx, set_image_data_format)
from hoarfrost.dtype_policies import is_float_dtype, is_int_dtype
from hoarfrost.dtype_policies import keras_dtype_name as standardize_dtype
from hoarfrost.naming import clear_session, get_uid
from hoarfrost.symbolic import is_keras_tensor


def result_type(*dtypes) -> str:
    """The dtype of an operation on values of `dtypes` (JAX's promotion rules).

    Python scalars' types (`int`, `float`) are weak, as in JAX; no dtype at all
    gives `floatx()`.
    """
    import jax.numpy as jnp
    if not dtypes:
        return floatx()
    return np.dtype(jnp.result_type(*dtypes)).name


__all__ = ["backend", "clear_session", "epsilon", "floatx", "get_uid", "image_data_format",
           "is_float_dtype", "is_int_dtype", "is_keras_tensor", "result_type", "set_epsilon",
           "set_floatx", "set_image_data_format", "standardize_dtype"]
