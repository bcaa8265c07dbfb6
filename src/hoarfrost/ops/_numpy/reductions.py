"""Reductions along axes: sums, means, extrema, statistics, their NaN-ignoring
forms, cumulative sums and products, differences."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from hoarfrost.ops._operation import dtype_or_none, keras_op, tensor

__all__ = ["all", "amax", "amin", "any", "argmax", "argmin", "average", "count_nonzero", "cumprod",
    "cumsum", "diff", "max", "mean", "median", "min", "nanargmax", "nanargmin", "nancumprod",
    "nancumsum", "nanmax", "nanmean", "nanmedian", "nanmin", "nanpercentile", "nanprod",
    "nanquantile", "nanstd", "nansum", "nanvar", "percentile", "prod", "ptp", "quantile", "std",
    "sum", "trace", "trapezoid", "var"]


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
