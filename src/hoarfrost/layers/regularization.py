"""Regularization layers: `Dropout`, `SpatialDropout1D`, `SpatialDropout2D`,
`SpatialDropout3D`, `GaussianNoise`, `GaussianDropout`, `AlphaDropout` and
`ActivityRegularization`."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp

from hoarfrost.config import standardize_data_format
from hoarfrost.layers.layer import InputSpec, Layer
from hoarfrost.random import draw_key
from hoarfrost.regularizers import L1L2


class Dropout(Layer):
    """Zeroes a fraction `rate` of inputs in training, scaling the rest by `1/(1-rate)`.

    Inside `fit` the mask comes from the step's random key, so a seeded run
    is reproducible and every step draws a new mask.

    Args:
        rate: the fraction of inputs to drop, in [0, 1] (1 drops everything, as Keras).
        noise_shape: the shape of the mask, broadcast over the inputs
            (None entries take the input's size).
        seed: an optional seed for this layer's masks.
    """

    _supports_masking = True  # a sequence mask passes through, as in Keras

    def __init__(self, rate: float, noise_shape=None, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        if not 0 <= rate <= 1:
            raise ValueError(f"{type(self).__name__}: `rate` must be in [0, 1], got {rate!r}.")
        self.rate = float(rate)
        self.noise_shape = None if noise_shape is None else tuple(noise_shape)
        self.seed = seed
        self.built = True

    def _noise_shape_for(self, inputs) -> tuple:
        """`noise_shape` with its None entries filled from the inputs."""
        if self.noise_shape is None:
            return inputs.shape
        return tuple(s if n is None else n for s, n in zip(inputs.shape, self.noise_shape))

    def call(self, inputs, training=None):
        if not training or self.rate == 0:
            return inputs
        shape = self._noise_shape_for(inputs)
        if self.rate == 1:
            return jnp.zeros_like(inputs)
        keep = jax.random.bernoulli(draw_key(self.seed), 1.0 - self.rate, shape)
        return jnp.where(keep, inputs / (1.0 - self.rate), jnp.zeros((), inputs.dtype))

    def get_config(self):
        return {**super().get_config(), "rate": self.rate,
                "noise_shape": None if self.noise_shape is None else list(self.noise_shape),
                "seed": self.seed}


class SpatialDropout2D(Dropout):
    """Dropout of whole feature maps: in training, each channel of each
    sample is zeroed with probability `rate` (the rest scaled by
    `1/(1-rate)`), the same channel at every spatial position.

    Use it after convolutions, where neighbouring pixels are correlated and
    element-wise dropout barely regularizes. Inputs are 4D: `(batch, rows,
    cols, channels)` for `"channels_last"` (default) or `(batch, channels,
    rows, cols)` for `"channels_first"`. Identity in inference. Inside `fit`
    the masks come from the step's random key (a new mask each step,
    reproducible after `hoarfrost.utils.set_random_seed`).

    Args:
        rate: the fraction of channels to drop, in [0, 1).
        data_format: `"channels_last"` or `"channels_first"`.
        seed: an optional seed for this layer's masks.
    """

    def __init__(self, rate: float, data_format=None, seed: int | None = None, **kwargs):
        super().__init__(rate, seed=seed, **kwargs)
        self.data_format = standardize_data_format(data_format, "SpatialDropout2D")
        self.input_spec = InputSpec(ndim=4)

    def _noise_shape_for(self, inputs) -> tuple:
        """One decision per sample and channel, shared by every spatial position."""
        n = inputs.shape[0]
        if self.data_format == "channels_first":
            return (n, inputs.shape[1], 1, 1)
        return (n, 1, 1, inputs.shape[3])

    def get_config(self):
        config = super().get_config()
        del config["noise_shape"]
        return {**config, "data_format": self.data_format}


class GaussianNoise(Layer):
    """Adds zero-mean Gaussian noise of standard deviation `stddev` in training.

    A regularizer against overfitting on real-valued inputs; identity in
    inference. Inside `fit` the noise comes from the step's random key (new
    noise each step, reproducible after `hoarfrost.utils.set_random_seed`).

    Args:
        stddev: the standard deviation of the noise, in [0, 1] (as in Keras).
        seed: an optional seed for this layer's noise.
    """

    _supports_masking = True

    def __init__(self, stddev: float, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        if not 0 <= stddev <= 1:
            raise ValueError(
                f"GaussianNoise: `stddev` must be a float in [0, 1], got {stddev!r}.")
        self.stddev = float(stddev)
        self.seed = seed
        self.built = True

    def call(self, inputs, training=None):
        if not training or self.stddev == 0:
            return inputs
        dtype = jnp.result_type(inputs.dtype, jnp.float32)
        noise = jax.random.normal(draw_key(self.seed), inputs.shape, dtype) * self.stddev
        return inputs + noise.astype(dtype)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "stddev": self.stddev, "seed": self.seed}


class SpatialDropout1D(Dropout):
    """Dropout of whole feature maps of sequences: in training, each channel of
    each sample is zeroed with probability `rate` (the rest scaled by
    `1/(1-rate)`), the same channel at every timestep.

    Use it after 1D convolutions, where neighbouring timesteps are correlated.
    Inputs are `(batch, timesteps, channels)`. Identity in inference.

    Args:
        rate: the fraction of channels to drop, in [0, 1] (1 drops everything).
        seed: an optional seed for this layer's masks.
    """

    def __init__(self, rate: float, seed: int | None = None, **kwargs):
        super().__init__(rate, seed=seed, **kwargs)
        self.input_spec = InputSpec(ndim=3)

    def _noise_shape_for(self, inputs) -> tuple:
        """One decision per sample and channel, shared by every timestep."""
        return (inputs.shape[0], 1, inputs.shape[2])

    def get_config(self):
        config = super().get_config()
        del config["noise_shape"]
        return config


class GaussianDropout(Layer):
    """Multiplies inputs by Gaussian noise of mean 1 and standard deviation
    `sqrt(rate / (1 - rate))` in training (the multiplicative analogue of
    Dropout, with the same variance); identity in inference.

    Args:
        rate: the drop probability it mimics, in [0, 1).
        seed: an optional seed for this layer's noise.
    """

    _supports_masking = True

    def __init__(self, rate: float, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        if not 0 <= rate < 1:
            raise ValueError(f"GaussianDropout: `rate` must be in [0, 1), got {rate!r}.")
        self.rate = float(rate)
        self.seed = seed
        self.built = True

    def call(self, inputs, training=None):
        if not training or self.rate == 0:
            return inputs
        stddev = math.sqrt(self.rate / (1.0 - self.rate))
        dtype = jnp.result_type(inputs.dtype, jnp.float32)
        noise = 1.0 + stddev * jax.random.normal(draw_key(self.seed), inputs.shape, dtype)
        return inputs * noise.astype(dtype)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}


class AlphaDropout(Dropout):
    """Dropout that keeps the mean and variance of its inputs (for SELU
    networks): in training, dropped inputs are set to SELU's negative
    saturation value, then an affine map restores the statistics. Identity in
    inference.

    Args:
        rate: the fraction of inputs to drop, in [0, 1).
        noise_shape: the shape of the keep/drop decisions, broadcast over the
            inputs (None entries take the input's size).
        seed: an optional seed for this layer's noise.
    """

    def __init__(self, rate: float, noise_shape=None, seed: int | None = None, **kwargs):
        if not 0 <= rate < 1:
            raise ValueError(f"AlphaDropout: `rate` must be in [0, 1), got {rate!r}.")
        super().__init__(rate, noise_shape=noise_shape, seed=seed, **kwargs)

    def call(self, inputs, training=None):
        if not training or self.rate == 0:
            return inputs
        shape = self._noise_shape_for(inputs)
        alpha = 1.6732632423543772848170429916717
        scale = 1.0507009873554804934193349852946
        alpha_p = -alpha * scale
        kept = (jax.random.uniform(draw_key(self.seed), shape) >= self.rate).astype(inputs.dtype)
        a = ((1 - self.rate) * (1 + self.rate * alpha_p ** 2)) ** -0.5
        b = -a * alpha_p * self.rate
        return a * (inputs * kept + alpha_p * (1 - kept)) + b

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)


class SpatialDropout3D(Dropout):
    """Dropout of whole 3D feature maps: in training, each channel of each
    sample is zeroed with probability `rate` (the rest scaled by
    `1/(1-rate)`), the same channel at every voxel. Identity in inference.

    Inputs are 5D: `(batch, dim1, dim2, dim3, channels)` for
    `"channels_last"` (default) or `(batch, channels, dim1, dim2, dim3)` for
    `"channels_first"`.

    Args:
        rate: the fraction of channels to drop, in [0, 1].
        data_format: `"channels_last"` or `"channels_first"`.
        seed: an optional seed for this layer's masks.
    """

    def __init__(self, rate: float, data_format=None, seed: int | None = None, **kwargs):
        super().__init__(rate, seed=seed, **kwargs)
        self.data_format = standardize_data_format(data_format, "SpatialDropout3D")
        self.input_spec = InputSpec(ndim=5)

    def _noise_shape_for(self, inputs) -> tuple:
        """One decision per sample and channel, shared by every voxel."""
        n = inputs.shape[0]
        if self.data_format == "channels_first":
            return (n, inputs.shape[1], 1, 1, 1)
        return (n, 1, 1, 1, inputs.shape[4])

    def get_config(self):
        config = super().get_config()
        del config["noise_shape"]
        return {**config, "data_format": self.data_format}


class ActivityRegularization(Layer):
    """Identity that adds an L1/L2 penalty on its input to the loss.

    The penalty is `l1 * sum(|x|) + l2 * sum(x**2)` over the batch size (as
    Keras 3 normalises activity penalties), added at every call, in training
    and evaluation alike.

    Args:
        l1: the L1 factor (a non-negative float).
        l2: the L2 factor (a non-negative float).

    Example:
        >>> layer = ActivityRegularization(l1=0.01)
        >>> layer(jnp.ones((2, 3))).shape
        (2, 3)
    """

    _supports_masking = True

    def __init__(self, l1: float = 0.0, l2: float = 0.0, **kwargs):
        super().__init__(**kwargs)
        for argument, value in (("l1", l1), ("l2", l2)):
            if not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0:
                raise ValueError(f"ActivityRegularization: `{argument}` must be a non-negative "
                                 f"float, got {value!r}.")
        self.l1 = l1
        self.l2 = l2
        self.activity_regularizer = L1L2(l1=l1, l2=l2)
        self.built = True

    def call(self, inputs):
        self._add_activity_loss(inputs)
        return inputs

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "l1": self.l1, "l2": self.l2}
