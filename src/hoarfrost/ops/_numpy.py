"""`keras.ops.numpy`: the NumPy-like ops, by Keras's names, arguments and dtype rules.

Keras 3's `keras/src/ops/numpy.py` as its JAX backend runs it: mostly one
`jax.numpy` call, after Keras's argument checks and the casts that make its
dtypes (ints to floatx for float functions, floatx for new float tensors, ...).
"""

from __future__ import annotations

import builtins
import math

import jax
import jax.numpy as jnp

from hoarfrost.backend import floatx
from hoarfrost.dtype_policies import is_int_dtype
from hoarfrost.ops._operation import (compiled, dtype_or_none, keras_op,
                                      standardize_dtype, tensor, to_float)

__all__ = [
    "abs", "absolute", "add", "all", "allclose", "amax", "amin", "angle", "any", "append",
    "arange", "arccos", "arccosh", "arcsin", "arcsinh", "arctan", "arctan2", "arctanh", "argmax",
    "argmin", "argpartition", "argsort", "array", "array_split", "average", "bartlett",
    "bincount", "bitwise_and", "bitwise_invert", "bitwise_left_shift", "bitwise_not",
    "bitwise_or", "bitwise_right_shift", "bitwise_xor", "blackman", "broadcast_to", "cbrt",
    "ceil", "clip", "concatenate", "conj", "conjugate", "copy", "corrcoef", "correlate", "cos",
    "cosh", "count_nonzero", "cross", "cumprod", "cumsum", "deg2rad", "diag", "diagflat",
    "diagonal", "diff", "digitize", "divide", "divide_no_nan", "dot", "dsplit", "dstack",
    "einsum", "empty", "empty_like", "equal", "exp", "exp2", "expand_dims", "expm1", "eye",
    "fabs", "flip", "fliplr", "flipud", "floor", "floor_divide", "fmax", "fmin", "fmod", "full",
    "full_like", "gcd", "geomspace", "get_item", "greater", "greater_equal", "hamming",
    "hanning", "heaviside", "histogram", "hsplit", "hstack", "hypot", "i0", "identity", "imag",
    "inner", "isclose", "isfinite", "isin", "isinf", "isnan", "isneginf", "isposinf", "isreal",
    "kaiser", "kron", "lcm", "ldexp", "left_shift", "less", "less_equal", "linspace", "log",
    "log10", "log1p", "log2", "logaddexp", "logaddexp2", "logical_and", "logical_not",
    "logical_or", "logical_xor", "logspace", "matmul", "max", "maximum", "mean", "median",
    "meshgrid", "min", "minimum", "mod", "moveaxis", "multiply", "nan_to_num", "nanargmax",
    "nanargmin", "nancumprod", "nancumsum", "nanmax", "nanmean", "nanmedian", "nanmin",
    "nanpercentile", "nanprod", "nanquantile", "nanstd", "nansum", "nanvar", "ndim",
    "negative", "nextafter", "nonzero", "not_equal", "ones", "ones_like", "outer", "pad",
    "percentile", "power", "prod", "ptp", "quantile", "rad2deg", "ravel", "real", "reciprocal",
    "repeat", "reshape", "right_shift", "roll", "rot90", "round", "searchsorted", "select",
    "sign", "signbit", "sin", "sinc", "sinh", "size", "slogdet", "sort", "split", "sqrt",
    "square", "squeeze", "stack", "std", "subtract", "sum", "swapaxes", "take",
    "take_along_axis", "tan", "tanh", "tensordot", "tile", "trace", "transpose", "trapezoid",
    "tri", "tril", "triu", "true_divide", "trunc", "unique", "unravel_index", "vander", "var",
    "vdot", "vectorize", "view", "vsplit", "vstack", "where", "zeros", "zeros_like",
]


def _float_pair(x1, x2):
    """`x1`, `x2` cast to their common float dtype (ints to floatx), as Keras does."""
    x1, x2 = tensor(x1), tensor(x2)
    dtype = jnp.result_type(x1.dtype, x2.dtype, float)
    return x1.astype(dtype), x2.astype(dtype)


def _preferred_int32(*operands):
    """int32 accumulation when every operand is int8 (Keras's matmul/einsum rule)."""
    kinds = {jnp.dtype(x.dtype).name for x in operands}
    return "int32" if kinds == {"int8"} else None


# ---- element-wise, one input -------------------------------------------------------------

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


# ---- element-wise, two inputs ------------------------------------------------------------

@keras_op()
def add(x1, x2):
    """`x1 + x2`, element-wise."""
    return jnp.add(tensor(x1), tensor(x2))


@keras_op()
def subtract(x1, x2):
    """`x1 - x2`, element-wise."""
    return jnp.subtract(tensor(x1), tensor(x2))


@keras_op()
def multiply(x1, x2):
    """`x1 * x2`, element-wise."""
    return jnp.multiply(tensor(x1), tensor(x2))


@keras_op()
def divide(x1, x2):
    """`x1 / x2`, element-wise (true division)."""
    return jnp.divide(tensor(x1), tensor(x2))


@keras_op()
def true_divide(x1, x2):
    """`x1 / x2`, element-wise (an alias of `divide`)."""
    return jnp.divide(tensor(x1), tensor(x2))


