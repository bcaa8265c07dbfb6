"""Activation layers with arguments: `ReLU`, `LeakyReLU`, `ELU`, `Softmax`, `PReLU`.

They match Keras 3's layers of the same names (defaults included:
`LeakyReLU`'s `negative_slope` is 0.3 here as there, while the function
`activations.leaky_relu` defaults to 0.2, also as in Keras).
"""

from __future__ import annotations

import warnings

import jax
import jax.numpy as jnp

from hoarfrost import activations, constraints, initializers, regularizers
from hoarfrost.layers.layer import InputSpec, Layer


_relu = activations.relu  # Keras 3's relu, slope/cap/threshold included


class ReLU(Layer):
    """Rectified linear unit with Keras's options.

    `f(x) = max_value` for `x >= max_value`, `x` for `threshold < x < max_value`,
    and `negative_slope * (x - threshold)` otherwise.

    Args:
        max_value: the largest output (None: unbounded); must be >= 0.
        negative_slope: the slope below the threshold; must be >= 0.
        threshold: where the activation starts; must be >= 0.

    Example:
        >>> ReLU(max_value=6.0)(jnp.array([-1.0, 3.0, 9.0]))
        Array([0., 3., 6.], dtype=float32)
    """

    _supports_masking = True  # a mask passes through, as in Keras

    def __init__(self, max_value=None, negative_slope: float = 0.0, threshold: float = 0.0,
                 **kwargs):
        super().__init__(**kwargs)
        if max_value is not None and max_value < 0.0:
            raise ValueError(
                f"ReLU: max_value cannot be negative, got max_value={max_value!r}.")
        if negative_slope is None or negative_slope < 0.0:
            raise ValueError(
                "ReLU: negative_slope cannot be None or negative, got "
                f"negative_slope={negative_slope!r}.")
        if threshold is None or threshold < 0.0:
            raise ValueError(
                f"ReLU: threshold cannot be None or negative, got threshold={threshold!r}.")
        self.max_value = None if max_value is None else float(max_value)
        self.negative_slope = float(negative_slope)
        self.threshold = float(threshold)
        self.built = True

    def call(self, inputs):
        return _relu(inputs, self.negative_slope, self.max_value, self.threshold)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "max_value": self.max_value,
                "negative_slope": self.negative_slope, "threshold": self.threshold}


class LeakyReLU(Layer):
    """Leaky ReLU: `x` for `x >= 0`, `negative_slope * x` otherwise.

    Args:
        negative_slope: the slope for negative inputs (Keras 3 default 0.3;
            the deprecated name `alpha` is accepted with a warning).
    """

    _supports_masking = True  # a mask passes through, as in Keras

    def __init__(self, negative_slope: float = 0.3, **kwargs):
        if "alpha" in kwargs:
            negative_slope = kwargs.pop("alpha")
            warnings.warn("LeakyReLU: argument `alpha` is deprecated; use `negative_slope`.",
                          DeprecationWarning, stacklevel=2)
        super().__init__(**kwargs)
        if negative_slope is None or negative_slope < 0:
            raise ValueError(
                "LeakyReLU: negative_slope cannot be None or negative, got "
                f"negative_slope={negative_slope!r}.")
        self.negative_slope = float(negative_slope)
        self.built = True

    def call(self, inputs):
        return jax.nn.leaky_relu(inputs, self.negative_slope)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "negative_slope": self.negative_slope}


class ELU(Layer):
    """Exponential linear unit: `x` for `x > 0`, `alpha * (exp(x) - 1)` otherwise.

    Args:
        alpha: the scale of the negative part (default 1.0).
    """

    _supports_masking = True  # a mask passes through, as in Keras

    def __init__(self, alpha: float = 1.0, **kwargs):
        super().__init__(**kwargs)
        self.alpha = float(alpha)
        self.built = True

    def call(self, inputs):
        return jax.nn.elu(inputs, self.alpha)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        # Keras 3's ELU leaves `alpha` out of its config (so a round trip
        # loses it); hoarfrost keeps it.
        return {**super().get_config(), "alpha": self.alpha}


