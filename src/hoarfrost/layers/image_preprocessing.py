"""Image preprocessing: `Resizing`, `CenterCrop`, and the random augmentations
`RandomFlip`, `RandomRotation`, `RandomTranslation`, `RandomZoom`, `RandomContrast`,
`RandomBrightness`, `RandomCrop`, `RandomGrayscale`.

Keras 3's layers, arguments and transforms. `Resizing` and `CenterCrop` apply
always. The random layers draw per image in training (its own flip, angle,
shift, zoom, contrast or brightness) and pass images through unchanged (cast to the
layer's dtype) in inference. Rotation, translation and zoom are Keras's
affine matrices applied by `jax.scipy.ndimage.map_coordinates`, as Keras's JAX
backend does, with its fill modes and interpolations. Inside `fit` the draws
come from the step's key (a seeded run repeats them); called directly, as in
Keras, the layers augment unless `training=False` is passed.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp

from hoarfrost.config import standardize_data_format
from hoarfrost.layers.layer import Layer
from hoarfrost.random import draw_key

_FILL_MODES = ("reflect", "wrap", "constant", "nearest")
_RESIZE_METHODS = ("bilinear", "nearest", "lanczos3", "lanczos5", "bicubic")
_INTERPOLATIONS = {"nearest": 0, "bilinear": 1}


def _factor_range(layer: str, name: str, factor, bound: float = 1.0) -> tuple[float, float]:
    """Keras's `factor` rule: a number `f` means [-|f|, |f|], a pair is (lower, upper)."""
    message = (f"{layer}: `{name}` must be a number or a pair of numbers in [-{bound}, {bound}], "
               f"got {factor!r}.")
    if isinstance(factor, (tuple, list)):
        if len(factor) != 2 or any(not -bound <= float(f) <= bound for f in factor):
            raise ValueError(message)
        lower, upper = sorted(float(f) for f in factor)
        return lower, upper
    if isinstance(factor, (int, float)) and not isinstance(factor, bool):
        if not -bound <= factor <= bound:
            raise ValueError(message)
        return -abs(float(factor)), abs(float(factor))
    raise ValueError(message)


def affine_transform(images, transform, interpolation: str, fill_mode: str, fill_value: float):
    """Keras's `ops.image.affine_transform` for channels-last `(batch, h, w, c)` images.

    `transform` is `(batch, 8)`: `[a0, a1, a2, b0, b1, b2, 0, 0]` maps the output
    pixel (x, y) to the input point (a0 x + a1 y + a2, b0 x + b1 y + b2).
    """
    _, height, width, channels = images.shape
    y, x, c = jnp.meshgrid(jnp.arange(height), jnp.arange(width), jnp.arange(channels),
                           indexing="ij")
    x, y = x.astype(images.dtype), y.astype(images.dtype)
    t = transform.astype(images.dtype)[:, :, None, None, None]
    rows = t[:, 4] * y + t[:, 3] * x + t[:, 5]
    cols = t[:, 1] * y + t[:, 0] * x + t[:, 2]
    sample = lambda image, r, q: jax.scipy.ndimage.map_coordinates(  # noqa: E731
        image, [r, q, c.astype(images.dtype)], order=_INTERPOLATIONS[interpolation],
        mode=fill_mode, cval=fill_value)
    return jax.vmap(sample)(images, rows, cols)


