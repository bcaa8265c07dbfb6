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

import jax
import jax.numpy as jnp

from hoarfrost import config, masking
from hoarfrost.layers.layer import Layer


def _is_shape(s) -> bool:
    return isinstance(s, (tuple, list)) and all(  # sizes may be symbolic under jax.export
        d is None or isinstance(d, int) or jax.export.is_symbolic_dim(d) for d in s)


class Merge(Layer):
    """Base class of the element-wise merge layers: subclasses define
    `_merge_function(inputs)` on a list of arrays of equal rank.

    Masks combine as in Keras: the output is masked only when every input
    is, with the OR of their masks (`Maximum`, `Minimum` and `Multiply` also
    keep masked entries out of the result).
    """

    _min_inputs = 1
    _supports_masking = True

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

    def call(self, inputs, mask=None):
        if not isinstance(inputs, (list, tuple)):
            raise ValueError(
                f'{type(self).__name__} layer "{self.name}" should be called on a list of '
                f"inputs; received a single tensor of shape {tuple(inputs.shape)}."
            )
        inputs = list(inputs)
        self._check_list([tuple(x.shape) for x in inputs])
        max_ndim = max(x.ndim for x in inputs)
        masks = list(mask) if isinstance(mask, (list, tuple)) else [None] * len(inputs)
        # Keras: a lower-rank input gets new axes right after the batch axis (and
        # loses its mask).
        masks = [m if x.ndim == max_ndim else None for x, m in zip(inputs, masks)]
        inputs = [jnp.reshape(x, x.shape[:1] + (1,) * (max_ndim - x.ndim) + x.shape[1:])
                  if x.ndim < max_ndim else x for x in inputs]
        if any(m is not None for m in masks):
            return self._masked_merge(inputs, masks)
        return self._merge_function(inputs)

    def _merge_function(self, inputs):
        raise NotImplementedError

    def _masked_merge(self, inputs, masks):
        """The merge when some inputs carry masks; by default masks don't change values."""
        return self._merge_function(inputs)

    def compute_mask(self, inputs, mask=None):
        """The OR of the input masks when every input has one, else None (Keras)."""
        masks = _check_masks(self, inputs, mask)
        if masks is None or any(m is None for m in masks):
            return None
        output = jnp.asarray(masks[0])
        for m in masks[1:]:
            output = jnp.logical_or(output, m)
        return output


def _check_masks(layer, inputs, mask):
    if mask is None:
        return None
    if not isinstance(mask, (list, tuple)) or not isinstance(inputs, (list, tuple)) \
            or len(mask) != len(inputs):
        raise ValueError(
            f'{type(layer).__name__} layer "{layer.name}" expects one mask (or None) per '
            f"input, as a list of {len(inputs) if isinstance(inputs, (list, tuple)) else 1}; "
            f"received mask={mask!r}."
        )
    return list(mask)


def _expand_mask(mask, x):
    """A `(batch, steps)` mask broadcast over the features of `x` `(batch, steps, features)`."""
    return jnp.broadcast_to(jnp.expand_dims(jnp.asarray(mask).astype(bool), -1), x.shape)


def _merge_or_masks(op, inputs, masks):
    """Keras's `_apply_merge_op_and_or_mask`: a masked entry takes the other
    operand's value; the output is masked (OR) only when every input is."""
    output = output_mask = None
    for x, mask in zip(inputs, masks):
        if mask is not None:
            mask = _expand_mask(mask, x)
        if output is None:
            output, output_mask = x, mask
            continue
        if mask is not None:
            x = jnp.where(mask, x, output)
        if output_mask is not None:
            output = jnp.where(output_mask, output, x)
        output_mask = (jnp.logical_or(output_mask, mask)
                       if mask is not None and output_mask is not None else None)
        output = op(output, x)
    if output_mask is not None:
        masking.set_mask(output, jnp.any(output_mask, axis=-1))
    return output


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

    def _masked_merge(self, inputs, masks):
        # Keras: masked entries count as 1; when every input is masked the
        # output is zero outside the OR of the masks, and carries that mask.
        has_output_mask = all(m is not None for m in masks)
        output = output_mask = None
        for x, mask in zip(inputs, masks):
            if mask is not None:
                mask = _expand_mask(mask, x)
                x = jnp.where(mask, x, jnp.ones((), x.dtype))
                if has_output_mask:
                    output_mask = mask if output_mask is None else jnp.logical_or(output_mask,
                                                                                  mask)
            output = x if output is None else output * x
        if has_output_mask:
            output = jnp.where(output_mask, output, jnp.zeros((), output.dtype))
            masking.set_mask(output, jnp.any(output_mask, axis=-1))
        return output


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

    def _masked_merge(self, inputs, masks):
        return _merge_or_masks(jnp.maximum, inputs, masks)