class Softmax(Layer):
    """Softmax over `axis` (an int or a list of axes).

    Call arguments:
        inputs: the logits.
        mask: optional boolean array broadcastable to `inputs`; masked-out
            positions get probability 0 (as in Keras).

    Example:
        >>> Softmax()(jnp.zeros((1, 4)))
        Array([[0.25, 0.25, 0.25, 0.25]], dtype=float32)
    """

    _supports_masking = True  # a mask passes through, as in Keras

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = [int(a) for a in axis] if isinstance(axis, (list, tuple)) else int(axis)
        self.built = True

    def call(self, inputs, mask=None):
        if mask is not None:
            mask = jnp.asarray(mask)
            if mask.ndim > inputs.ndim or any(
                    m != 1 and m != i for m, i in zip(mask.shape[::-1], inputs.shape[::-1])):
                raise ValueError(
                    f'Softmax layer "{self.name}": the mask must broadcast to the inputs; '
                    f"got mask shape {tuple(mask.shape)} for inputs of shape "
                    f"{tuple(inputs.shape)}."
                )
            if mask.dtype != jnp.bool_:
                mask = mask > 0.5
            large_negative = -3e4 if inputs.dtype == jnp.float16 else -1e9
            inputs = jnp.where(mask, inputs, jnp.asarray(large_negative, inputs.dtype))
        if isinstance(self.axis, list) and len(self.axis) > 1:
            axis = tuple(self.axis)
            outputs = jnp.exp(inputs - jax.nn.logsumexp(inputs, axis=axis, keepdims=True))
        else:
            axis = self.axis[0] if isinstance(self.axis, list) else self.axis
            outputs = jax.nn.softmax(inputs, axis=axis)
        if mask is not None:
            outputs = jnp.where(mask, outputs, jnp.zeros((), outputs.dtype))
        return outputs

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


class PReLU(Layer):
    """Parametric ReLU: `max(x, 0) - alpha * max(-x, 0)` with a learned slope `alpha`.

    `alpha` has the shape of one sample (`input_shape[1:]`), with size 1 along
    `shared_axes` (e.g. `shared_axes=[1, 2]` for one slope per channel of an
    image), as in Keras 3.

    Args:
        alpha_initializer: initializer of the slopes ("Zeros", so it starts as ReLU).
        alpha_regularizer: a penalty on the slopes.
        alpha_constraint: a projection after each update.
        shared_axes: an axis or a list of axes (1-based, the batch axis is 0)
            that share one slope.
        **kwargs: `name`, `trainable`, `input_shape`, `dtype`.

    Example:
        >>> layer = PReLU(alpha_initializer="ones")
        >>> layer(jnp.array([[-2.0, 3.0]]))
        Array([[-2.,  3.]], dtype=float32)
    """

    _supports_masking = True

    def __init__(self, alpha_initializer="Zeros", alpha_regularizer=None, alpha_constraint=None,
                 shared_axes=None, **kwargs):
        super().__init__(**kwargs)
        self.alpha_initializer = initializers.get(alpha_initializer)
        self.alpha_regularizer = regularizers.get(alpha_regularizer)
        self.alpha_constraint = constraints.get(alpha_constraint)
        if shared_axes is None:
            self.shared_axes = None
        elif isinstance(shared_axes, (list, tuple)):
            self.shared_axes = [int(a) for a in shared_axes]
        else:
            self.shared_axes = [int(shared_axes)]
        self.alpha = None

    def build(self, input_shape):
        shape = list(input_shape[1:])
        for axis in self.shared_axes or ():
            if not 1 <= axis < len(input_shape):
                raise ValueError(
                    f'PReLU layer "{self.name}": shared axis {axis} is out of range for '
                    f"input shape {tuple(input_shape)} (axes are counted from 1, after the "
                    "batch axis).")
            shape[axis - 1] = 1
        if any(d is None for d in shape):
            raise ValueError(
                f'PReLU layer "{self.name}": every non-shared axis must have a known size, '
                f"got input shape {tuple(input_shape)} with shared_axes={self.shared_axes}.")
        self.alpha = self.add_weight(shape=tuple(shape), initializer=self.alpha_initializer,
                                     regularizer=self.alpha_regularizer,
                                     constraint=self.alpha_constraint, name="alpha")
        axes = {i: input_shape[i] for i in range(1, len(input_shape))
                if self.shared_axes and i not in self.shared_axes}
        self.input_spec = InputSpec(ndim=len(input_shape), axes=axes)
        self.built = True

    def call(self, inputs):
        return jax.nn.relu(inputs) - self.alpha.value * jax.nn.relu(-inputs)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(),
                "alpha_initializer": initializers.serialize(self.alpha_initializer),
                "alpha_regularizer": regularizers.serialize(self.alpha_regularizer),
                "alpha_constraint": constraints.serialize(self.alpha_constraint),
                "shared_axes": self.shared_axes}