def resize(images, height: int, width: int, interpolation: str = "bilinear",
           antialias: bool = False, crop_to_aspect_ratio: bool = False,
           pad_to_aspect_ratio: bool = False, fill_value: float = 0.0):
    """Keras's `ops.image.resize` for channels-last `(batch, h, w, c)` images.

    `crop_to_aspect_ratio` first takes the largest centered window of the
    target's aspect ratio; `pad_to_aspect_ratio` pads both sides with
    `fill_value` to it instead.
    """
    in_height, in_width = images.shape[1], images.shape[2]
    if crop_to_aspect_ratio:
        crop_h = max(min(in_height, int(float(in_width * height) / width)), 1)
        crop_w = max(min(in_width, int(float(in_height * width) / height)), 1)
        top, left = int(float(in_height - crop_h) / 2), int(float(in_width - crop_w) / 2)
        images = images[:, top:top + crop_h, left:left + crop_w]
    elif pad_to_aspect_ratio:
        pad_h = max(in_height, int(float(in_width * height) / width))
        pad_w = max(in_width, int(float(in_height * width) / height))
        top, left = int(float(pad_h - in_height) / 2), int(float(pad_w - in_width) / 2)
        if top > 0 or left > 0:  # Keras pads one axis only, by the same amount on both sides
            pads = [(0, 0), (top, top), (0, 0), (0, 0)] if top > 0 else \
                [(0, 0), (0, 0), (left, left), (0, 0)]
            images = jnp.pad(images, pads, constant_values=fill_value)
    shape = (images.shape[0], height, width, images.shape[3])
    return jax.image.resize(images, shape, method=interpolation, antialias=antialias)


class _ImageLayer(Layer):
    """Shared plumbing: data format and unbatched images, channels-last inside."""

    def __init__(self, data_format: str | None = None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = standardize_data_format(data_format, type(self).__name__)
        self.built = True

    def _apply(self, images, transform):
        """`transform` of channels-last `(batch, h, w, c)` images, whatever the layout given."""
        if images.ndim not in (3, 4):
            raise ValueError(f"{type(self).__name__}: expected images of rank 3 or 4 "
                             f"(batch, height, width, channels), got shape {images.shape}.")
        unbatched = images.ndim == 3
        if unbatched:
            images = images[None]
        if self.data_format == "channels_first":
            images = jnp.moveaxis(images, 1, -1)
        out = transform(images)
        if self.data_format == "channels_first":
            out = jnp.moveaxis(out, -1, 1)
        return out[0] if unbatched else out

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format}