class Minimum(Merge):
    """The element-wise minimum of a list of tensors."""

    def _merge_function(self, inputs):
        out = inputs[0]
        for x in inputs[1:]:
            out = jnp.minimum(out, x)
        return out

    def _masked_merge(self, inputs, masks):
        return _merge_or_masks(jnp.minimum, inputs, masks)


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

    def compute_mask(self, inputs, mask=None):
        """Keras's rule: unmasked inputs count as all True; the masks (broadcast
        over features) are concatenated along `axis`, then OR-ed over the last axis."""
        masks = _check_masks(self, inputs, mask)
        if masks is None or all(m is None for m in masks):
            return None
        full = []
        for x, m in zip(inputs, masks):
            if m is None:
                full.append(jnp.ones(x.shape, bool))
            elif jnp.ndim(m) < x.ndim:
                full.append(_expand_mask(m, x))
            else:
                full.append(jnp.asarray(m).astype(bool))
        return jnp.any(jnp.concatenate(full, axis=self.axis), axis=-1)

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


def _l2_normalize(x, axis):
    """Keras's `ops.normalize(x, axis)`: `x * min(rsqrt(sum(x**2)), 1 / epsilon)`."""
    inv_norm = jax.lax.rsqrt(jnp.sum(jnp.square(x), axis=axis, keepdims=True))
    return x * jnp.minimum(inv_norm, 1.0 / config.epsilon())


def _batch_dot(x, y, axes):
    """Keras's `batch_dot`: a dot product of each pair of samples over `axes`
    (axes already non-negative); the result has rank >= 2."""
    x_ndim, y_ndim = x.ndim, y.ndim
    x_was_2d, y_was_2d = x_ndim == 2, y_ndim == 2
    a0, a1 = axes
    if x_ndim == 2:
        x = jnp.expand_dims(x, 1)
        a0 += 1
        x_ndim += 1
    if y_ndim == 2:
        y = jnp.expand_dims(y, 2)
        y_ndim += 1
    if a0 != x_ndim - 1:  # the contracted axis of x last
        pattern = list(range(x_ndim))
        for i in range(a0, x_ndim - 1):
            pattern[i] = pattern[i + 1]
        pattern[-1] = a0
        x = jnp.transpose(x, pattern)
    if a1 != 1:  # the contracted axis of y second
        pattern = list(range(y_ndim))
        for i in range(a1, 1, -1):
            pattern[i] = pattern[i - 1]
        pattern[1] = a1
        y = jnp.transpose(y, pattern)
    x_mid, y_trail = x.shape[1:-1], y.shape[2:]
    result = jnp.matmul(jnp.reshape(x, (x.shape[0], -1, x.shape[-1])),
                        jnp.reshape(y, (y.shape[0], y.shape[1], -1)))
    result = jnp.reshape(result, (result.shape[0],) + x_mid + y_trail)
    if x_was_2d:
        return jnp.squeeze(result, 1)
    if y_was_2d:
        return jnp.squeeze(result, -1)
    return result


