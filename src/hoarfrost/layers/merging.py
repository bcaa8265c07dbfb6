"""Merge layers: combine a list of tensors into one (`Add`, `Concatenate`, ...).

Each is called on a list of tensors (symbolic in a functional model, or
arrays), has no weights, and follows Keras 3: element-wise merges broadcast
their inputs, and an input of lower rank gets new axes after the batch axis
first (so `(batch, 3)` adds to `(batch, 4, 3)`).

Example:
    >>> from hoarfrost import Input, Model
    >>> a, b = Input((3,)), Input((3,))
    >>> Model([a, b], Add()([a, b])).output_shape
    (None, 3)
"""

from __future__ import annotations

import jax.numpy as jnp

from hoarfrost.layers.layer import Layer


def _is_shape(s) -> bool:
    return isinstance(s, (tuple, list)) and all(d is None or isinstance(d, int) for d in s)


class Merge(Layer):
    """Base class of the element-wise merge layers: subclasses define
    `_merge_function(inputs)` on a list of arrays of equal rank."""

    _min_inputs = 1

    def __call__(self, inputs, *args, **kwargs):
        # A tuple of tensors is a list of inputs, as in Keras.
        if isinstance(inputs, tuple):
            inputs = list(inputs)
        return super().__call__(inputs, *args, **kwargs)

    def _check_list(self, input_shape):
        if not isinstance(input_shape, (list, tuple)) or not input_shape or not all(
                _is_shape(s) for s in input_shape):
            raise ValueError(
                f'{type(self).__name__} layer "{self.name}" should be called on a list of '
                f"at least {self._min_inputs} input(s); received input shape {input_shape}."
            )
        if len(input_shape) < self._min_inputs:
            raise ValueError(
                f'{type(self).__name__} layer "{self.name}" should be called on a list of '
                f"at least {self._min_inputs} inputs; received {len(input_shape)}: "
                f"{list(input_shape)}."
            )
        batch_sizes = {s[0] for s in input_shape if s} - {None}
        if len(batch_sizes) > 1:
            raise ValueError(
                f'{type(self).__name__} layer "{self.name}": can not merge tensors with '
                f"different batch sizes; received shapes {list(input_shape)}."
            )

    def _elementwise_shape(self, shape1, shape2, all_shapes):
        if len(shape1) < len(shape2):
            shape1, shape2 = shape2, shape1
        if not shape2:
            return tuple(shape1)
        out = list(shape1[: len(shape1) - len(shape2)])
        for i, j in zip(shape1[len(shape1) - len(shape2):], shape2):
            if i is None or j is None:
                out.append(None)
            elif i == 1:
                out.append(j)
            elif j == 1 or i == j:
                out.append(i)
            else:
                raise ValueError(
                    f'{type(self).__name__} layer "{self.name}": inputs have incompatible '
                    f"shapes; received shapes {[tuple(s) for s in all_shapes]}."
                )
        return tuple(out)

    def build(self, input_shape):
        self._check_list(input_shape)
        out = tuple(input_shape[0][1:])
        for shape in input_shape[1:]:
            out = self._elementwise_shape(out, tuple(shape[1:]), input_shape)
        self.built = True

    def call(self, inputs):
        if not isinstance(inputs, (list, tuple)):
            raise ValueError(
                f'{type(self).__name__} layer "{self.name}" should be called on a list of '
                f"inputs; received a single tensor of shape {tuple(inputs.shape)}."
            )
        inputs = list(inputs)
        self._check_list([tuple(x.shape) for x in inputs])
        max_ndim = max(x.ndim for x in inputs)
        # Keras: a lower-rank input gets new axes right after the batch axis.
        inputs = [jnp.reshape(x, x.shape[:1] + (1,) * (max_ndim - x.ndim) + x.shape[1:])
                  if x.ndim < max_ndim else x for x in inputs]
        return self._merge_function(inputs)

    def _merge_function(self, inputs):
        raise NotImplementedError


class Add(Merge):
    """Adds a list of tensors element-wise (broadcasting as NumPy).

    Example:
        >>> Add()([jnp.ones((2, 3)), jnp.ones((2, 3))]).shape
        (2, 3)
    """

    def _merge_function(self, inputs):
        out = inputs[0]
        for x in inputs[1:]:
            out = out + x
        return out


