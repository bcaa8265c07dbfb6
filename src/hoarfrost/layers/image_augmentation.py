"""Keras 3's colour augmentations: `Solarization`, `RandomInvert`,
`RandomPosterization`, `AutoContrast`, `Equalization`, `RandomColorDegeneration`,
`RandomSaturation`, `RandomHue`, `RandomSharpness` and `RandomColorJitter`.

Each layer is Keras's two halves: `_draw(key, images)` draws the random
parameters of a batch (Keras's `get_random_transformation`) and
`_transform(images, params)` applies them (Keras's `transform_images`), on
channels-last `(batch, height, width, channels)` images. In training the
layers draw and transform; with `training=False` they pass images through
(cast to the layer's dtype), except `AutoContrast`, which Keras applies in
both modes. Images may also come as a dict
`{"images": ..., "labels": ...}` (labels pass through unchanged).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from hoarfrost.layers.image_preprocessing import _ImageLayer
from hoarfrost.ops.image import hsv_to_rgb, rgb_to_grayscale, rgb_to_hsv
from hoarfrost.random import draw_key

_PASSED_THROUGH = ("labels",)


def _value_range(layer: str, value_range) -> list:
    if not isinstance(value_range, (tuple, list)) or len(value_range) != 2:
        raise ValueError(f"{layer}: the `value_range` argument should be a list of two numbers. "
                         f"Received: value_range={value_range!r}")
    return sorted(value_range)


def _keras_factor(layer: str, factor, bounds=(0.0, 1.0), name: str = "factor") -> tuple:
    """Keras's base `_set_factor`: a number `f` means `(max(-f, low), f)`, a pair is sorted."""
    message = (f"{layer}: the `{name}` argument should be a number (or a list of two numbers) "
               f"in the range [{bounds[0]}, {bounds[1]}]. Received: {name}={factor!r}")
    if isinstance(factor, (tuple, list)):
        if len(factor) != 2 or factor[0] > bounds[1] or factor[1] < bounds[0]:
            raise ValueError(message)
        lower, upper = sorted(factor)
        return lower, upper
    if isinstance(factor, (int, float)) and not isinstance(factor, bool):
        if not bounds[0] <= factor <= bounds[1]:
            raise ValueError(message)
        factor = abs(factor)
        return max(-factor, bounds[0]), factor
    raise ValueError(message)


def transform_value_range(images, original, target):
    """Keras's `_transform_value_range`: map `original` = (low, high) onto `target`."""
    if tuple(original) == tuple(target):
        return images
    images = (images - original[0]) / (original[1] - original[0])
    return images * (target[1] - target[0]) + target[0]