@keras_op()
def divide_no_nan(x1, x2):
    """`x1 / x2`, element-wise, and 0 where `x2` is 0."""
    x1, x2 = tensor(x1), tensor(x2)
    safe_x2 = jnp.where(x2 == 0, 1, x2)
    return jnp.where(x2 == 0, 0, jnp.divide(x1, safe_x2))


@keras_op()
def floor_divide(x1, x2):
    """`x1 // x2`, element-wise."""
    return jnp.floor_divide(tensor(x1), tensor(x2))


@keras_op()
def mod(x1, x2):
    """`x1 % x2`, element-wise (the sign of `x2`)."""
    return jnp.mod(tensor(x1), tensor(x2))


@keras_op()
def fmod(x1, x2):
    """The remainder of `x1 / x2`, element-wise (the sign of `x1`)."""
    return jnp.fmod(tensor(x1), tensor(x2))


@keras_op()
def power(x1, x2):
    """`x1 ** x2`, element-wise."""
    return jnp.power(tensor(x1), tensor(x2))


@keras_op()
def arctan2(x1, x2):
    """The angle of the point (`x2`, `x1`), element-wise."""
    return jnp.arctan2(*_float_pair(x1, x2))


@keras_op()
def logaddexp(x1, x2):
    """`log(exp(x1) + exp(x2))`, element-wise."""
    return jnp.logaddexp(*_float_pair(x1, x2))


@keras_op()
def logaddexp2(x1, x2):
    """`log2(2 ** x1 + 2 ** x2)`, element-wise."""
    return jnp.logaddexp2(*_float_pair(x1, x2))


@keras_op()
def hypot(x1, x2):
    """`sqrt(x1 ** 2 + x2 ** 2)`, element-wise."""
    return jnp.hypot(tensor(x1), tensor(x2))


@keras_op()
def heaviside(x1, x2):
    """The Heaviside step of `x1`, `x2` where `x1 == 0`."""
    return jnp.heaviside(tensor(x1), tensor(x2))


@keras_op()
def maximum(x1, x2):
    """The larger of `x1` and `x2`, element-wise (NaN propagates)."""
    return jnp.maximum(tensor(x1), tensor(x2))


@keras_op()
def minimum(x1, x2):
    """The smaller of `x1` and `x2`, element-wise (NaN propagates)."""
    return jnp.minimum(tensor(x1), tensor(x2))


@keras_op()
def fmax(x1, x2):
    """The larger of `x1` and `x2`, element-wise, ignoring NaN."""
    return jnp.fmax(tensor(x1), tensor(x2))


@keras_op()
def fmin(x1, x2):
    """The smaller of `x1` and `x2`, element-wise, ignoring NaN."""
    return jnp.fmin(tensor(x1), tensor(x2))


@keras_op()
def gcd(x1, x2):
    """The greatest common divisor, element-wise."""
    return jnp.gcd(tensor(x1), tensor(x2))


@keras_op()
def lcm(x1, x2):
    """The least common multiple, element-wise."""
    return jnp.lcm(tensor(x1), tensor(x2))


@keras_op()
def ldexp(x1, x2):
    """`x1 * 2 ** x2`, element-wise (`x2` integer)."""
    x1, x2 = tensor(x1), tensor(x2)
    if not is_int_dtype(x2.dtype):
        raise TypeError(f"ldexp exponent must be an integer type, got x2 dtype={x2.dtype}.")
    return jnp.ldexp(x1, x2)


@keras_op()
def nextafter(x1, x2):
    """The next float after `x1` towards `x2`, element-wise."""
    return jnp.nextafter(tensor(x1), tensor(x2))


@keras_op()
def equal(x1, x2):
    """`x1 == x2`, element-wise."""
    return jnp.equal(tensor(x1), tensor(x2))


@keras_op()
def not_equal(x1, x2):
    """`x1 != x2`, element-wise."""
    return jnp.not_equal(tensor(x1), tensor(x2))


@keras_op()
def greater(x1, x2):
    """`x1 > x2`, element-wise."""
    return jnp.greater(tensor(x1), tensor(x2))


@keras_op()
def greater_equal(x1, x2):
    """`x1 >= x2`, element-wise."""
    return jnp.greater_equal(tensor(x1), tensor(x2))


@keras_op()
def less(x1, x2):
    """`x1 < x2`, element-wise."""
    return jnp.less(tensor(x1), tensor(x2))


@keras_op()
def less_equal(x1, x2):
    """`x1 <= x2`, element-wise."""
    return jnp.less_equal(tensor(x1), tensor(x2))


@keras_op()
def logical_and(x1, x2):
    """`x1 and x2`, element-wise."""
    return jnp.logical_and(tensor(x1), tensor(x2))


@keras_op()
def logical_or(x1, x2):
    """`x1 or x2`, element-wise."""
    return jnp.logical_or(tensor(x1), tensor(x2))


@keras_op()
def logical_xor(x1, x2):
    """`x1 xor x2`, element-wise."""
    return jnp.logical_xor(tensor(x1), tensor(x2))


@keras_op()
def bitwise_and(x, y):
    """Bitwise AND, element-wise."""
    return jnp.bitwise_and(tensor(x), tensor(y))


@keras_op()
def bitwise_or(x, y):
    """Bitwise OR, element-wise."""
    return jnp.bitwise_or(tensor(x), tensor(y))


