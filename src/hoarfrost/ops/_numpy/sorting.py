"""Sorting, searching and counting: `sort`, `argsort`, `searchsorted`, `bincount`,
`histogram`, `nonzero`, `unique`."""

from __future__ import annotations

import jax.numpy as jnp

from hoarfrost.ops._operation import compiled, keras_op, tensor

__all__ = ["argpartition", "argsort", "bincount", "digitize", "histogram", "nonzero",
    "searchsorted", "sort", "unique"]


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