class _Augmentation(_ImageLayer):
    """Keras's `BaseImagePreprocessingLayer` for images (and a dict with labels)."""

    _applies_in_inference = False

    def __init__(self, seed: int | None = None, data_format: str | None = None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.seed = seed

    def call(self, inputs, training=True):
        if isinstance(inputs, dict):
            unknown = sorted(set(inputs) - {"images", *_PASSED_THROUGH})
            if unknown:
                raise NotImplementedError(
                    f'{type(self).__name__} layer "{self.name}": only "images" and "labels" '
                    f"are supported in a dict input; received keys {unknown}.")
            out = dict(inputs)
            out["images"], labels = self._run(inputs["images"], inputs.get("labels"), training)
            if labels is not None:
                out["labels"] = labels
            return out
        return self._run(inputs, None, training)[0]

    def _run(self, images, labels, training):
        images = jnp.asarray(images).astype(self.compute_dtype)
        if not training and not self._applies_in_inference:
            return images, labels
        key = draw_key(self.seed) if training else None
        box = {}

        def transform(x):
            params = self._draw(key, x) if training else None
            box["params"] = params
            return self._transform(x, params)

        images = self._apply(images, transform)
        if labels is not None and training:
            labels = self._transform_labels(jnp.asarray(labels), box["params"])
        return images, labels

    def _draw(self, key, images) -> dict | None:
        return None

    def _transform(self, images, params):
        raise NotImplementedError

    def _transform_labels(self, labels, params):
        return labels

    def compute_output_shape(self, input_shape):
        return input_shape

    def compute_output_spec(self, inputs, **kwargs):
        if isinstance(inputs, dict):
            return dict(inputs)
        return super().compute_output_spec(inputs, **kwargs)

    def get_config(self):
        return {**super().get_config(), "seed": self.seed}


def _batch_uniform(key, images, low, high, shape_tail=()):
    return jax.random.uniform(key, (images.shape[0],) + shape_tail, minval=low, maxval=high)


class Solarization(_Augmentation):
    """Inverts the pixels above a random threshold after adding a random amount, in
    training (as `keras.layers.Solarization`).

    Pixels are mapped to [0, 255]; each image draws an addition in
    `[addition_factor[0], 255 * addition_factor[1]]` and a threshold in
    `[threshold_factor[0], 255 * threshold_factor[1]]` (Keras's ranges);
    `x + addition`, clipped to [0, 255], becomes `255 - x` where it is not
    below the threshold. With the defaults (0, 0) every pixel is inverted.

    Args:
        addition_factor, threshold_factor: numbers `f` (`(0, f)`) or pairs in [0, 1].
        value_range: the images' range (default `(0, 255)`).
        seed: an optional seed for the draws.
    """

    def __init__(self, addition_factor=0.0, threshold_factor=0.0, value_range=(0, 255),
                 seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.addition_factor = self._factor(addition_factor, "addition_factor")
        self.threshold_factor = self._factor(threshold_factor, "threshold_factor")
        self.value_range = _value_range("Solarization", value_range)

    @staticmethod
    def _factor(factor, name):
        if isinstance(factor, (int, float)) and not isinstance(factor, bool):
            factor = (0, factor)
        lower, upper = _keras_factor("Solarization", factor, name=name)
        return lower, upper

    def _draw(self, key, images):
        k1, k2 = jax.random.split(key)
        shape = (1, 1, 1)
        return {"additions": _batch_uniform(k1, images, self.addition_factor[0],
                                            self.addition_factor[1] * 255, shape),
                "thresholds": _batch_uniform(k2, images, self.threshold_factor[0],
                                             self.threshold_factor[1] * 255, shape)}

    def _transform(self, images, params):
        images = transform_value_range(images, self.value_range, (0, 255))
        results = jnp.clip(images + params["additions"], 0, 255)
        results = jnp.where(results < params["thresholds"], results, 255 - results)
        return transform_value_range(results, (0, 255), self.value_range)

    def get_config(self):
        return {**super().get_config(), "value_range": self.value_range,
                "addition_factor": self.addition_factor,
                "threshold_factor": self.threshold_factor}


class RandomInvert(_Augmentation):
    """Inverts images (`value_range[1] - x`) with a random probability, in training.

    Args:
        factor: the inversion probability, drawn per image: a number `f` (in
            `[0, f]`; so the default 1.0 inverts half the images on average,
            as Keras) or a pair in [0, 1] (`(1, 1)` inverts every image).
        value_range: the images' range (default `(0, 255)`).
        seed: an optional seed for the draws.
    """

    def __init__(self, factor=1.0, value_range=(0, 255), seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = _keras_factor("RandomInvert", factor)
        self.value_range = value_range

    def _draw(self, key, images):
        k1, k2 = jax.random.split(key)
        probability = _batch_uniform(k1, images, self.factor[0], self.factor[1])
        return {"apply_inversion": _batch_uniform(k2, images, 0.0, 1.0) < probability}

    def _transform(self, images, params):
        apply = params["apply_inversion"][:, None, None, None]
        return jnp.where(apply, self.value_range[1] - images, images)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "value_range": self.value_range}


class RandomPosterization(_Augmentation):
    """Keeps only the top `bits` bits of each 8-bit pixel value, in training.

    Args:
        factor: the number of bits kept, an int or a `(low, high)` pair in [1, 8]
            (drawn per image in `[low, high)`; a number `f` means `(1, f)`).
        value_range: the images' range (default `(0, 255)`).
        seed: an optional seed for the draws.
    """

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = _keras_factor("RandomPosterization", factor, bounds=(1, 8))
        self.value_range = _value_range("RandomPosterization", value_range)

    def _draw(self, key, images):
        low, high = self.factor
        if low != high:
            bits = jax.random.randint(key, (images.shape[0],), int(low), int(high))
        else:
            bits = jnp.full((images.shape[0],), int(low))
        return {"shift_factor": (8 - bits).astype(jnp.uint8)}

    def _transform(self, images, params):
        shift = params["shift_factor"].astype(jnp.uint8)[:, None, None, None]
        dtype = images.dtype
        images = transform_value_range(images, self.value_range, (0, 255))
        pixels = images.astype(jnp.uint8)
        pixels = jnp.left_shift(jnp.right_shift(pixels, shift), shift)
        return transform_value_range(pixels.astype(dtype), (0, 255), self.value_range)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "value_range": self.value_range}


class AutoContrast(_Augmentation):
    """Stretches each image's channels to the full value range (in training and
    inference, as Keras): per image and channel, `(x - min) * 255 / (max - min)`
    on the 0-255 scale. A constant channel (0/0) is left as it was.

    Args:
        value_range: the images' range (default `(0, 255)`).
    """

    _applies_in_inference = True

    def __init__(self, value_range=(0, 255), **kwargs):
        super().__init__(**kwargs)
        self.value_range = _value_range("AutoContrast", value_range)

    def _transform(self, images, params):
        original = images
        images = transform_value_range(images, self.value_range, (0, 255))
        low = jnp.min(images, axis=(1, 2), keepdims=True)
        high = jnp.max(images, axis=(1, 2), keepdims=True)
        scale = 255.0 / (high - low)
        results = jnp.clip(images * scale - low * scale, 0.0, 255.0)
        results = transform_value_range(results, (0, 255), self.value_range)
        return jnp.where(jnp.isnan(results), original, results)

    def get_config(self):
        config = {**super().get_config(), "value_range": self.value_range}
        del config["seed"]
        return config


class Equalization(_Augmentation):
    """Histogram equalization of each channel, in training.

    As Keras, a channel's histogram (`bins` bins over the 0-255 scale) is
    taken over the whole batch, and a channel with a single occupied bin is
    left unchanged.

    Args:
        value_range: the images' range (default `(0, 255)`).
        bins: the number of histogram bins (256).
    """

    def __init__(self, value_range=(0, 255), bins: int = 256, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.bins = bins
        self.value_range = _value_range("Equalization", value_range)

    def _equalize_channel(self, channel):
        low, high = self.value_range
        scale = 255.0 / (high - low)
        channel = channel * scale + (0.0 - low * scale)
        scaled = channel.astype(jnp.float32) * (self.bins - 1) / 255.0
        indices = jnp.clip(scaled.astype(jnp.int32), 0, self.bins - 1).reshape(-1)
        hist = jnp.bincount(indices, length=self.bins)
        cdf = jnp.cumsum(hist)
        cdf_min = cdf[jnp.argmax(cdf > 0)]
        denominator = cdf[-1] - cdf_min
        denominator = jnp.where(denominator == 0, 1, denominator)
        table = jnp.clip(jnp.round((cdf - cdf_min) * 255 / denominator), 0, 255)
        lookup = jnp.clip(channel / 255.0 * (self.bins - 1), 0, self.bins - 1).astype(jnp.int32)
        equalized = jnp.where(jnp.count_nonzero(hist) <= 1, channel, jnp.take(table, lookup))
        return equalized * ((high - low) / 255.0) + low

    def _transform(self, images, params):
        channels = [self._equalize_channel(images[..., i]) for i in range(images.shape[-1])]
        return jnp.stack(channels, axis=-1).astype(images.dtype)

    def get_config(self):
        config = {**super().get_config(), "bins": self.bins, "value_range": self.value_range}
        del config["seed"]
        return config


class _FactorAugmentation(_Augmentation):
    """A layer with Keras's base `factor` and a `value_range`."""

    _bounds = (0.0, 1.0)

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = _keras_factor(type(self).__name__, factor, self._bounds)
        self.value_range = _value_range(type(self).__name__, value_range)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "value_range": self.value_range}


class RandomColorDegeneration(_FactorAugmentation):
    """Blends each image towards its grayscale version by a random `factor`, in training.

    Args:
        factor: the blend: a number `f` (drawn in `[0, f]`) or a pair in [0, 1].
        value_range: the images' range; outputs are clipped to it.
        seed: an optional seed for the draws.
    """

    def _draw(self, key, images):
        return {"factor": _batch_uniform(key, images, *self.factor, (1, 1, 1))}

    def _transform(self, images, params):
        gray = rgb_to_grayscale(images, data_format="channels_last")
        images = images + params["factor"].astype(images.dtype) * (gray - images)
        return jnp.clip(images, *self.value_range)


class RandomSaturation(_FactorAugmentation):
    """Scales each image's saturation by a random factor, in training.

    A draw `f` in `factor` scales the saturation by `f / (1 - f)`: 0.5 keeps
    it, 0 makes the image gray, values near 1 saturate it fully.

    Args:
        factor: a number `f` (drawn in `[0, f]`) or a pair in [0, 1].
        value_range: the range the saturation channel is clipped to (Keras's use).
        seed: an optional seed for the draws.
    """

    def _draw(self, key, images):
        factor = _batch_uniform(key, images, *self.factor)
        return {"factor": factor / (1 - factor + 1e-7)}

    def _transform(self, images, params):
        factor = params["factor"].astype(images.dtype)[:, None, None]
        hsv = rgb_to_hsv(images, data_format="channels_last")
        saturation = jnp.clip(hsv[..., 1] * factor, *self.value_range)
        hsv = jnp.stack([hsv[..., 0], saturation, hsv[..., 2]], axis=-1)
        return hsv_to_rgb(hsv, data_format="channels_last")


class RandomHue(_FactorAugmentation):
    """Rotates each image's hue by a random amount, in training.

    Each image draws `f` in `factor` and a sign: its hue (in [0, 1)) moves by
    `±f / 2`, wrapping around.

    Args:
        factor: a number `f` (drawn in `[0, f]`) or a pair in [0, 1].
        value_range: the images' range (default `(0, 255)`).
        seed: an optional seed for the draws.
    """

    def _draw(self, key, images):
        k1, k2 = jax.random.split(key)
        sign = jnp.where(_batch_uniform(k1, images, 0.0, 1.0) > 0.5, -1.0, 1.0)
        return {"factor": sign * _batch_uniform(k2, images, *self.factor) * 0.5}

    def _transform(self, images, params):
        images = transform_value_range(images, self.value_range, (0, 1))
        shift = params["factor"].astype(images.dtype)[:, None, None]
        hsv = rgb_to_hsv(images, data_format="channels_last")
        hue = hsv[..., 0] + shift
        hue = jnp.where(hue > 1.0, hue - 1.0, hue)
        hue = jnp.where(hue < 0.0, hue + 1.0, hue)
        rgb = hsv_to_rgb(jnp.stack([hue, hsv[..., 1], hsv[..., 2]], axis=-1),
                         data_format="channels_last")
        return transform_value_range(jnp.clip(rgb, 0, 1), (0, 1), self.value_range)


class RandomSharpness(_FactorAugmentation):
    """Sharpens or blurs each image by a random amount, in training.

    A draw `f` in `factor` blends the image with its 3x3 smoothed version:
    `x + (1 - 2f) * (smooth - x)`; 0.5 keeps the image, 0 blurs, 1 sharpens.

    Args:
        factor: a number `f` (drawn in `[0, f]`) or a pair in [0, 1].
        value_range: the images' range; outputs are clipped to it.
        seed: an optional seed for the draws.
    """

    def _draw(self, key, images):
        return {"factor": _batch_uniform(key, images, *self.factor)}

    def _transform(self, images, params):
        sharpness = (params["factor"] * 2).astype(images.dtype).reshape(-1, 1, 1, 1)
        a, b = 1.0 / 13.0, 5.0 / 13.0
        kernel = jnp.asarray([[a, a, a], [a, b, a], [a, a, a]], images.dtype)
        channels = images.shape[-1]
        kernel = jnp.tile(kernel[:, :, None, None], (1, 1, 1, channels))
        smoothed = jax.lax.conv_general_dilated(
            images, kernel, (1, 1), "SAME", dimension_numbers=("NHWC", "HWIO", "NHWC"),
            feature_group_count=channels)
        images = images + (1.0 - sharpness) * (smoothed - images)
        return jnp.clip(images, *self.value_range)