@keras_op()
def bitwise_xor(x, y):
    """Bitwise XOR, element-wise."""
    return jnp.bitwise_xor(tensor(x), tensor(y))


@keras_op()
def bitwise_left_shift(x, y):
    """`x << y`, element-wise."""
    return jnp.left_shift(tensor(x), y if isinstance(y, int) else tensor(y))


@keras_op()
def left_shift(x, y):
    """`x << y`, element-wise (an alias of `bitwise_left_shift`)."""
    return jnp.left_shift(tensor(x), y if isinstance(y, int) else tensor(y))


@keras_op()
def bitwise_right_shift(x, y):
    """`x >> y`, element-wise."""
    return jnp.right_shift(tensor(x), y if isinstance(y, int) else tensor(y))


@keras_op()
def right_shift(x, y):
    """`x >> y`, element-wise (an alias of `bitwise_right_shift`)."""
    return jnp.right_shift(tensor(x), y if isinstance(y, int) else tensor(y))


@keras_op()
def isclose(x1, x2, rtol=1e-5, atol=1e-8, equal_nan=False):
    """Whether `|x1 - x2| <= atol + rtol * |x2|`, element-wise."""
    return jnp.isclose(tensor(x1), tensor(x2), rtol, atol, equal_nan)


@keras_op()
def allclose(x1, x2, rtol=1e-5, atol=1e-8, equal_nan=False):
    """Whether `isclose` holds everywhere."""
    return jnp.allclose(tensor(x1), tensor(x2), rtol, atol, equal_nan)


@keras_op()
def isin(x1, x2, assume_unique=False, invert=False):
    """Whether each element of `x1` is in `x2` (or not, with `invert`)."""
    return jnp.isin(tensor(x1), tensor(x2), assume_unique=assume_unique, invert=invert)


@keras_op()
def clip(x, x_min, x_max):
    """`x` limited to [`x_min`, `x_max`] (bools clipped as int32)."""
    x = tensor(x)
    if x.dtype == jnp.bool_:
        x = x.astype("int32")
    return jnp.clip(x, x_min, x_max)


@keras_op()
def where(condition, x1=None, x2=None):
    """`x1` where `condition`, else `x2`; with neither, the indices where `condition` holds."""
    if (x1 is None) != (x2 is None):
        raise ValueError("where: `x1` and `x2` must both be None or both be given.")
    return jnp.where(condition, x1, x2)


@keras_op()
def select(condlist, choicelist, default=0):
    """The entry of the first true condition's choice, element-wise; `default` when none."""
    if not isinstance(condlist, (list, tuple)) or not isinstance(choicelist, (list, tuple)):
        raise ValueError("select: condlist and choicelist must be lists, got "
                         f"{type(condlist).__name__} and {type(choicelist).__name__}.")
    if not condlist or not choicelist:
        raise ValueError("select: condlist and choicelist must not be empty.")
    return jnp.select(list(condlist), list(choicelist), default=default)


# ---- products ----------------------------------------------------------------------------

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


# ---- reductions --------------------------------------------------------------------------

@keras_op()
def all(x, axis=None, keepdims=False):
    """Whether every element along `axis` is true."""
    return jnp.all(tensor(x), axis=axis, keepdims=keepdims)


@keras_op()
def any(x, axis=None, keepdims=False):
    """Whether some element along `axis` is true."""
    return jnp.any(tensor(x), axis=axis, keepdims=keepdims)


@keras_op()
def amax(x, axis=None, keepdims=False):
    """The maximum along `axis`."""
    return jnp.amax(tensor(x), axis=axis, keepdims=keepdims)


@keras_op()
def amin(x, axis=None, keepdims=False):
    """The minimum along `axis`."""
    return jnp.amin(tensor(x), axis=axis, keepdims=keepdims)


@keras_op()
def max(x, axis=None, keepdims=False, initial=None):
    """The maximum along `axis` (at least `initial`)."""
    return jnp.max(tensor(x), axis=axis, keepdims=keepdims, initial=initial)


@keras_op()
def min(x, axis=None, keepdims=False, initial=None):
    """The minimum along `axis` (at most `initial`)."""
    return jnp.min(tensor(x), axis=axis, keepdims=keepdims, initial=initial)


@keras_op()
def sum(x, axis=None, keepdims=False):
    """The sum along `axis`."""
    return jnp.sum(tensor(x), axis=axis, keepdims=keepdims)


@keras_op()
def prod(x, axis=None, keepdims=False, dtype=None):
    """The product along `axis`."""
    return jnp.prod(tensor(x), axis=axis, keepdims=keepdims, dtype=dtype_or_none(dtype))


@keras_op()
def mean(x, axis=None, keepdims=False):
    """The mean along `axis`, accumulated in float32 (ints give floats)."""
    x = tensor(x)
    compute_dtype = jnp.result_type(x.dtype, "float32")
    inexact = jnp.issubdtype(x.dtype, jnp.inexact)
    result_dtype = x.dtype if inexact else compute_dtype
    return jnp.mean(x, axis=axis, keepdims=keepdims, dtype=compute_dtype).astype(result_dtype)


@keras_op()
def var(x, axis=None, keepdims=False):
    """The variance along `axis`, accumulated in float32."""
    x = tensor(x)
    compute_dtype = jnp.result_type(x.dtype, "float32")
    result_dtype = jnp.result_type(x.dtype, float)
    return jnp.var(x, axis=axis, keepdims=keepdims, dtype=compute_dtype).astype(result_dtype)


