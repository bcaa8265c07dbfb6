"""Shapes and layout: reshaping, transposing, flipping, padding, joining and
splitting, indexing, and the odd ones out (`ndim`, `size`, `view`, `slogdet`, `vectorize`)."""

from __future__ import annotations

import builtins

import jax.numpy as jnp

from hoarfrost.ops._operation import dtype_or_none, keras_op, tensor

__all__ = ["append", "array_split", "broadcast_to", "concatenate", "dsplit", "dstack",
    "expand_dims", "flip", "fliplr", "flipud", "get_item", "hsplit", "hstack", "moveaxis", "ndim",
    "pad", "ravel", "repeat", "reshape", "roll", "rot90", "size", "slogdet", "split", "squeeze",
    "stack", "swapaxes", "take", "take_along_axis", "tile", "transpose", "unravel_index",
    "vectorize", "view", "vsplit", "vstack"]


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
