"""What a layer accepts (`InputSpec`: rank and fixed sizes, checked as it is called) and
the shapes a call sees (`build` gets the batch axis unknown, as in Keras)."""

from __future__ import annotations

import jax


def _shape_of(x) -> tuple:
    return tuple(x.shape)


class InputSpec:
    """What a layer accepts: rank and fixed sizes of given axes.

    Args:
        ndim: exact rank, or None.
        min_ndim: minimum rank, or None.
        axes: map of axis -> required size.
    """

    def __init__(self, ndim: int | None = None, min_ndim: int | None = None,
                 axes: dict[int, int] | None = None):
        self.ndim, self.min_ndim, self.axes = ndim, min_ndim, dict(axes or {})

    def check(self, layer_name: str, shape: tuple) -> None:
        rank = len(shape)
        if self.ndim is not None and rank != self.ndim:
            raise ValueError(
                f'Input of layer "{layer_name}" is incompatible with the layer: expected '
                f"ndim={self.ndim}, found ndim={rank}. Full shape received: {shape}"
            )
        if self.min_ndim is not None and rank < self.min_ndim:
            raise ValueError(
                f'Input of layer "{layer_name}" is incompatible with the layer: expected '
                f"min_ndim={self.min_ndim}, found ndim={rank}. Full shape received: {shape}"
            )
        for axis, size in self.axes.items():
            if -rank <= axis < rank and shape[axis] is not None and shape[axis] != size:
                raise ValueError(
                    f'Input of layer "{layer_name}" is incompatible with the layer: expected '
                    f"axis {axis} of input shape to have value {size}, but received input "
                    f"with shape {shape}"
                )


def _is_array(x) -> bool:
    return hasattr(x, "shape") and hasattr(x, "dtype")


def is_shape(s) -> bool:
    """Whether `s` is one shape (a tuple or list of ints and Nones), not a structure of them.
    A dimension may be symbolic: `jax.export` traces with a symbolic batch size."""
    return isinstance(s, (tuple, list)) and all(
        d is None or isinstance(d, int) or jax.export.is_symbolic_dim(d) for d in s)


def _build_shape(shapes):
    """Shapes as build() sees them: the batch axis unknown, as in Keras (and any
    other symbolic dimension unknown too)."""
    return jax.tree.map(
        lambda s: (None,) + tuple(None if jax.export.is_symbolic_dim(d) else d for d in s[1:])
        if len(s) else s, shapes, is_leaf=is_shape)


def check_input_spec(spec: InputSpec | None, layer_name: str, shapes) -> None:
    """Check the first input's shape (of a structure of shapes) against a layer's spec."""
    if spec is None:
        return
    for shape in jax.tree.leaves(shapes, is_leaf=is_shape)[:1]:
        spec.check(layer_name, tuple(shape))