@keras_op()
def std(x, axis=None, keepdims=False):
    """The standard deviation along `axis`."""
    return jnp.std(tensor(x), axis=axis, keepdims=keepdims)


@keras_op()
def ptp(x, axis=None, keepdims=False):
    """The range (maximum - minimum) along `axis`."""
    return jnp.ptp(tensor(x), axis=axis, keepdims=keepdims)


@keras_op()
def average(x, axis=None, weights=None):
    """The (weighted) average along `axis`."""
    x = tensor(x)
    dtypes = [x.dtype, float]
    if weights is not None:
        weights = tensor(weights)
        dtypes.append(weights.dtype)
    dtype = jnp.result_type(*dtypes)
    weights = None if weights is None else weights.astype(dtype)
    return jnp.average(x.astype(dtype), weights=weights, axis=axis)


@keras_op()
def median(x, axis=None, keepdims=False):
    """The median along `axis`."""
    axis = tuple(axis) if isinstance(axis, list) else axis
    return jnp.median(tensor(x), axis=axis, keepdims=keepdims)


@keras_op()
def quantile(x, q, axis=None, method="linear", keepdims=False):
    """The `q`-th quantiles (in [0, 1]) along `axis`."""
    return jnp.quantile(tensor(x), tensor(q), axis=axis, method=method, keepdims=keepdims)


@keras_op()
def percentile(x, q, axis=None, method="linear", keepdims=False):
    """The `q`-th percentiles (in [0, 100]) along `axis`."""
    return jnp.percentile(tensor(x), tensor(q), axis=axis, method=method, keepdims=keepdims)


@keras_op()
def count_nonzero(x, axis=None):
    """The number of non-zero elements along `axis`, as int32."""
    return jnp.count_nonzero(tensor(x), axis=axis).astype("int32")


@keras_op()
def trace(x, offset=0, axis1=0, axis2=1):
    """The sum along a diagonal."""
    return jnp.trace(tensor(x), offset=offset, axis1=axis1, axis2=axis2)


@keras_op()
def trapezoid(y, x=None, dx=1.0, axis=-1):
    """The integral of `y` by the trapezoidal rule (at `x`, or spaced by `dx`)."""
    return jnp.trapezoid(tensor(y), None if x is None else tensor(x), dx=tensor(dx), axis=axis)


def _cpu_safe_for_arg(x):
    """`x` with -0.0 nudged below 0, so argmax/argmin agree with NumPy on CPU.

    XLA:CPU flushes denormals and compares -0.0 == 0.0 (jax-ml/jax#24280);
    Keras makes -0.0 the tiniest negative number first, and so does this.
    """
    if not jnp.issubdtype(x.dtype, jnp.floating) or x.ndim == 0:
        return x
    if getattr(x, "device", None) is not None and isinstance(x.device, jax.Device):
        on_cpu = x.device.platform == "cpu"
    else:
        on_cpu = jax.default_backend() == "cpu"
    if not on_cpu:
        return x
    x = x.astype(jnp.result_type(x.dtype, "float32"))
    return jnp.where((x == 0.0) & jnp.signbit(x), -jnp.finfo(x.dtype).tiny, x)


@keras_op()
def argmax(x, axis=None, keepdims=False):
    """The index of the maximum along `axis` (of the flattened `x` when None)."""
    return jnp.argmax(_cpu_safe_for_arg(tensor(x)), axis=axis, keepdims=keepdims)


@keras_op()
def argmin(x, axis=None, keepdims=False):
    """The index of the minimum along `axis` (of the flattened `x` when None)."""
    return jnp.argmin(_cpu_safe_for_arg(tensor(x)), axis=axis, keepdims=keepdims)


@keras_op()
def nanargmax(x, axis=None, keepdims=False):
    """`argmax`, ignoring NaN."""
    return jnp.nanargmax(tensor(x), axis=axis, keepdims=keepdims)


@keras_op()
def nanargmin(x, axis=None, keepdims=False):
    """`argmin`, ignoring NaN."""
    return jnp.nanargmin(tensor(x), axis=axis, keepdims=keepdims)


@keras_op()
def nancumprod(x, axis=None, dtype=None):
    """`cumprod`, NaN counted as 1."""
    return jnp.nancumprod(tensor(x), axis=axis, dtype=dtype_or_none(dtype))


@keras_op()
def nancumsum(x, axis=None, dtype=None):
    """`cumsum`, NaN counted as 0."""
    return jnp.nancumsum(tensor(x), axis=axis, dtype=dtype_or_none(dtype))


@keras_op()
def nanmax(x, axis=None, keepdims=False):
    """`max`, ignoring NaN."""
    return jnp.nanmax(tensor(x), axis=axis, keepdims=keepdims)


@keras_op()
def nanmean(x, axis=None, keepdims=False):
    """`mean`, ignoring NaN."""
    return jnp.nanmean(tensor(x), axis=axis, keepdims=keepdims)


@keras_op()
def nanmedian(x, axis=None, keepdims=False):
    """`median`, ignoring NaN."""
    return jnp.nanmedian(tensor(x), axis=axis, keepdims=keepdims)


@keras_op()
def nanmin(x, axis=None, keepdims=False):
    """`min`, ignoring NaN."""
    return jnp.nanmin(tensor(x), axis=axis, keepdims=keepdims)


