"""Preprocessing layers: `Rescaling` and `Normalization`.

They put the input pipeline's arithmetic inside the model, so a saved model
takes raw data. Both follow Keras 3 (arguments, config keys, Normalization's
weights `mean`, `variance`, `count` in `get_weights` order).
"""

from __future__ import annotations

import itertools
import math

import jax.numpy as jnp
import numpy as np

from hoarfrost import config
from hoarfrost.layers.layer import Layer



def _to_config(value):
    """Arrays become nested lists, so the config is JSON."""
    if isinstance(value, (np.ndarray, jnp.ndarray)) or hasattr(value, "__array__"):
        return np.asarray(value).tolist()
    if isinstance(value, tuple):
        return list(value)
    return value


class Rescaling(Layer):
    """Multiplies inputs by `scale` and adds `offset`: `inputs * scale + offset`.

    E.g. `Rescaling(1 / 255)` maps pixels in [0, 255] to [0, 1] and
    `Rescaling(1 / 127.5, offset=-1)` to [-1, 1]. Applied in training and in
    inference; integer inputs give float outputs (the layer's dtype).

    Args:
        scale: a float, or one value per channel (broadcast over the last axis).
        offset: a float, or one value per channel.
        **kwargs: `name`, `dtype`, `input_shape`.

    Example:
        >>> Rescaling(0.5, offset=1.0)(jnp.array([[2.0, 4.0]]))
        Array([[2., 3.]], dtype=float32)
    """

    _supports_masking = True

    def __init__(self, scale, offset=0.0, **kwargs):
        super().__init__(**kwargs)
        self.scale = scale
        self.offset = offset
        self.built = True

    def call(self, inputs):
        dtype = self.compute_dtype
        scale = jnp.asarray(self.scale, dtype)
        offset = jnp.asarray(self.offset, dtype)
        return inputs.astype(dtype) * scale + offset

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "scale": _to_config(self.scale),
                "offset": _to_config(self.offset)}


