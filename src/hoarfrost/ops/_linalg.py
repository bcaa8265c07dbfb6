"""`keras.ops.linalg`: decompositions, solvers, norms, and `jvp`.

Keras 3's `keras/src/ops/linalg.py` as its JAX backend runs it, with Keras's
shape checks (square matrices, compatible right-hand sides) before each call.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import jax.scipy as jsp

from hoarfrost.ops._operation import keras_op, tensor, to_float

__all__ = [
    "cholesky", "cholesky_inverse", "det", "eig", "eigh", "inv", "jvp", "lstsq", "lu_factor",
    "matrix_rank", "norm", "pinv", "qr", "solve", "solve_triangular", "svd",
]


def _assert_2d(*arrays):
    for a in arrays:
        if a.ndim < 2:
            raise ValueError(f"Expected input to have rank >= 2, got shape {a.shape}.")


def _assert_square(*arrays):
    for a in arrays:
        if a.shape[-2] != a.shape[-1]:
            raise ValueError(f"Expected a square matrix, got shape {a.shape}.")


def _assert_solvable(a, b):
    _assert_2d(a)
    _assert_square(a)
    if b.ndim < 1:
        raise ValueError(f"Expected `b` to have rank >= 1, got a scalar {b}.")
    if a.ndim == b.ndim and a.shape[-2] != b.shape[-2]:
        raise ValueError(f"Incompatible shapes: a.shape={a.shape}, b.shape={b.shape} "
                         "(expected a.shape[-2] == b.shape[-2]).")
    if a.ndim == b.ndim - 1 and a.shape[-1] != b.shape[-1]:
        raise ValueError(f"Incompatible shapes: a.shape={a.shape}, b.shape={b.shape} "
                         "(expected a.shape[-1] == b.shape[-1]).")


def _square(x):
    x = tensor(x)
    _assert_2d(x)
    _assert_square(x)
    return x


@keras_op()
def cholesky(x, upper=False):
    """The Cholesky factor of a positive definite matrix (upper, or lower by default)."""
    out = jnp.linalg.cholesky(_square(x), upper=upper)
    try:  # eagerly, a NaN factor means the matrix was not positive definite
        failed = bool(jnp.any(jnp.isnan(out)))
    except jax.errors.TracerBoolConversionError:
        failed = False
    if failed:
        raise ValueError("Cholesky decomposition failed: the input might not be a positive "
                         "definite matrix.")
    return out


@keras_op()
def cholesky_inverse(x, upper=False):
    """The inverse of the matrix whose Cholesky factor is `x`."""
    x = _square(x)
    inv_chol = jsp.linalg.solve_triangular(x, jnp.eye(x.shape[-1], dtype=x.dtype),
                                           lower=not upper)
    if upper:
        return jnp.matmul(inv_chol, jnp.transpose(inv_chol))
    return jnp.matmul(jnp.transpose(inv_chol), inv_chol)


@keras_op()
def det(x):
    """The determinant of a square matrix (batched)."""
    return jnp.linalg.det(_square(x))


@keras_op()
def eig(x):
    """The eigenvalues and eigenvectors of a square matrix (complex)."""
    return jnp.linalg.eig(_square(x))


@keras_op()
def eigh(x):
    """The eigenvalues (ascending) and eigenvectors of a symmetric matrix."""
    return jnp.linalg.eigh(_square(x))


@keras_op()
def inv(x):
    """The inverse of a square matrix."""
    return jnp.linalg.inv(_square(x))


@keras_op()
def lu_factor(x):
    """The LU factorisation with partial pivoting: `(lu, pivots)`."""
    x = tensor(x)
    _assert_2d(x)
    fn = jsp.linalg.lu_factor
    for _ in range(x.ndim - 2):
        fn = jax.vmap(fn)
    return fn(x)


@keras_op()
def norm(x, ord=None, axis=None, keepdims=False):
    """The vector or matrix norm of order `ord` along `axis`."""
    return jnp.linalg.norm(to_float(x), ord=ord, axis=axis, keepdims=keepdims)


@keras_op()
def qr(x, mode="reduced"):
    """The QR decomposition, "reduced" or "complete"."""
    if mode not in ("reduced", "complete"):
        raise ValueError(f"qr: `mode` must be 'reduced' or 'complete', got {mode!r}.")
    return jnp.linalg.qr(tensor(x), mode=mode)


@keras_op()
def solve(a, b):
    """`x` with `a @ x = b`."""
    a, b = tensor(a), tensor(b)
    _assert_solvable(a, b)
    return jnp.linalg.solve(a, b)


@keras_op()
def solve_triangular(a, b, lower=False):
    """`x` with `a @ x = b`, `a` triangular (upper, unless `lower`)."""
    a, b = tensor(a), tensor(b)
    _assert_solvable(a, b)
    return jsp.linalg.solve_triangular(a, b, lower=lower)


@keras_op()
def svd(x, full_matrices=True, compute_uv=True):
    """The singular value decomposition `(u, s, vh)` (only `s` without `compute_uv`)."""
    x = tensor(x)
    _assert_2d(x)
    return jnp.linalg.svd(x, full_matrices=full_matrices, compute_uv=compute_uv)


@keras_op()
def lstsq(a, b, rcond=None):
    """The least-squares solution of `a @ x = b`."""
    return jnp.linalg.lstsq(tensor(a), tensor(b), rcond=rcond)[0]


@keras_op()
def matrix_rank(x, tol=None):
    """The rank of a matrix (singular values above `tol`), as int32."""
    x = tensor(x)
    _assert_2d(x)
    return jnp.linalg.matrix_rank(x, tol=tol).astype("int32")


@keras_op()
def pinv(x, rcond=None):
    """The Moore-Penrose pseudo-inverse."""
    x = tensor(x)
    _assert_2d(x)
    return jnp.linalg.pinv(x, rcond=rcond)


@keras_op()
def jvp(fun, primals, tangents, has_aux=False):
    """`(fun(*primals), J @ tangents)`, and `fun`'s aux output with `has_aux` (`jax.jvp`)."""
    return jax.jvp(fun, primals, tangents, has_aux=has_aux)
