"""`standardize_dtype`: a dtype as Keras names it, or an error naming what is not one."""

from __future__ import annotations

import numpy as np

from hoarfrost import config

#: The dtypes Keras 3 accepts (`keras.src.backend.common.dtypes.ALLOWED_DTYPES`).
ALLOWED_DTYPES = frozenset({
    "float16", "float32", "float64", "uint8", "uint16", "uint32", "uint64", "int8", "int16",
    "int32", "int64", "bfloat16", "bool", "string", "float8_e4m3fn", "float8_e5m2",
    "complex64", "complex128"})
#: Python types and the `"int"` shorthand, as Keras's JAX backend maps them.
PYTHON_DTYPES = {bool: "bool", int: "int32", float: "float32", str: "string", "int": "int32",
                 complex: "complex64"}


def standardize_dtype(dtype) -> str:
    """The name of `dtype` as Keras gives it (`"float32"`, `"bfloat16"`, `"int32"`).

    Args:
        dtype: None (`floatx()`), a name, a Python type, a NumPy / JAX dtype or type.

    Raises:
        ValueError: `dtype` is not one of Keras's dtypes (`"float"`, `"int4"`, ...).

    Example:
        >>> standardize_dtype(int), standardize_dtype(np.float16)
        ('int32', 'float16')
    """
    if dtype is None:
        return config.floatx()
    try:
        dtype = PYTHON_DTYPES.get(dtype, dtype)
    except TypeError:  # unhashable
        pass
    if hasattr(dtype, "name") and not isinstance(dtype, str):
        dtype = dtype.name
    elif isinstance(dtype, type) and issubclass(dtype, np.generic):
        dtype = np.dtype(dtype).name
    elif hasattr(dtype, "__name__"):
        dtype = dtype.__name__
    if dtype not in ALLOWED_DTYPES:
        raise ValueError(f"Invalid dtype: {dtype}")
    return dtype
