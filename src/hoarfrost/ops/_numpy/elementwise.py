"""Element-wise ops of one tensor: signs and rounding, trigonometry, exponentials
and logarithms, tests (`isnan`, ...), bitwise and logical negation."""

from __future__ import annotations

import math

import jax.numpy as jnp

from hoarfrost.backend import floatx
from hoarfrost.dtype_policies import is_int_dtype
from hoarfrost.ops._operation import keras_op, standardize_dtype, tensor, to_float

__all__ = ["abs", "absolute", "angle", "arccos", "arccosh", "arcsin", "arcsinh", "arctan",
    "arctanh", "bitwise_invert", "bitwise_not", "cbrt", "ceil", "conj", "conjugate", "copy", "cos",
    "cosh", "deg2rad", "exp", "exp2", "expm1", "fabs", "floor", "i0", "imag", "isfinite", "isinf",
    "isnan", "isneginf", "isposinf", "isreal", "log", "log10", "log1p", "log2", "logical_not",
    "nan_to_num", "negative", "rad2deg", "real", "reciprocal", "round", "sign", "signbit", "sin",
    "sinc", "sinh", "sqrt", "square", "tan", "tanh", "trunc"]


@keras_op()
def absolute(x):
    """`|x|`, element-wise."""
    return jnp.absolute(tensor(x))


@keras_op()
def abs(x):
    """`|x|`, element-wise (an alias of `absolute`)."""
    return jnp.absolute(tensor(x))


@keras_op()
def fabs(x):
    """`|x|` for real `x`, element-wise."""
    x = tensor(x)
    if jnp.issubdtype(x.dtype, jnp.complexfloating):
        raise TypeError(f"fabs does not support complex inputs, got x.dtype={x.dtype}.")
    return jnp.fabs(x)


@keras_op()
def angle(x):
    """The angle of the complex argument, element-wise."""
    return jnp.angle(to_float(x))


@keras_op()
def arccos(x):
    """Inverse cosine, element-wise."""
    return jnp.arccos(to_float(x))


@keras_op()
def arccosh(x):
    """Inverse hyperbolic cosine, element-wise."""
    return jnp.arccosh(to_float(x))


@keras_op()
def arcsin(x):
    """Inverse sine, element-wise."""
    return jnp.arcsin(to_float(x))


@keras_op()
def arcsinh(x):
    """Inverse hyperbolic sine, element-wise."""
    return jnp.arcsinh(to_float(x))


@keras_op()
def arctan(x):
    """Inverse tangent, element-wise."""
    return jnp.arctan(to_float(x))


@keras_op()
def arctanh(x):
    """Inverse hyperbolic tangent, element-wise."""
    return jnp.arctanh(to_float(x))


@keras_op()
def cbrt(x):
    """The cube root, element-wise."""
    return jnp.cbrt(tensor(x))


@keras_op()
def ceil(x):
    """The ceiling, element-wise (as floats)."""
    return jnp.ceil(to_float(x))


@keras_op()
def floor(x):
    """The floor, element-wise (as floats)."""
    return jnp.floor(to_float(x))


@keras_op()
def conjugate(x):
    """The complex conjugate, element-wise."""
    return jnp.conjugate(tensor(x))


@keras_op()
def conj(x):
    """The complex conjugate, element-wise (an alias of `conjugate`)."""
    return jnp.conjugate(tensor(x))


@keras_op()
def copy(x):
    """A copy of `x`."""
    return jnp.copy(tensor(x))


@keras_op()
def cos(x):
    """Cosine, element-wise."""
    return jnp.cos(to_float(x))


@keras_op()
def cosh(x):
    """Hyperbolic cosine, element-wise."""
    return jnp.cosh(to_float(x))


@keras_op()
def sin(x):
    """Sine, element-wise."""
    return jnp.sin(to_float(x))


@keras_op()
def sinc(x):
    """`sin(pi x) / (pi x)`, element-wise."""
    return jnp.sinc(to_float(x))


@keras_op()
def sinh(x):
    """Hyperbolic sine, element-wise."""
    return jnp.sinh(to_float(x))


@keras_op()
def tan(x):
    """Tangent, element-wise."""
    return jnp.tan(to_float(x))


@keras_op()
def tanh(x):
    """Hyperbolic tangent, element-wise."""
    return jnp.tanh(to_float(x))


@keras_op()
def deg2rad(x):
    """Degrees to radians, element-wise."""
    return jnp.deg2rad(tensor(x))


@keras_op()
def rad2deg(x):
    """Radians to degrees, element-wise."""
    return jnp.rad2deg(tensor(x))


