"""Element-wise ops of two tensors: arithmetic, comparisons, logic and bits, and
`where` / `select` / `clip`."""

from __future__ import annotations

import jax.numpy as jnp

from hoarfrost.dtype_policies import is_int_dtype
from hoarfrost.ops._operation import keras_op, tensor

__all__ = ["add", "allclose", "arctan2", "bitwise_and", "bitwise_left_shift", "bitwise_or",
    "bitwise_right_shift", "bitwise_xor", "clip", "divide", "divide_no_nan", "equal",
    "floor_divide", "fmax", "fmin", "fmod", "gcd", "greater", "greater_equal", "heaviside",
    "hypot", "isclose", "isin", "lcm", "ldexp", "left_shift", "less", "less_equal", "logaddexp",
    "logaddexp2", "logical_and", "logical_or", "logical_xor", "maximum", "minimum", "mod",
    "multiply", "nextafter", "not_equal", "power", "right_shift", "select", "subtract",
    "true_divide", "where"]


def _float_pair(x1, x2):
    """`x1`, `x2` cast to their common float dtype (ints to floatx), as Keras does."""
    x1, x2 = tensor(x1), tensor(x2)
    dtype = jnp.result_type(x1.dtype, x2.dtype, float)
    return x1.astype(dtype), x2.astype(dtype)


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
