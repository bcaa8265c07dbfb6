"""New tensors: ranges, constants, identities, triangles and diagonals, windows."""

from __future__ import annotations

import jax.numpy as jnp

from hoarfrost.backend import floatx
from hoarfrost.ops._operation import dtype_or_none, keras_op, standardize_dtype, tensor

__all__ = ["arange", "array", "bartlett", "blackman", "diag", "diagflat", "diagonal", "empty",
    "empty_like", "eye", "full", "full_like", "geomspace", "hamming", "hanning", "identity",
    "kaiser", "linspace", "logspace", "meshgrid", "ones", "ones_like", "tri", "tril", "triu",
    "vander", "zeros", "zeros_like"]


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