class Dot(Merge):
    """The dot product of each pair of samples of two tensors over given axes.

    For `x` of shape `(batch, 3, 5)` and `y` of shape `(batch, 10, 3)`,
    `Dot(axes=(1, 2))` gives `(batch, 5, 10)`. Two `(batch, n)` inputs give
    `(batch, 1)`. Masks are dropped (as in Keras).

    Args:
        axes: one axis for both inputs, or `(axis_of_x, axis_of_y)`; never the
            batch axis 0. Negative axes count from the end.
        normalize: L2-normalize both inputs along the axes first, so the
            result is the cosine similarity.

    Example:
        >>> Dot(axes=1)([jnp.ones((2, 3)), jnp.ones((2, 3))]).shape
        (2, 1)
    """

    _min_inputs = 2

    def __init__(self, axes, normalize: bool = False, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(axes, int):
            if not isinstance(axes, (list, tuple)):
                raise TypeError(
                    f'Dot layer "{self.name}": `axes` must be an int or a list of two ints, '
                    f"got {axes!r}."
                )
            if len(axes) != 2 or not all(isinstance(a, int) for a in axes):
                raise ValueError(
                    f'Dot layer "{self.name}": `axes` must hold exactly two integers (one '
                    f"per input), got {axes!r}."
                )
        self.axes = axes if isinstance(axes, int) else list(axes)
        self.normalize = bool(normalize)

    def _axes_for(self, ranks):
        if isinstance(self.axes, int):
            axes = [self.axes % ranks[0], self.axes % ranks[1]] if self.axes < 0 \
                else [self.axes] * 2
        else:
            axes = [a % r if a < 0 else a for a, r in zip(self.axes, ranks)]
        return axes

    def _check_shapes(self, shapes):
        if not isinstance(shapes, (list, tuple)) or len(shapes) != 2 or not all(
                _is_shape(s) for s in shapes):
            raise ValueError(
                f'Dot layer "{self.name}" should be called on a list of exactly 2 inputs; '
                f"received input shape {shapes}."
            )
        shape1, shape2 = tuple(shapes[0]), tuple(shapes[1])
        if len(shape1) < 2 or len(shape2) < 2:
            raise ValueError(
                f'Dot layer "{self.name}": both inputs need rank >= 2 (a batch axis and '
                f"at least one more); received shapes {shape1} and {shape2}."
            )
        axes = self._axes_for((len(shape1), len(shape2)))
        if 0 in axes or axes[0] >= len(shape1) or axes[1] >= len(shape2):
            raise ValueError(
                f'Dot layer "{self.name}": axes={self.axes} must name a non-batch axis of '
                f"each input; received shapes {shape1} and {shape2}."
            )
        d1, d2 = shape1[axes[0]], shape2[axes[1]]
        if d1 is not None and d2 is not None and d1 != d2:
            raise ValueError(
                f'Dot layer "{self.name}": incompatible input shapes: axis {axes[0]} of the '
                f"first input has size {d1}, axis {axes[1]} of the second has size {d2}. "
                f"Full input shapes: {shape1}, {shape2}."
            )
        if shape1[0] is not None and shape2[0] is not None and shape1[0] != shape2[0]:
            raise ValueError(
                f'Dot layer "{self.name}": can not take the dot product of tensors with '
                f"different batch sizes; received shapes {shape1} and {shape2}."
            )
        return axes

    def build(self, input_shape):
        self._check_shapes(input_shape)
        self.built = True

    def call(self, inputs, mask=None):
        if not isinstance(inputs, (list, tuple)):
            raise ValueError(
                f'Dot layer "{self.name}" should be called on a list of 2 inputs; received '
                f"a single tensor of shape {tuple(inputs.shape)}."
            )
        axes = self._check_shapes([tuple(x.shape) for x in inputs])
        x1, x2 = inputs
        if self.normalize:
            x1 = _l2_normalize(x1, axes[0])
            x2 = _l2_normalize(x2, axes[1])
        return _batch_dot(x1, x2, axes)

    def compute_mask(self, inputs, mask=None):
        return None

    def compute_output_shape(self, input_shape):
        axes = self._check_shapes(input_shape)
        shape1, shape2 = list(input_shape[0]), list(input_shape[1])
        shape1.pop(axes[0])
        shape2.pop(axes[1])
        shape2.pop(0)
        output_shape = shape1 + shape2
        if len(output_shape) == 1:
            output_shape += [1]
        return tuple(output_shape)

    def get_config(self):
        return {**super().get_config(), "axes": self.axes, "normalize": self.normalize}


def dot(inputs, axes=-1, **kwargs):
    """Functional form of `Dot`: `dot([a, b], axes=1)`."""
    return Dot(axes=axes, **kwargs)(inputs)
