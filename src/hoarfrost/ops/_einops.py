"""`keras.ops.rearrange`: einops-style axis rearrangement (`"b h w c -> b (h w) c"`).

Keras 3's `keras/src/ops/einops.py`: decompose grouped input axes with a
reshape, permute, and merge grouped output axes with a reshape.
"""

from __future__ import annotations

import math
import re

import jax.numpy as jnp

from hoarfrost.ops._operation import keras_op

__all__ = ["rearrange"]

_AXES = re.compile(r"\w+|\(.*?\)")
_GROUP = re.compile(r"\(([\w\s]+)\)")


def _groups(axes: list[str]) -> list[list[str]]:
    """Each axis of a pattern side as the names it merges: `(h w)` -> [h, w], `c` -> [c]."""
    return [match.group(1).split() if (match := _GROUP.match(axis)) else [axis]
            for axis in axes]


def _axis_sizes(input_axes, shape, axes_lengths: dict) -> dict:
    """The size of every named axis, inferring one unknown member of each input group."""
    sizes = {}
    for axis, dim in zip(input_axes, shape):
        match = _GROUP.match(axis)
        if not match:
            sizes[axis] = dim
            continue
        inner = match.group(1).split()
        inferred = [a for a in inner if a not in axes_lengths]
        if inferred:
            known = math.prod(axes_lengths[a] for a in inner if a in axes_lengths)
            axes_lengths[inferred[0]] = dim // known
        sizes.update({a: axes_lengths[a] for a in inner})
    return sizes


@keras_op()
def rearrange(tensor, pattern, **axes_lengths):
    """`tensor` with its axes rearranged by an einops `pattern`.

    Example: `rearrange(images, "b (h1 h) w c -> (b h1) h w c", h1=2)`.

    Args:
        pattern: "input axes -> output axes"; `(a b)` groups merge (output) or
            split (input) axes.
        **axes_lengths: the sizes of the axes a split can not infer.
    """
    x = jnp.asarray(tensor)
    input_pattern, output_pattern = re.split(r"\s*->\s*", pattern)
    input_axes = _AXES.findall(input_pattern)
    output_groups = _groups(_AXES.findall(output_pattern))
    sizes = _axis_sizes(input_axes, x.shape, dict(axes_lengths))
    input_names = [name for group in _groups(input_axes) for name in group]
    decomposed = tuple(sizes[name] for name in input_names)
    if decomposed != x.shape:
        x = jnp.reshape(x, decomposed)
    x = jnp.transpose(x, [input_names.index(name) for group in output_groups for name in group])
    return jnp.reshape(x, tuple(math.prod(sizes[name] for name in group)
                                for group in output_groups))