@keras_op()
def nanpercentile(x, q, axis=None, method="linear", keepdims=False):
    """`percentile`, ignoring NaN."""
    return jnp.nanpercentile(tensor(x), tensor(q), axis=axis, method=method, keepdims=keepdims)


@keras_op()
def nanprod(x, axis=None, keepdims=False):
    """`prod`, NaN counted as 1."""
    return jnp.nanprod(tensor(x), axis=axis, keepdims=keepdims)


@keras_op()
def nanquantile(x, q, axis=None, method="linear", keepdims=False):
    """`quantile`, ignoring NaN."""
    return jnp.nanquantile(tensor(x), tensor(q), axis=axis, method=method, keepdims=keepdims)


@keras_op()
def nanstd(x, axis=None, keepdims=False):
    """`std`, ignoring NaN."""
    return jnp.nanstd(tensor(x), axis=axis, keepdims=keepdims)


@keras_op()
def nansum(x, axis=None, keepdims=False):
    """`sum`, NaN counted as 0."""
    return jnp.nansum(tensor(x), axis=axis, keepdims=keepdims)


@keras_op()
def nanvar(x, axis=None, keepdims=False):
    """`var`, ignoring NaN."""
    return jnp.nanvar(tensor(x), axis=axis, keepdims=keepdims)


@keras_op()
def cumprod(x, axis=None, dtype=None):
    """The cumulative product along `axis` (of the flattened `x` when None)."""
    return jnp.cumprod(tensor(x), axis=axis, dtype=dtype_or_none(dtype))


@keras_op()
def cumsum(x, axis=None, dtype=None):
    """The cumulative sum along `axis` (of the flattened `x` when None)."""
    return jnp.cumsum(tensor(x), axis=axis, dtype=dtype_or_none(dtype))


@keras_op()
def diff(a, n=1, axis=-1):
    """The `n`-th discrete difference along `axis`."""
    return jnp.diff(tensor(a), n=n, axis=axis)


# ---- sorting, searching, counting --------------------------------------------------------

@keras_op()
def sort(x, axis=-1):
    """`x` sorted along `axis`."""
    return jnp.sort(tensor(x), axis=axis)


@keras_op()
def argsort(x, axis=-1):
    """The indices that sort `x` along `axis`."""
    x = tensor(x)
    return jnp.argsort(x, axis=None if x.ndim == 0 else axis)


@keras_op()
def argpartition(x, kth, axis=-1):
    """Indices that put the `kth` element in its sorted place, smaller ones before it."""
    x = tensor(x)
    if axis is None:
        return jnp.argpartition(jnp.reshape(x, (-1,)), kth, axis=0)
    return jnp.argpartition(x, kth, axis=axis)


@keras_op()
def searchsorted(sorted_sequence, values, side="left"):
    """Where `values` would go in the 1-D `sorted_sequence` to keep it sorted."""
    sorted_sequence, values = tensor(sorted_sequence), tensor(values)
    if sorted_sequence.ndim != 1:
        raise ValueError("searchsorted only supports 1-D sorted sequences (use vectorized_map "
                         f"for N-D ones), got sorted_sequence.shape={sorted_sequence.shape}.")
    return jnp.searchsorted(sorted_sequence, values, side=side)


@keras_op()
def digitize(x, bins):
    """The index of the bin of each element of `x`."""
    return jnp.digitize(tensor(x), tensor(bins))


@keras_op()
def bincount(x, weights=None, minlength=0, sparse=False):
    """The number (or summed `weights`) of each non-negative integer in `x`, per row if 2-D."""
    if sparse:
        raise ValueError("bincount: `sparse=True` is not supported: hoarfrost's tensors are "
                         "dense.")
    x = tensor(x)
    if x.ndim == 2:
        if weights is None:
            return jnp.stack([jnp.bincount(row, minlength=minlength) for row in x])
        weights = tensor(weights)
        return jnp.stack([jnp.bincount(row, weights=w, minlength=minlength)
                          for row, w in zip(x, weights)])
    return jnp.bincount(x, weights=weights, minlength=minlength)


@keras_op()
@compiled
def histogram(x, bins=10, range=None):
    """The counts of `x` in `bins` equal bins over `range`, and the bin edges."""
    if not isinstance(bins, int):
        raise TypeError(f"histogram: `bins` must be an int, got {bins!r}.")
    if bins < 0:
        raise ValueError(f"histogram: `bins` must be non-negative, got {bins}.")
    if range:
        if not isinstance(range, tuple) or len(range) < 2:
            raise ValueError(f"histogram: `range` must be a tuple of two numbers, got {range!r}.")
        if range[1] < range[0]:
            raise ValueError(f"histogram: `range` must be increasing, got {range!r}.")
    x = tensor(x)
    if x.ndim > 1:
        raise ValueError(f"histogram: x must be 1-dimensional, got shape {x.shape}.")
    return jnp.histogram(x, bins=bins, range=range)


@keras_op()
def nonzero(x):
    """The indices of the non-zero elements, one tensor per axis."""
    return jnp.nonzero(tensor(x))


