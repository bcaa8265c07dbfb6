"""Keras 3's mixing, erasing and composed augmentations: `MixUp`, `CutMix`,
`RandomErasing`, `RandomGaussianBlur`, `RandomColorJitter` and `Pipeline`.

As in `image_augmentation`, each random layer is Keras's `_draw` /
`_transform` pair on channels-last batches, applies in training only, and
takes images or `{"images": ..., "labels": ...}`; `MixUp` and `CutMix` mix the
labels with the images' weights.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from hoarfrost.layers.image_augmentation import (RandomHue, RandomSaturation, _Augmentation,
                                                 _keras_factor)
from hoarfrost.layers.image_preprocessing import RandomBrightness, RandomContrast
from hoarfrost.layers.layer import Layer
from hoarfrost.ops.image import gaussian_blur


def _box_masks(images, x0, x1, y0, y1):
    """Keras's `_generate_batch_mask`: True inside each image's box `[x0, x1) x [y0, y1)`."""
    height, width = images.shape[1], images.shape[2]
    grid_y, grid_x = jnp.meshgrid(jnp.arange(height, dtype=images.dtype),
                                  jnp.arange(width, dtype=images.dtype), indexing="ij")
    grid_x, grid_y = grid_x[None, :, :, None], grid_y[None, :, :, None]
    x0, x1, y0, y1 = (v[:, None, None, None] for v in (x0, x1, y0, y1))
    masks = (grid_x >= x0) & (grid_x < x1) & (grid_y >= y0) & (grid_y < y1)
    return jnp.repeat(masks, images.shape[-1], axis=-1)


def _crop_bounds(key, batch, length, ratio, dtype):
    crop = (ratio * length).astype(dtype)
    start = jax.random.uniform(key, (batch,), dtype) * (length - crop)
    return start, start + crop


class MixUp(_Augmentation):
    """MixUp (Zhang et al., 2017): blends each image (and label) with another of
    the batch, in training.

    Each image `i` draws a weight `w ~ Beta(alpha, alpha)` and is blended with
    image `perm[i]` of a random permutation: `w * x_i + (1 - w) * x_perm[i]`;
    labels passed as `{"images": ..., "labels": ...}` are blended the same way.

    Args:
        alpha: the Beta distribution's parameter (0.2).
        seed: an optional seed for the draws.
    """

    def __init__(self, alpha: float = 0.2, data_format=None, seed=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.alpha = alpha

    def _draw(self, key, images):
        k1, k2 = jax.random.split(key)
        batch = images.shape[0]
        return {"mix_weight": jax.random.beta(k2, self.alpha, self.alpha, (batch,)),
                "permutation_order": jax.random.permutation(k1, batch)}

    def _transform(self, images, params):
        weight = params["mix_weight"].astype(images.dtype).reshape(-1, 1, 1, 1)
        other = jnp.take(images, params["permutation_order"], axis=0)
        return weight * images + (1.0 - weight) * other

    def _transform_labels(self, labels, params):
        other = jnp.take(labels, params["permutation_order"], axis=0)
        weight = params["mix_weight"].reshape(-1, 1)
        return weight * labels + (1.0 - weight) * other

    def get_config(self):
        return {**super().get_config(), "alpha": self.alpha}


class CutMix(_Augmentation):
    """CutMix (Yun et al., 2019): pastes a random box of another image of the batch
    into each image, in training; labels are mixed by the pasted area.

    Each batch draws `alpha` in `factor` (plus 1e-6), each image a weight
    `w ~ Beta(alpha, alpha)`, a box of sides `sqrt(1 - w)` times the image's,
    placed uniformly, and a partner from a random permutation. The labels'
    weight is the share of the image left uncovered. Unbatched images pass
    through (as Keras).

    Args:
        factor: the range of `alpha`: a number `f` (`[0, f]`) or a pair in [0, 1].
        seed: an optional seed for the draws.
    """

    def __init__(self, factor=1.0, seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = _keras_factor("CutMix", factor)

    def _run(self, images, labels, training):
        if jnp.ndim(images) == 3:  # Keras: no partner for a single image
            return jnp.asarray(images).astype(self.compute_dtype), labels
        return super()._run(images, labels, training)

    def _draw(self, key, images):
        batch, height, width = images.shape[:3]
        dtype = images.dtype
        k_alpha, k_beta, k_x, k_y, k_perm = jax.random.split(key, 5)
        alpha = jax.random.uniform(k_alpha, (), dtype, *self.factor) + 1e-6
        weight = jax.random.beta(k_beta, alpha, alpha, (batch,), dtype)
        ratio = jnp.sqrt(1.0 - weight)
        x0, x1 = _crop_bounds(k_x, batch, width, ratio, dtype)
        y0, y1 = _crop_bounds(k_y, batch, height, ratio, dtype)
        return {"permutation_order": jax.random.permutation(k_perm, batch),
                "batch_masks": _box_masks(images, x0, x1, y0, y1),
                "mix_weight": 1.0 - (x1 - x0) * (y1 - y0) / (width * height)}

    def _transform(self, images, params):
        other = jnp.take(images, params["permutation_order"], axis=0)
        return jnp.where(params["batch_masks"], other, images)

    def _transform_labels(self, labels, params):
        other = jnp.take(labels, params["permutation_order"], axis=0)
        weight = params["mix_weight"].reshape(-1, 1)
        return weight * labels + (1.0 - weight) * other

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


class RandomErasing(_Augmentation):
    """Erases a random box of each image with a random probability, in training.

    Each image draws an erasing probability in `factor`, a box (each side
    `sqrt(u)` times the image's, `u` in `scale`, placed uniformly) and is
    erased with `fill_value`: a number, three numbers (per channel) or, by
    default, Gaussian noise times `value_range[1]`; clipped to `value_range`.

    Args:
        factor: the erasing probability: a number `f` (`[0, f]`) or a pair in [0, 1].
        scale: the range of the box's area share (`(0.02, 0.33)`).
        fill_value: None (noise), a number or three numbers.
        value_range: the images' range (default `(0, 255)`).
        seed: an optional seed for the draws.
    """

    def __init__(self, factor=1.0, scale=(0.02, 0.33), fill_value=None, value_range=(0, 255),
                 seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = _keras_factor("RandomErasing", factor)
        self.scale = _keras_factor("RandomErasing", scale, name="scale")
        if fill_value is not None and not (
                isinstance(fill_value, (int, float)) or
                (isinstance(fill_value, (tuple, list)) and len(fill_value) == 3)):
            raise ValueError("RandomErasing: the `fill_value` argument should be a number (or a "
                             f"list of three numbers). Received: fill_value={fill_value!r}")
        self.fill_value = fill_value
        self.value_range = value_range

    def _draw(self, key, images):
        batch, height, width = images.shape[:3]
        dtype = images.dtype
        k_scale, k_x, k_y, k_prob, k_thr, k_fill = jax.random.split(key, 6)
        weight = jnp.sqrt(jax.random.uniform(k_scale, (batch, 2), dtype, *self.scale))
        x0, x1 = _crop_bounds(k_x, batch, width, weight[:, 0], dtype)
        y0, y1 = _crop_bounds(k_y, batch, height, weight[:, 1], dtype)
        probability = jax.random.uniform(k_prob, (batch,), minval=self.factor[0],
                                         maxval=self.factor[1])
        if self.fill_value is None:
            fill = jax.random.normal(k_fill, images.shape, dtype) * self.value_range[1]
        else:
            fill = jnp.broadcast_to(jnp.asarray(self.fill_value, dtype), images.shape)
        return {"apply_erasing": jax.random.uniform(k_thr, (batch,)) < probability,
                "batch_masks": _box_masks(images, x0, x1, y0, y1),
                "fill_value": jnp.clip(fill, self.value_range[0], self.value_range[1])}

    def _transform(self, images, params):
        erased = jnp.where(params["batch_masks"], params["fill_value"], images)
        return jnp.where(params["apply_erasing"][:, None, None, None], erased, images)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "scale": self.scale,
                "fill_value": self.fill_value, "value_range": self.value_range}


class RandomGaussianBlur(_Augmentation):
    """Blurs each image with a Gaussian with a random probability, in training.

    Args:
        factor: the blurring probability: a number `f` (`[0, f]`) or a pair in [0, 1].
        kernel_size: an odd int or a pair of odd ints (x, y).
        sigma: the range the blur's two standard deviations are drawn from
            (a number `s` means `[0, s]`), per batch.
        value_range: the images' range; outputs are clipped to it.
        seed: an optional seed for the draws.
    """

    def __init__(self, factor=1.0, kernel_size=3, sigma=1.0, value_range=(0, 255),
                 data_format=None, seed=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = _keras_factor("RandomGaussianBlur", factor)
        sizes = kernel_size if isinstance(kernel_size, (tuple, list)) else (kernel_size,) * 2
        if len(sizes) != 2 or any(not isinstance(k, int) or k % 2 == 0 for k in sizes):
            raise ValueError("RandomGaussianBlur: kernel_size must be an odd number or two odd "
                             f"numbers. Received: kernel_size={kernel_size!r}")
        self.kernel_size = tuple(sizes)
        self.sigma = _keras_factor("RandomGaussianBlur", sigma, name="sigma")
        self.value_range = value_range

    def _draw(self, key, images):
        k_prob, k_thr, k_sigma = jax.random.split(key, 3)
        batch = images.shape[0]
        probability = jax.random.uniform(k_prob, (batch,), minval=self.factor[0],
                                         maxval=self.factor[1])
        return {"should_apply_blur": jax.random.uniform(k_thr, (batch,)) < probability,
                "blur_factor": jax.random.uniform(k_sigma, (2,), images.dtype,
                                                  *self.sigma) + 1e-6}

    def _transform(self, images, params):
        blurred = gaussian_blur(images, kernel_size=self.kernel_size,
                                sigma=params["blur_factor"], data_format="channels_last")
        images = jnp.where(params["should_apply_blur"][:, None, None, None], blurred, images)
        return jnp.clip(images, self.value_range[0], self.value_range[1])

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "kernel_size": self.kernel_size,
                "sigma": self.sigma, "value_range": self.value_range}


class RandomColorJitter(_Augmentation):
    """Random brightness, contrast, saturation and hue, in that order, in training:
    `RandomBrightness`, `RandomContrast`, `RandomSaturation`, `RandomHue` with the
    given factors (a factor left None skips its step), as Keras.

    Args:
        value_range: the images' range (default `(0, 255)`).
        brightness_factor, contrast_factor, saturation_factor, hue_factor: the
            factors of the four layers.
        seed: an optional seed for the draws.
    """

    def __init__(self, value_range=(0, 255), brightness_factor=None, contrast_factor=None,
                 saturation_factor=None, hue_factor=None, seed=None, data_format=None,
                 **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.value_range = value_range
        self.brightness_factor = brightness_factor
        self.contrast_factor = contrast_factor
        self.saturation_factor = saturation_factor
        self.hue_factor = hue_factor
        steps = []
        for cls, factor in ((RandomBrightness, brightness_factor),
                            (RandomContrast, contrast_factor),
                            (RandomSaturation, saturation_factor), (RandomHue, hue_factor)):
            if factor is not None:
                steps.append(cls(factor=factor, value_range=value_range, seed=seed,
                                 data_format=self.data_format, dtype=self.dtype_policy))
        object.__setattr__(self, "_steps", steps)  # stateless helpers, not sublayers

    def _run(self, images, labels, training):
        images = jnp.asarray(images).astype(self.compute_dtype)
        if training:
            for step in self._steps:
                images = step(images, training=True)
        return images, labels

    def get_config(self):
        return {**super().get_config(), "value_range": self.value_range,
                "brightness_factor": self.brightness_factor,
                "contrast_factor": self.contrast_factor,
                "saturation_factor": self.saturation_factor, "hue_factor": self.hue_factor}


class Pipeline(Layer):
    """Applies a list of layers in order (`keras.layers.Pipeline`), as a sequence of
    preprocessing steps that is not a model: `training` (default True) and the
    mask pass on to each layer that takes them.

    Args:
        layers: the layers to apply, in order.
        name: the layer's name.

    Example:
        >>> from hoarfrost.layers import RandomInvert, Solarization
        >>> Pipeline([RandomInvert(), Solarization()])(jnp.ones((2, 4, 4, 3))).shape
        (2, 4, 4, 3)
    """

    def __init__(self, layers, name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        if not isinstance(layers, (list, tuple)) or not all(isinstance(x, Layer) for x in layers):
            raise ValueError(f"Pipeline: `layers` must be a list of layers; received {layers!r}.")
        self._pipeline_layers = list(layers)
        self.built = True

    @property
    def layers(self) -> list:
        return self._pipeline_layers

    def call(self, inputs, training=True):
        for layer in self._pipeline_layers:
            inputs = layer(inputs, training=training)
        return inputs

    def get_config(self):
        from hoarfrost.saving.serialization import serialize_layer
        return {"layers": [serialize_layer(x) for x in self._pipeline_layers],
                "name": self.name}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from hoarfrost.saving.serialization import deserialize_layer
        layers = config.get("layers")
        if not isinstance(layers, (list, tuple)):
            raise ValueError("`Pipeline` config must contain a `layers` key mapping to a list "
                             f"of serialized layers. Received config with layers={layers!r}.")
        return cls([deserialize_layer(x, custom_objects) for x in layers],
                   **{k: v for k, v in config.items() if k != "layers"})