def _exp_like(fn, x):
    x = tensor(x)
    if is_int_dtype(x.dtype) or x.dtype == jnp.bool_:
        x = x.astype(floatx())
    return fn(x)


@keras_op()
def exp(x):
    """`e ** x`, element-wise."""
    return _exp_like(jnp.exp, x)


@keras_op()
def exp2(x):
    """`2 ** x`, element-wise."""
    return _exp_like(jnp.exp2, x)


@keras_op()
def expm1(x):
    """`exp(x) - 1`, element-wise."""
    return _exp_like(jnp.expm1, x)


@keras_op()
def log(x):
    """The natural logarithm, element-wise."""
    return jnp.log(tensor(x))


@keras_op()
def log10(x):
    """The base-10 logarithm, element-wise."""
    return jnp.log10(tensor(x))


@keras_op()
def log1p(x):
    """`log(1 + x)`, element-wise."""
    return jnp.log1p(tensor(x))


@keras_op()
def log2(x):
    """The base-2 logarithm, element-wise."""
    return jnp.log2(tensor(x))


@keras_op()
def i0(x):
    """The modified Bessel function of the first kind, order 0, element-wise."""
    x = tensor(x)
    name = standardize_dtype(x.dtype)
    dtype = "float64" if name in ("int64", "float64") else (
        name if name in ("bfloat16", "float16") else floatx())
    return jnp.i0(x.astype(dtype))


@keras_op()
def imag(x):
    """The imaginary part, element-wise."""
    return jnp.imag(tensor(x))


@keras_op()
def real(x):
    """The real part, element-wise."""
    return jnp.real(tensor(x))


@keras_op()
def isfinite(x):
    """Whether each element is finite."""
    return jnp.isfinite(tensor(x))


@keras_op()
def isinf(x):
    """Whether each element is infinite."""
    return jnp.isinf(tensor(x))


@keras_op()
def isnan(x):
    """Whether each element is NaN."""
    return jnp.isnan(tensor(x))


@keras_op()
def isneginf(x):
    """Whether each element is negative infinity."""
    return jnp.isneginf(tensor(x))


@keras_op()
def isposinf(x):
    """Whether each element is positive infinity."""
    return jnp.isposinf(tensor(x))


@keras_op()
def isreal(x):
    """Whether each element is real (no imaginary part)."""
    return jnp.isreal(tensor(x))


@keras_op()
def logical_not(x):
    """`not x`, element-wise."""
    return jnp.logical_not(tensor(x))


@keras_op()
def negative(x):
    """`-x`, element-wise."""
    return jnp.negative(tensor(x))


@keras_op()
def reciprocal(x):
    """`1 / x`, element-wise."""
    return jnp.reciprocal(tensor(x))


@keras_op()
def sign(x):
    """The sign (-1, 0 or 1), element-wise."""
    return jnp.sign(tensor(x))


@keras_op()
def signbit(x):
    """Whether the sign bit is set (negative numbers and -0.0), element-wise."""
    return jnp.signbit(tensor(x))


@keras_op()
def sqrt(x):
    """The square root, element-wise."""
    return jnp.sqrt(tensor(x))


@keras_op()
def square(x):
    """`x * x`, element-wise."""
    return jnp.square(tensor(x))


@keras_op()
def round(x, decimals=0):
    """`x` rounded half to even to `decimals` digits (negative: to tens, hundreds, ...)."""
    x = tensor(x)
    if is_int_dtype(x.dtype) and decimals < 0:
        factor = jnp.asarray(math.pow(10, decimals), floatx())
        rounded = jnp.round(x.astype(floatx()) * factor) / factor
        return rounded.astype(x.dtype)
    return jnp.round(x, decimals=decimals)


@keras_op()
def trunc(x):
    """`x` rounded towards zero, element-wise (integers unchanged)."""
    x = tensor(x)
    if is_int_dtype(x.dtype) or x.dtype == jnp.bool_:
        return x
    return jnp.trunc(x)


@keras_op()
def bitwise_invert(x):
    """Bitwise NOT, element-wise."""
    return jnp.invert(tensor(x))


@keras_op()
def bitwise_not(x):
    """Bitwise NOT, element-wise (an alias of `bitwise_invert`)."""
    return jnp.invert(tensor(x))


@keras_op()
def nan_to_num(x, nan=0.0, posinf=None, neginf=None):
    """`x` with NaN replaced by `nan`, infinities by `posinf` / `neginf` (the dtype's extremes)."""
    return jnp.nan_to_num(tensor(x), nan=nan, posinf=posinf, neginf=neginf)