@keras_op()
def unique(x, sorted=True, return_index=False, return_inverse=False, return_counts=False,
           axis=None, size=None, fill_value=None):
    """The unique elements of `x` (and, as asked, first indices, inverse and counts).

    Under `jit`, pass `size` (and `fill_value` for the padding) for a static shape.
    """
    return jnp.unique(tensor(x), return_index=return_index, return_inverse=return_inverse,
                      return_counts=return_counts, axis=axis, equal_nan=False, size=size,
                      sorted=sorted, fill_value=fill_value)


# ---- creation ----------------------------------------------------------------------------

@keras_op()
def arange(start, stop=None, step=None, dtype=None):
    """Evenly spaced values in [`start`, `stop`): int32 for ints, floatx for floats."""
    if dtype is None:
        kinds = [v.dtype if hasattr(v, "dtype") else type(v)
                 for v in (start, stop, step) if v is not None]
        dtype = jnp.result_type(*kinds)
    return jnp.arange(start, stop, step=step, dtype=standardize_dtype(dtype))


@keras_op()
def array(x, dtype=None):
    """`x` as a tensor."""
    return jnp.array(x, dtype=dtype_or_none(dtype))


@keras_op()
def empty(shape, dtype=None):
    """An uninitialised tensor of `shape` (floatx by default)."""
    return jnp.empty(shape, dtype=dtype or floatx())


@keras_op()
def empty_like(x, dtype=None):
    """An uninitialised tensor shaped as `x`."""
    return jnp.empty_like(tensor(x), dtype=dtype_or_none(dtype))


@keras_op()
def zeros(shape, dtype=None):
    """A tensor of zeros (floatx by default)."""
    return jnp.zeros(shape, dtype=dtype or floatx())


@keras_op()
def ones(shape, dtype=None):
    """A tensor of ones (floatx by default)."""
    return jnp.ones(shape, dtype=dtype or floatx())


@keras_op()
def full(shape, fill_value, dtype=None):
    """A tensor of `shape` filled with `fill_value` (floatx by default)."""
    return jnp.full(shape, fill_value, dtype=dtype_or_none(dtype) or floatx())


@keras_op()
def zeros_like(x, dtype=None):
    """Zeros shaped (and typed, unless `dtype`) as `x`."""
    return jnp.zeros_like(tensor(x), dtype=dtype_or_none(dtype))


@keras_op()
def ones_like(x, dtype=None):
    """Ones shaped (and typed, unless `dtype`) as `x`."""
    return jnp.ones_like(tensor(x), dtype=dtype_or_none(dtype))


@keras_op()
def full_like(x, fill_value, dtype=None):
    """`fill_value` shaped (and typed, unless `dtype`) as `x`."""
    return jnp.full_like(tensor(x), fill_value, dtype=dtype_or_none(dtype))


@keras_op()
def eye(N, M=None, k=0, dtype=None):
    """An `N` x `M` matrix with ones on diagonal `k` (floatx by default)."""
    def is_float(v):
        return isinstance(v, float) or (hasattr(v, "dtype")
                                         and jnp.issubdtype(v.dtype, jnp.floating))
    if is_float(N):
        raise TypeError("eye: `N` must be an integer or an integer tensor.")
    if is_float(M):
        raise TypeError("eye: `M` must be an integer, an integer tensor, or None.")
    return jnp.eye(N, M=M, k=k, dtype=dtype or floatx())


@keras_op()
def identity(n, dtype=None):
    """The `n` x `n` identity matrix (floatx by default)."""
    return jnp.identity(n, dtype=dtype or floatx())


@keras_op()
def tri(N, M=None, k=0, dtype=None):
    """Ones at and below diagonal `k` of an `N` x `M` matrix (floatx by default)."""
    return jnp.tri(N, M=M, k=k, dtype=dtype or floatx())


@keras_op()
def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0):
    """`num` evenly spaced values from `start` to `stop` (and the step, with `retstep`)."""
    return jnp.linspace(start, stop, num=num, endpoint=endpoint, retstep=retstep,
                        dtype=dtype_or_none(dtype), axis=axis)


@keras_op()
def logspace(start, stop, num=50, endpoint=True, base=10, dtype=None, axis=0):
    """`num` values evenly spaced on a log scale, from `base ** start` to `base ** stop`."""
    return jnp.logspace(start, stop, num=num, endpoint=endpoint, base=base,
                        dtype=dtype_or_none(dtype), axis=axis)


@keras_op()
def geomspace(start, stop, num=50, endpoint=True, dtype=None, axis=0):
    """`num` values in geometric progression from `start` to `stop`."""
    return jnp.geomspace(start, stop, num=num, endpoint=endpoint, dtype=dtype_or_none(dtype),
                         axis=axis)


@keras_op()
def meshgrid(*x, indexing="xy"):
    """Coordinate grids from 1-D coordinate vectors ("xy" or "ij" indexing)."""
    return jnp.meshgrid(*[tensor(v) for v in x], indexing=indexing)


@keras_op()
def diag(x, k=0):
    """The `k`-th diagonal of a matrix, or a matrix with the vector `x` on it."""
    return jnp.diag(tensor(x), k=k)


@keras_op()
def diagflat(x, k=0):
    """A matrix with the flattened `x` on diagonal `k`."""
    return jnp.diagflat(tensor(x), k=k)