class Resizing(_ImageLayer):
    """Resizes images to `(height, width)`, in training and inference.

    Args:
        height, width: the output size.
        interpolation: "bilinear" (default), "nearest", "bicubic", "lanczos3"
            or "lanczos5".
        crop_to_aspect_ratio: crop the largest centered window of the target's
            aspect ratio first (no distortion).
        pad_to_aspect_ratio: pad to the target's aspect ratio with `fill_value`
            first (no distortion, nothing cut).
        fill_mode: "constant" (the only one, as in Keras).
        fill_value: the padding value.
        antialias: filter when downsampling.
        data_format: "channels_last" (default) or "channels_first".
    """

    def __init__(self, height: int, width: int, interpolation: str = "bilinear",
                 crop_to_aspect_ratio: bool = False, pad_to_aspect_ratio: bool = False,
                 fill_mode: str = "constant", fill_value: float = 0.0, antialias: bool = False,
                 data_format: str | None = None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        if interpolation not in _RESIZE_METHODS:
            raise ValueError(f"Resizing: `interpolation` must be one of {_RESIZE_METHODS}, "
                             f"got {interpolation!r}.")
        if crop_to_aspect_ratio and pad_to_aspect_ratio:
            raise ValueError("Resizing: pass `crop_to_aspect_ratio` or `pad_to_aspect_ratio`, "
                             "not both.")
        if fill_mode != "constant":
            raise ValueError(f"Resizing: `fill_mode` must be 'constant', got {fill_mode!r}.")
        self.height, self.width = int(height), int(width)
        self.interpolation, self.antialias = interpolation, bool(antialias)
        self.crop_to_aspect_ratio = bool(crop_to_aspect_ratio)
        self.pad_to_aspect_ratio = bool(pad_to_aspect_ratio)
        self.fill_mode, self.fill_value = fill_mode, fill_value

    def call(self, inputs):
        images = jnp.asarray(inputs).astype(self.dtype)
        return self._apply(images, lambda x: resize(
            x, self.height, self.width, self.interpolation, self.antialias,
            self.crop_to_aspect_ratio, self.pad_to_aspect_ratio, self.fill_value))

    def compute_output_shape(self, input_shape):
        shape = list(input_shape)
        axes = (-2, -1) if self.data_format == "channels_first" else (-3, -2)
        shape[axes[0]], shape[axes[1]] = self.height, self.width
        return tuple(shape)

    def get_config(self):
        return {**super().get_config(), "height": self.height, "width": self.width,
                "interpolation": self.interpolation,
                "crop_to_aspect_ratio": self.crop_to_aspect_ratio,
                "pad_to_aspect_ratio": self.pad_to_aspect_ratio, "fill_mode": self.fill_mode,
                "fill_value": self.fill_value, "antialias": self.antialias}


class CenterCrop(_ImageLayer):
    """Crops the central `(height, width)` window, in training and inference.

    An image smaller than the target on either side is instead cropped to the
    target's aspect ratio and resized (bilinear), as Keras does.

    Args:
        height, width: the output size.
        data_format: "channels_last" (default) or "channels_first".
    """

    def __init__(self, height: int, width: int, data_format: str | None = None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.height, self.width = int(height), int(width)

    def _crop(self, images):
        h_diff, w_diff = images.shape[1] - self.height, images.shape[2] - self.width
        if h_diff >= 0 and w_diff >= 0:
            top, left = h_diff // 2, w_diff // 2
            return images[:, top:top + self.height, left:left + self.width]
        return resize(images, self.height, self.width, crop_to_aspect_ratio=True)

    def call(self, inputs):
        return self._apply(jnp.asarray(inputs).astype(self.dtype), self._crop)

    compute_output_shape = Resizing.compute_output_shape

    def get_config(self):
        return {**super().get_config(), "height": self.height, "width": self.width}


class _RandomImageLayer(_ImageLayer):
    """A random augmentation: per-image draws in training, the identity in inference."""

    def __init__(self, seed: int | None = None, data_format: str | None = None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.seed = seed

    def call(self, inputs, training=True):
        images = jnp.asarray(inputs).astype(self.dtype)
        if not training:
            return images
        key = draw_key(self.seed)
        return self._apply(images, lambda x: self._augment(x, key))

    def _augment(self, images, key):
        raise NotImplementedError

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "seed": self.seed}


class RandomFlip(_RandomImageLayer):
    """Flips each image with probability 1/2 (horizontally, vertically or both at once).

    Args:
        mode: "horizontal", "vertical" or "horizontal_and_vertical" (both axes
            flip together when the image's draw says flip, as in Keras).
        seed: an optional seed for the draws.
        data_format: "channels_last" (default) or "channels_first".
    """

    _MODES = ("horizontal", "vertical", "horizontal_and_vertical")

    def __init__(self, mode: str = "horizontal_and_vertical", seed: int | None = None,
                 data_format: str | None = None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        if mode not in self._MODES:
            raise ValueError(f"RandomFlip: `mode` must be one of {self._MODES}, got {mode!r}.")
        self.mode = mode

    def _augment(self, images, key):
        flips = jax.random.uniform(key, (images.shape[0], 1, 1, 1)) <= 0.5
        if self.mode in ("horizontal", "horizontal_and_vertical"):
            images = jnp.where(flips, jnp.flip(images, axis=2), images)
        if self.mode in ("vertical", "horizontal_and_vertical"):
            images = jnp.where(flips, jnp.flip(images, axis=1), images)
        return images

    def get_config(self):
        return {**super().get_config(), "mode": self.mode}


class _AffineLayer(_RandomImageLayer):
    def __init__(self, fill_mode: str = "reflect", interpolation: str = "bilinear",
                 seed: int | None = None, fill_value: float = 0.0,
                 data_format: str | None = None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        name = type(self).__name__
        if fill_mode not in _FILL_MODES:
            raise ValueError(f"{name}: `fill_mode` must be one of {_FILL_MODES}, "
                             f"got {fill_mode!r}.")
        if interpolation not in _INTERPOLATIONS:
            raise ValueError(f"{name}: `interpolation` must be one of "
                             f"{tuple(_INTERPOLATIONS)}, got {interpolation!r}.")
        self.fill_mode, self.interpolation, self.fill_value = fill_mode, interpolation, fill_value

    def _augment(self, images, key):
        transform = self._transform(key, images.shape[0], images.shape[1], images.shape[2])
        return affine_transform(images, transform, self.interpolation, self.fill_mode,
                                self.fill_value)

    def get_config(self):
        return {**super().get_config(), "fill_mode": self.fill_mode,
                "interpolation": self.interpolation, "fill_value": self.fill_value}


class RandomRotation(_AffineLayer):
    """Rotates each image by a random angle about its center.

    Args:
        factor: a fraction of a full turn: `0.1` draws angles in [-36, 36]
            degrees, a pair `(lower, upper)` in [lower * 360, upper * 360].
            Positive angles rotate counter-clockwise.
        fill_mode: "reflect" (default), "wrap", "constant" or "nearest".
        interpolation: "bilinear" (default) or "nearest".
        seed, fill_value, data_format: as in Keras.
    """

    def __init__(self, factor, fill_mode="reflect", interpolation="bilinear", seed=None,
                 fill_value=0.0, data_format=None, **kwargs):
        super().__init__(fill_mode, interpolation, seed, fill_value, data_format, **kwargs)
        self.factor = _factor_range("RandomRotation", "factor", factor)

    def _transform(self, key, batch, height, width):
        lower, upper = self.factor
        angle = jax.random.uniform(key, (batch,), minval=lower * 360.0, maxval=upper * 360.0)
        theta = angle * (math.pi / 180.0)
        cos, sin = jnp.cos(theta), jnp.sin(theta)
        cx, cy = 0.5 * (width - 1), 0.5 * (height - 1)
        zeros = jnp.zeros_like(cos)
        return jnp.stack([cos, -sin, cx - cx * cos + cy * sin,
                          sin, cos, cy - cx * sin - cy * cos, zeros, zeros], axis=1)

    def get_config(self):
        return {**super().get_config(), "factor": list(self.factor)}


class RandomTranslation(_AffineLayer):
    """Shifts each image by a random fraction of its height and width.

    Args:
        height_factor: a fraction of the height: `0.2` shifts by up to 20%
            up or down; a pair `(lower, upper)` bounds it (negative is up).
        width_factor: the same for the width (negative is left).
        fill_mode, interpolation, seed, fill_value, data_format: as `RandomRotation`.
    """

    def __init__(self, height_factor, width_factor, fill_mode="reflect",
                 interpolation="bilinear", seed=None, fill_value=0.0, data_format=None,
                 **kwargs):
        super().__init__(fill_mode, interpolation, seed, fill_value, data_format, **kwargs)
        self.height_factor = _factor_range("RandomTranslation", "height_factor", height_factor)
        self.width_factor = _factor_range("RandomTranslation", "width_factor", width_factor)

    def _transform(self, key, batch, height, width):
        # Keras draws the height shift first, from the same key, then the width shift.
        dy = jax.random.uniform(key, (batch,), minval=self.height_factor[0],
                                maxval=self.height_factor[1]) * height
        dx = jax.random.uniform(jax.random.fold_in(key, 1), (batch,),
                                minval=self.width_factor[0], maxval=self.width_factor[1]) * width
        ones, zeros = jnp.ones_like(dx), jnp.zeros_like(dx)
        return jnp.stack([ones, zeros, -dx, zeros, ones, -dy, zeros, zeros], axis=1)

    def get_config(self):
        return {**super().get_config(), "height_factor": list(self.height_factor),
                "width_factor": list(self.width_factor)}


class RandomZoom(_AffineLayer):
    """Zooms each image in or out about its center by a random factor.

    Args:
        height_factor: `0.2` zooms by a factor in [0.8, 1.2] of the height
            (negative values zoom in, positive out); a pair bounds it.
        width_factor: the same for the width; None (default) keeps the aspect
            ratio by reusing the height's factor.
        fill_mode, interpolation, seed, fill_value, data_format: as `RandomRotation`.
    """

    def __init__(self, height_factor, width_factor=None, fill_mode="reflect",
                 interpolation="bilinear", seed=None, fill_value=0.0, data_format=None,
                 **kwargs):
        super().__init__(fill_mode, interpolation, seed, fill_value, data_format, **kwargs)
        self.height_factor = _factor_range("RandomZoom", "height_factor", height_factor)
        self.width_factor = (None if width_factor is None else
                             _factor_range("RandomZoom", "width_factor", width_factor))

    def _transform(self, key, batch, height, width):
        zy = jax.random.uniform(key, (batch,), minval=1.0 + self.height_factor[0],
                                maxval=1.0 + self.height_factor[1])
        zx = zy if self.width_factor is None else jax.random.uniform(
            jax.random.fold_in(key, 1), (batch,), minval=1.0 + self.width_factor[0],
            maxval=1.0 + self.width_factor[1])
        zeros = jnp.zeros_like(zx)
        return jnp.stack([zx, zeros, (width - 1) / 2.0 * (1.0 - zx), zeros, zy,
                          (height - 1) / 2.0 * (1.0 - zy), zeros, zeros], axis=1)

    def get_config(self):
        return {**super().get_config(), "height_factor": list(self.height_factor),
                "width_factor": None if self.width_factor is None else list(self.width_factor)}


class RandomContrast(_RandomImageLayer):
    """Scales each image's deviation from its per-channel mean by a random factor.

    Args:
        factor: a number in [0, 1] or a pair `(lower, upper)`; the contrast
            factor is drawn from [1 - lower, 1 + upper]. As in Keras 3, a single
            number `f` means the pair (0, f): contrast only increases.
        value_range: the range outputs are clipped to (default `(0, 255)`).
        seed: an optional seed for the draws.
    """

    def __init__(self, factor, value_range=(0, 255), seed: int | None = None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        if isinstance(factor, (int, float)) and not isinstance(factor, bool):
            if not 0 <= factor <= 1:
                raise ValueError(f"RandomContrast: `factor` must be in [0, 1], got {factor!r}.")
            self.factor = (0.0, abs(float(factor)))
        elif isinstance(factor, (tuple, list)) and len(factor) == 2 and \
                factor[0] <= 1 and factor[1] >= 0:
            self.factor = tuple(sorted(float(f) for f in factor))
        else:
            raise ValueError("RandomContrast: `factor` must be a number or a pair of numbers in "
                             f"[0, 1], got {factor!r}.")
        self.value_range = tuple(value_range)

    def _augment(self, images, key):
        contrast = jax.random.uniform(key, (images.shape[0], 1, 1, 1), images.dtype,
                                      minval=1.0 - self.factor[0], maxval=1.0 + self.factor[1])
        mean = jnp.mean(images, axis=(1, 2), keepdims=True)
        return jnp.clip((images - mean) * contrast + mean, *self.value_range)

    def get_config(self):
        return {**super().get_config(), "factor": list(self.factor),
                "value_range": list(self.value_range)}



class RandomBrightness(_RandomImageLayer):
    """Adds a random brightness offset to each image, clipped to `value_range`.

    Args:
        factor: a number `f` in [0, 1] draws offsets in [-f, f], a pair
            `(lower, upper)` in [lower, upper]; offsets are fractions of the
            value range's width.
        value_range: the images' range (default `(0, 255)`).
        seed: an optional seed for the draws.
    """

    def __init__(self, factor, value_range=(0, 255), seed: int | None = None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.factor = _factor_range("RandomBrightness", "factor", factor)
        if not isinstance(value_range, (tuple, list)) or len(value_range) != 2:
            raise ValueError("RandomBrightness: `value_range` must be a pair (low, high), got "
                             f"{value_range!r}.")
        self.value_range = tuple(sorted(value_range))

    def _augment(self, images, key):
        low, high = self.value_range
        delta = jax.random.uniform(key, (images.shape[0], 1, 1, 1), images.dtype,
                                   minval=self.factor[0], maxval=self.factor[1]) * (high - low)
        return jnp.clip(images + delta, low, high)

    def get_config(self):
        return {**super().get_config(), "factor": list(self.factor),
                "value_range": list(self.value_range)}


class RandomCrop(_ImageLayer):
    """Crops a random `(height, width)` window in training (the same window for the
    whole batch, as Keras 3).

    In training, an image larger than the target on both sides is cropped at
    a random offset; otherwise (a side not larger) Keras's window of the
    target's aspect ratio is taken and resized to the target. In inference
    the largest centered window of the target's aspect ratio is resized to
    the target, as Keras documents (Keras 3.15 itself returns the input
    unchanged there, contrary to its documentation and output shape).

    Args:
        height, width: the output size.
        seed: an optional seed for the draws.
        data_format: "channels_last" (default) or "channels_first".
    """

    def __init__(self, height: int, width: int, seed: int | None = None,
                 data_format: str | None = None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.height, self.width = int(height), int(width)
        self.seed = seed

    def call(self, inputs, training=True):
        images = jnp.asarray(inputs).astype(self.dtype)
        if not training:
            return self._apply(images, lambda x: resize(
                x, self.height, self.width, crop_to_aspect_ratio=True))
        key = draw_key(self.seed)
        return self._apply(images, lambda x: self._crop(x, key))

    def _crop(self, images, key):
        in_height, in_width = images.shape[1], images.shape[2]
        if in_height > self.height and in_width > self.width:
            top_key, left_key = jax.random.split(key)
            top = jax.random.randint(top_key, (), 0, in_height - self.height + 1)
            left = jax.random.randint(left_key, (), 0, in_width - self.width + 1)
            return jax.lax.dynamic_slice(images, (0, top, left, 0),
                                         (images.shape[0], self.height, self.width,
                                          images.shape[3]))
        # Keras: the offsets of the target's aspect ratio, a (height, width) slice from
        # there (shorter where the image ends), resized to the target.
        crop_height = max(min(in_height, int(float(in_width * self.height) / self.width)), 1)
        crop_width = max(min(in_width, int(float(in_height * self.width) / self.height)), 1)
        top, left = int(float(in_height - crop_height) / 2), int(float(in_width - crop_width) / 2)
        images = images[:, top:top + self.height, left:left + self.width]
        if images.shape[1:3] != (self.height, self.width):
            images = resize(images, self.height, self.width)
        return images

    compute_output_shape = Resizing.compute_output_shape

    def get_config(self):
        return {**super().get_config(), "height": self.height, "width": self.width,
                "seed": self.seed}


class RandomGrayscale(_RandomImageLayer):
    """Turns each image to grayscale with probability `factor` (its 3 channels all
    `0.2989 R + 0.5870 G + 0.1140 B`), in training.

    Args:
        factor: the probability in [0, 1] (0.5).
        data_format: "channels_last" (default) or "channels_first".
        seed: an optional seed for the draws.
    """

    def __init__(self, factor: float = 0.5, data_format: str | None = None,
                 seed: int | None = None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        if not 0 <= factor <= 1:
            raise ValueError(f"RandomGrayscale: `factor` must be between 0 and 1; received "
                             f"factor={factor!r}.")
        self.factor = factor

    def _augment(self, images, key):
        if images.shape[-1] not in (1, 3):
            raise ValueError(f'RandomGrayscale layer "{self.name}": expected 3 (RGB) or 1 '
                             f"channels; received images of shape {images.shape}.")
        if images.shape[-1] == 1:
            return images
        weights = jnp.asarray([0.2989, 0.5870, 0.1140], images.dtype)
        gray = jnp.tensordot(images, weights, axes=(-1, -1))[..., None]
        apply = jax.random.uniform(key, (images.shape[0], 1, 1, 1)) < self.factor
        return jnp.where(apply, gray, images)

    def get_config(self):
        config = {**super().get_config(), "factor": self.factor}
        del config["seed"]  # as Keras 3: not part of RandomGrayscale's config
        return config