class Normalization(Layer):
    """Shifts and scales inputs to zero mean and unit variance per feature:
    `(inputs - mean) / sqrt(variance)` (or the inverse, with `invert=True`).

    The statistics are given (`mean`, `variance`) or computed from data with
    `adapt(data)` before training. Adapted statistics are non-trainable
    weights, as in Keras: `mean`, `variance` and `count` (an int32 scalar
    that Keras 3 keeps at 0), in that `get_weights` order. The optimizer
    never touches them; `set_weights` and `adapt` take effect at the next
    call. Given statistics are constants (no weights).

    Args:
        axis: the axis or axes that keep a separate mean and variance per
            index (default -1, the features); None for one scalar mean and
            variance over everything.
        mean, variance: the statistics (broadcast to the kept axes); give
            both or neither.
        invert: apply the inverse transformation (`mean + inputs * std`).
        **kwargs: `name`, `dtype`, `input_shape`.

    Example:
        >>> layer = Normalization()
        >>> layer.adapt(np.array([[0.0, 7.0], [2.0, 9.0]], np.float32))
        >>> layer(np.array([[0.0, 7.0]], np.float32))
        Array([[-1., -1.]], dtype=float32)
    """

    _supports_masking = True

    def __init__(self, axis=-1, mean=None, variance=None, invert: bool = False, **kwargs):
        super().__init__(**kwargs)
        if axis is None:
            axis = ()
        elif isinstance(axis, int):
            axis = (axis,)
        else:
            axis = tuple(int(a) for a in axis)
        self.axis = axis
        self.input_mean = mean
        self.input_variance = variance
        self.invert = bool(invert)
        if (mean is not None) != (variance is not None):
            raise ValueError(
                f'Normalization layer "{self.name}": give both `mean` and `variance` or '
                f"neither; received mean={mean!r} and variance={variance!r}."
            )
        if mean is not None:
            if np.shape(mean) != np.shape(variance):
                raise ValueError(
                    f'Normalization layer "{self.name}": `mean` and `variance` must have '
                    f"the same shape; received shapes {np.shape(mean)} and "
                    f"{np.shape(variance)}."
                )
            if len(np.shape(mean)) > len(self.axis):
                raise ValueError(
                    f'Normalization layer "{self.name}": the rank of `mean` must be at most '
                    f"the number of axes ({len(self.axis)}); received mean of shape "
                    f"{np.shape(mean)} for axis={self.axis}."
                )
        self.adapt_mean = self.adapt_variance = self.count = None
        self._keep_axis = self._reduce_axis = self._broadcast_shape = None
        self._build_input_shape = None
        self._mean_constant = self._variance_constant = None

    def build(self, input_shape):
        input_shape = tuple(input_shape)
        ndim = len(input_shape)
        self._build_input_shape = input_shape
        if any(a < -ndim or a >= ndim for a in self.axis):
            raise ValueError(
                f'Normalization layer "{self.name}": every `axis` must be in [-{ndim}, {ndim}) '
                f"for inputs of rank {ndim}; received axis={self.axis} and input shape "
                f"{input_shape}."
            )
        self._keep_axis = tuple(sorted(a % ndim for a in self.axis))
        for d in self._keep_axis:
            if input_shape[d] is None:
                raise ValueError(
                    f'Normalization layer "{self.name}": the kept axes must have a known '
                    f"size; received axis={self.axis} and input shape {input_shape} "
                    f"(axis {d} unknown). For one statistic per batch entry pass the real "
                    "batch size, or use axis=None."
                )
        self._reduce_axis = tuple(d for d in range(ndim) if d not in self._keep_axis)
        self._broadcast_shape = tuple(input_shape[d] if d in self._keep_axis else 1
                                      for d in range(ndim))
        shape = tuple(input_shape[d] for d in self._keep_axis)
        if self.input_mean is None:
            self.adapt_mean = self.add_weight(name="mean", shape=shape, initializer="zeros",
                                              trainable=False)
            self.adapt_variance = self.add_weight(name="variance", shape=shape,
                                                  initializer="ones", trainable=False)
            self.count = self.add_weight(name="count", shape=(), dtype="int32",
                                         initializer="zeros", trainable=False)
        else:
            self._mean_constant = self._broadcast_constant(self.input_mean, "mean")
            self._variance_constant = self._broadcast_constant(self.input_variance, "variance")
        self.built = True

    def _broadcast_constant(self, value, argument):
        value = np.asarray(value, dtype=self.compute_dtype)
        ndim = len(self._broadcast_shape)
        if value.ndim:
            expanded = [1] * ndim
            for i in range(1, value.ndim + 1):
                expanded[self._keep_axis[-i]] = value.shape[-i]
            value = value.reshape(expanded)
        try:
            return jnp.asarray(np.broadcast_to(value, self._broadcast_shape))
        except ValueError:
            raise ValueError(
                f'Normalization layer "{self.name}": `{argument}` of shape '
                f"{np.shape(getattr(self, 'input_' + argument))} can not be broadcast to the "
                f"kept axes {self._keep_axis} of the input shape {self._build_input_shape} "
                f"(expected shape {tuple(self._build_input_shape[d] for d in self._keep_axis)})."
            ) from None

    @property
    def mean(self):
        """The mean in the input's broadcast shape (`(1, features)`), given or adapted
        (None before `build`), as Keras's `mean` after `adapt`."""
        return self._statistics()[0] if self.built else None

    @property
    def variance(self):
        """The variance in the input's broadcast shape (None before `build`)."""
        return self._statistics()[1] if self.built else None

    def _statistics(self):
        if self.input_mean is not None:
            return self._mean_constant, self._variance_constant
        dtype = self.compute_dtype
        return (jnp.reshape(self.adapt_mean.value, self._broadcast_shape).astype(dtype),
                jnp.reshape(self.adapt_variance.value, self._broadcast_shape).astype(dtype))

    def call(self, inputs):
        inputs = inputs.astype(self.compute_dtype)
        mean, variance = self._statistics()
        std = jnp.maximum(jnp.sqrt(variance), config.epsilon())
        if self.invert:
            return mean + inputs * std
        return (inputs - mean) / std

    def adapt(self, data) -> None:
        """Compute the mean and variance of `data` and store them as the weights.

        Args:
            data: an array (NumPy or JAX) or an iterable of batches (arrays,
                or `(x, y)` tuples whose `x` is used), as Keras's `adapt`.
        """
        if self.input_mean is not None:
            raise ValueError(
                f'Normalization layer "{self.name}" was given `mean` and `variance`; '
                "adapt() would have nowhere to store statistics. Create the layer "
                "without them to adapt it."
            )
        batches = None
        if hasattr(data, "shape") and hasattr(data, "dtype"):
            data = np.asarray(data)
            shape = data.shape
        elif hasattr(data, "__iter__") and not isinstance(data, (str, bytes, dict)):
            iterator = iter(data)
            first = next(iterator, None)
            if first is None:
                raise ValueError(
                    f'Normalization layer "{self.name}": adapt() received an empty iterable; '
                    "expected at least one batch (an array or an (x, y) tuple)."
                )
            first = _batch_inputs(first)
            if not hasattr(first, "shape"):
                raise TypeError(
                    f'Normalization layer "{self.name}": adapt() expects arrays or an '
                    "iterable of arrays; the iterable yielded a "
                    f"{type(first).__name__}."
                )
            shape = tuple(first.shape)
            batches = itertools.chain([first], iterator)
        else:
            raise TypeError(
                f'Normalization layer "{self.name}": adapt() expects a NumPy or JAX array or '
                f"an iterable of batches; received {type(data).__name__}."
            )
        shape = tuple(shape)
        if not self.built:
            self._maybe_build(shape)
        else:
            self._check_adapt_shape(shape)
        if batches is None:
            mean = np.mean(data, axis=self._reduce_axis)
            variance = np.var(data, axis=self._reduce_axis)
        else:
            mean, variance = self._streaming_moments(batches)
        self.adapt_mean.assign(np.asarray(mean, np.float32))
        self.adapt_variance.assign(np.asarray(variance, np.float32))

    def _check_adapt_shape(self, shape):
        if len(shape) != len(self._build_input_shape) or any(
                shape[d] != self._build_input_shape[d] for d in self._keep_axis):
            raise ValueError(
                f'Normalization layer "{self.name}" was built for inputs of shape '
                f"{self._build_input_shape} (kept axes {self._keep_axis}), but adapt() "
                f"received data of shape {shape}."
            )

    def _streaming_moments(self, batches):
        """Keras's running merge of per-batch means and variances (float32)."""
        shape = tuple(self._build_input_shape[d] for d in self._keep_axis)
        total_mean = np.zeros(shape, np.float32)
        total_var = np.zeros(shape, np.float32)
        total_count = 0
        for batch in batches:
            batch = np.asarray(_batch_inputs(batch), np.float32)
            self._check_adapt_shape(batch.shape)
            batch_mean = np.mean(batch, axis=self._reduce_axis)
            batch_var = np.var(batch, axis=self._reduce_axis)
            batch_count = math.prod(batch.shape[d] for d in self._reduce_axis)
            total_count += batch_count
            batch_weight = float(batch_count) / total_count
            existing_weight = 1.0 - batch_weight
            new_mean = total_mean * existing_weight + batch_mean * batch_weight
            total_var = ((total_var + (total_mean - new_mean) ** 2) * existing_weight
                         + (batch_var + (batch_mean - new_mean) ** 2) * batch_weight)
            total_mean = new_mean
        return total_mean, total_var

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {
            **super().get_config(),
            "axis": self.axis,
            "invert": self.invert,
            "mean": _to_config(self.input_mean),
            "variance": _to_config(self.input_variance),
        }


def _batch_inputs(batch):
    """The `x` of a batch given as `(x, y)` or `(x, y, sample_weight)`."""
    return batch[0] if isinstance(batch, tuple) else batch