@keras_op()
def diagonal(x, offset=0, axis1=0, axis2=1):
    """The diagonal at `offset` of the planes of `axis1` and `axis2`."""
    x = tensor(x)
    if axis1 % x.ndim == axis2 % x.ndim:
        raise ValueError(f"diagonal: `axis1` and `axis2` can not be the same, got {axis1} and "
                         f"{axis2}.")
    return jnp.diagonal(x, offset=offset, axis1=axis1, axis2=axis2)


@keras_op()
def tril(x, k=0):
    """`x` with the elements above diagonal `k` zeroed."""
    return jnp.tril(tensor(x), k=k)


@keras_op()
def triu(x, k=0):
    """`x` with the elements below diagonal `k` zeroed."""
    return jnp.triu(tensor(x), k=k)


@keras_op()
def vander(x, N=None, increasing=False):
    """The Vandermonde matrix of the 1-D `x` (`N` columns)."""
    x = tensor(x)
    if x.ndim != 1:
        raise ValueError(f"vander: x must be 1-dimensional, got shape {x.shape}.")
    if N is not None and (not isinstance(N, int) or N < 0):
        raise ValueError(f"vander: `N` must be a non-negative int, got {N!r}.")
    if not isinstance(increasing, bool):
        raise TypeError(f"vander: `increasing` must be a bool, got {increasing!r}.")
    return jnp.vander(x, N=N, increasing=increasing)


def _window(fn, x, *args):
    return fn(tensor(x), *args).astype(floatx())


@keras_op()
def bartlett(x):
    """The Bartlett window of `x` points."""
    return _window(jnp.bartlett, x)


@keras_op()
def blackman(x):
    """The Blackman window of `x` points."""
    return _window(jnp.blackman, x)


@keras_op()
def hamming(x):
    """The Hamming window of `x` points."""
    return _window(jnp.hamming, x)


@keras_op()
def hanning(x):
    """The Hann window of `x` points."""
    return _window(jnp.hanning, x)


@keras_op()
def kaiser(x, beta):
    """The Kaiser window of `x` points and shape `beta`."""
    return _window(jnp.kaiser, x, beta)


# ---- shapes and layout -------------------------------------------------------------------

@keras_op()
def reshape(x, newshape):
    """`x` with shape `newshape` (one dimension may be -1)."""
    try:
        newshape = tuple(newshape)
    except TypeError:
        newshape = (newshape,)
    if builtins.sum(1 for d in newshape if d == -1) > 1:
        raise ValueError(f"reshape: at most one dimension of newshape can be -1, got {newshape}.")
    if builtins.any(d is not None and d < -1 for d in newshape):
        raise ValueError(f"reshape: invalid newshape {newshape}.")
    return jnp.reshape(tensor(x), newshape)


@keras_op()
def ravel(x):
    """`x` flattened."""
    return jnp.ravel(tensor(x))


@keras_op()
def transpose(x, axes=None):
    """`x` with its axes permuted (reversed when `axes` is None)."""
    return jnp.transpose(tensor(x), axes=axes)


@keras_op()
def swapaxes(x, axis1, axis2):
    """`x` with two axes interchanged."""
    return jnp.swapaxes(tensor(x), axis1=axis1, axis2=axis2)


@keras_op()
def moveaxis(x, source, destination):
    """`x` with axes moved from `source` to `destination`."""
    return jnp.moveaxis(tensor(x), source=source, destination=destination)


@keras_op()
def expand_dims(x, axis):
    """`x` with a new axis of size 1 at `axis`."""
    return jnp.expand_dims(tensor(x), axis)


@keras_op()
def squeeze(x, axis=None):
    """`x` without its axes of size 1 (or only `axis`)."""
    return jnp.squeeze(tensor(x), axis=axis)


@keras_op()
def broadcast_to(x, shape):
    """`x` broadcast to `shape`."""
    return jnp.broadcast_to(tensor(x), shape)


@keras_op()
def flip(x, axis=None):
    """`x` with the order of elements along `axis` reversed (all axes when None)."""
    return jnp.flip(tensor(x), axis=axis)


@keras_op()
def fliplr(x):
    """`x` flipped left to right (axis 1)."""
    return jnp.fliplr(tensor(x))


@keras_op()
def flipud(x):
    """`x` flipped up to down (axis 0)."""
    return jnp.flipud(tensor(x))


@keras_op()
def rot90(array, k=1, axes=(0, 1)):
    """`array` rotated by 90 degrees `k` times in the plane of `axes`."""
    array = tensor(array)
    if array.ndim < 2:
        raise ValueError(f"rot90: input must have at least 2 dimensions, got {array.ndim}.")
    if len(axes) != 2 or axes[0] == axes[1]:
        raise ValueError(f"rot90: invalid axes {axes}: expected two different dimensions.")
    return jnp.rot90(array, k=k, axes=axes)


@keras_op()
def roll(x, shift, axis=None):
    """`x` with its elements rolled by `shift` along `axis` (flattened when None)."""
    return jnp.roll(tensor(x), shift, axis=axis)


@keras_op()
def repeat(x, repeats, axis=None):
    """Each element of `x` repeated `repeats` times along `axis` (flattened when None)."""
    return jnp.repeat(tensor(x), repeats, axis=axis)


@keras_op()
def tile(x, repeats):
    """`x` repeated `repeats` times (per axis)."""
    return jnp.tile(tensor(x), repeats)