class Subtract(Merge):
    """Subtracts the second of exactly two tensors from the first.

    Example:
        >>> Subtract()([jnp.ones((2, 3)), jnp.ones((2, 3))]).shape
        (2, 3)
    """

    _min_inputs = 2

    def build(self, input_shape):
        super().build(input_shape)
        if len(input_shape) != 2:
            raise ValueError(
                f'Subtract layer "{self.name}" should be called on exactly 2 inputs; '
                f"received {len(input_shape)}."
            )

    def _merge_function(self, inputs):
        if len(inputs) != 2:
            raise ValueError(
                f'Subtract layer "{self.name}" should be called on exactly 2 inputs; '
                f"received {len(inputs)}."
            )
        return inputs[0] - inputs[1]


class Multiply(Merge):
    """Multiplies a list of tensors element-wise."""

    def _merge_function(self, inputs):
        out = inputs[0]
        for x in inputs[1:]:
            out = out * x
        return out


class Average(Merge):
    """Averages a list of tensors element-wise (their sum divided by their count)."""

    def _merge_function(self, inputs):
        out = inputs[0]
        for x in inputs[1:]:
            out = out + x
        return out / len(inputs)


class Maximum(Merge):
    """The element-wise maximum of a list of tensors."""

    def _merge_function(self, inputs):
        out = inputs[0]
        for x in inputs[1:]:
            out = jnp.maximum(out, x)
        return out


class Minimum(Merge):
    """The element-wise minimum of a list of tensors."""

    def _merge_function(self, inputs):
        out = inputs[0]
        for x in inputs[1:]:
            out = jnp.minimum(out, x)
        return out


class Concatenate(Merge):
    """Concatenates a list of tensors along `axis`; every other axis must match.

    Args:
        axis: the axis to concatenate along (default -1, the features).

    Example:
        >>> Concatenate()([jnp.ones((2, 3)), jnp.ones((2, 4))]).shape
        (2, 7)
    """

    def __init__(self, axis: int = -1, **kwargs):
        super().__init__(**kwargs)
        self.axis = int(axis)

    def build(self, input_shape):
        self._check_list(input_shape)
        ranks = {len(s) for s in input_shape}
        problem = len(ranks) != 1
        if not problem:
            (rank,) = ranks
            if not -rank <= self.axis < rank:
                raise ValueError(
                    f'Concatenate layer "{self.name}": axis {self.axis} is out of bounds '
                    f"for inputs of rank {rank}."
                )
            axis = self.axis % rank
            for i in range(rank):
                sizes = {s[i] for s in input_shape if s[i] is not None}
                if i != axis and i != 0 and len(sizes) > 1:
                    problem = True
        if problem:
            raise ValueError(
                f'Concatenate layer "{self.name}" requires inputs with matching shapes '
                f"except for the concatenation axis {self.axis}; received shapes "
                f"{[tuple(s) for s in input_shape]}."
            )
        self.built = True

    def call(self, inputs):
        if not isinstance(inputs, (list, tuple)):
            raise ValueError(
                f'Concatenate layer "{self.name}" should be called on a list of inputs; '
                f"received a single tensor of shape {tuple(inputs.shape)}."
            )
        inputs = list(inputs)
        if self.axis % max(x.ndim for x in inputs) != 0:
            self._check_list([tuple(x.shape) for x in inputs])
        return jnp.concatenate(inputs, axis=self.axis)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


def add(inputs, **kwargs):
    """Functional form of `Add`: `add([a, b])`."""
    return Add(**kwargs)(inputs)


def subtract(inputs, **kwargs):
    """Functional form of `Subtract`: `subtract([a, b])`."""
    return Subtract(**kwargs)(inputs)


def multiply(inputs, **kwargs):
    """Functional form of `Multiply`."""
    return Multiply(**kwargs)(inputs)


def average(inputs, **kwargs):
    """Functional form of `Average`."""
    return Average(**kwargs)(inputs)


def maximum(inputs, **kwargs):
    """Functional form of `Maximum`."""
    return Maximum(**kwargs)(inputs)


def minimum(inputs, **kwargs):
    """Functional form of `Minimum`."""
    return Minimum(**kwargs)(inputs)


def concatenate(inputs, axis: int = -1, **kwargs):
    """Functional form of `Concatenate`: `concatenate([a, b], axis=-1)`."""
    return Concatenate(axis=axis, **kwargs)(inputs)