def _pad_width(pad_width):
    """Keras's `pad_width` rule: an int, one pair for every axis, or a pair per axis."""
    if isinstance(pad_width, int):
        return ((pad_width, pad_width),)
    if isinstance(pad_width, (tuple, list)) and isinstance(pad_width[0], int):
        return (tuple(pad_width),)
    pad_width = [tuple(pw) for pw in pad_width]
    if len({len(pw) for pw in pad_width}) != 1:
        raise ValueError("pad: `pad_width` should be a list of pairs (or of single numbers), "
                         f"got {pad_width}.")
    return tuple((pw[0], pw[0]) if len(pw) == 1 else pw for pw in pad_width)


@keras_op()
def pad(x, pad_width, mode="constant", constant_values=None):
    """`x` padded by `pad_width` (before, after) per axis, in NumPy's `mode`s."""
    x = tensor(x)
    pad_width = _pad_width(pad_width)
    if len(pad_width) > 1 and len(pad_width) != x.ndim:
        raise ValueError(f"pad: `pad_width` must have one entry per axis of x, got {pad_width} "
                         f"for x.shape={x.shape}.")
    kwargs = {}
    if constant_values is not None:
        if mode != "constant":
            raise ValueError("pad: `constant_values` can only be given with mode='constant', "
                             f"got mode={mode!r}.")
        kwargs["constant_values"] = constant_values
    return jnp.pad(x, pad_width, mode=mode, **kwargs)


@keras_op()
def append(x1, x2, axis=None):
    """`x2` appended to `x1` along `axis` (both flattened when None)."""
    return jnp.append(tensor(x1), tensor(x2), axis=axis)


@keras_op()
def concatenate(xs, axis=0):
    """The tensors `xs` joined along `axis`."""
    return jnp.concatenate([tensor(x) for x in xs], axis=axis)


@keras_op()
def stack(x, axis=0):
    """The tensors `x` stacked along a new `axis`."""
    return jnp.stack([tensor(t) for t in x], axis=axis)


@keras_op()
def hstack(xs):
    """The tensors `xs` joined column-wise."""
    return jnp.hstack([tensor(x) for x in xs])


@keras_op()
def vstack(xs):
    """The tensors `xs` joined row-wise."""
    return jnp.vstack([tensor(x) for x in xs])


@keras_op()
def dstack(xs):
    """The tensors `xs` joined along the third axis."""
    return jnp.dstack([tensor(x) for x in xs])


@keras_op()
def split(x, indices_or_sections, axis=0):
    """`x` split into equal sections, or at the given indices, along `axis`."""
    return jnp.split(tensor(x), indices_or_sections, axis=axis)


@keras_op()
def array_split(x, indices_or_sections, axis=0):
    """`x` split into `indices_or_sections` nearly equal parts along `axis`."""
    if not isinstance(indices_or_sections, int):
        raise TypeError("array_split: `indices_or_sections` must be an int, got "
                        f"{indices_or_sections!r}.")
    if indices_or_sections <= 0:
        raise ValueError("array_split: `indices_or_sections` must be positive, got "
                         f"{indices_or_sections}.")
    if not isinstance(axis, int):
        raise TypeError(f"array_split: `axis` must be an int, got {axis!r}.")
    return jnp.array_split(tensor(x), indices_or_sections, axis=axis)


@keras_op()
def hsplit(x, indices_or_sections):
    """`x` split column-wise."""
    return jnp.hsplit(tensor(x), indices_or_sections)


@keras_op()
def vsplit(x, indices_or_sections):
    """`x` split row-wise."""
    return jnp.vsplit(tensor(x), indices_or_sections)


@keras_op()
def dsplit(x, indices_or_sections):
    """`x` split along the third axis."""
    return jnp.dsplit(tensor(x), indices_or_sections)


@keras_op()
def take(x, indices, axis=None):
    """The elements of `x` at `indices` along `axis` (of the flattened `x` when None)."""
    return jnp.take(tensor(x), tensor(indices), axis=axis)


@keras_op()
def take_along_axis(x, indices, axis=None):
    """The elements of `x` at `indices`, matched along `axis`."""
    return jnp.take_along_axis(tensor(x), tensor(indices), axis=axis)


@keras_op()
def get_item(x, key):
    """`x[key]`."""
    return x[tuple(key) if isinstance(key, list) else key]


@keras_op()
def unravel_index(indices, shape):
    """The coordinates, per axis of `shape`, of flat `indices`."""
    return jnp.unravel_index(tensor(indices), shape)


@keras_op()
def ndim(x):
    """The number of axes of `x`."""
    return jnp.ndim(x)


@keras_op()
def size(x):
    """The number of elements of `x`."""
    return jnp.size(x)


@keras_op()
def view(x, dtype=None):
    """`x`'s bytes read as `dtype`."""
    return tensor(x).view(dtype=dtype_or_none(dtype))


@keras_op()
def slogdet(x):
    """The sign and the log of the absolute value of the determinant."""
    return tuple(jnp.linalg.slogdet(tensor(x)))


def vectorize(pyfunc, *, excluded=None, signature=None):
    """`pyfunc` turned into a function broadcast over its inputs (`jnp.vectorize`)."""
    if not callable(pyfunc):
        raise ValueError(f"vectorize: `pyfunc` must be callable, got {pyfunc!r}.")
    return jnp.vectorize(pyfunc, excluded=excluded or set(), signature=signature)
