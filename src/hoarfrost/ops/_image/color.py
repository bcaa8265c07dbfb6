"""Colour spaces: RGB to grayscale, RGB to HSV and back."""

from __future__ import annotations

import jax.numpy as jnp

from hoarfrost.ops._image.common import _channels_axis, _check_rank, _image_op
from hoarfrost.ops._operation import compiled, standardize_data_format, tensor

__all__ = ["hsv_to_rgb", "rgb_to_grayscale", "rgb_to_hsv"]


@_image_op
def rgb_to_grayscale(images, data_format=None):
    """RGB images to one-channel grayscale (ITU-R 601 weights); one channel passes through."""
    images = tensor(images)
    axis = _channels_axis(standardize_data_format(data_format))
    _check_rank(images)
    if images.shape[axis] not in (1, 3):
        raise ValueError("Invalid channel size: expected 3 (RGB) or 1 (grayscale), got shape "
                         f"{images.shape}.")
    if images.shape[axis] == 1:
        return images
    original = images.dtype
    images = images.astype(jnp.result_type(images.dtype, float))
    weights = jnp.asarray([0.2989, 0.5870, 0.1140], dtype=images.dtype)
    gray = jnp.expand_dims(jnp.tensordot(images, weights, axes=(axis, -1)), axis=axis)
    return gray.astype(original)


def _float_images(images, data_format):
    images = tensor(images)
    _check_rank(images)
    if not jnp.issubdtype(images.dtype, jnp.floating):
        raise ValueError(f"Invalid images dtype: expected a float dtype, got {images.dtype}.")
    return images, _channels_axis(standardize_data_format(data_format))


@_image_op
@compiled
def rgb_to_hsv(images, data_format=None):
    """RGB images (floats in [0, 1]) to HSV, all channels in [0, 1]."""
    images, axis = _float_images(images, data_format)
    images = jnp.where(jnp.abs(images) < jnp.finfo(images.dtype).eps, 0.0, images)
    red, green, blue = (jnp.squeeze(c, axis) for c in jnp.split(images, 3, axis))
    value = jnp.maximum(jnp.maximum(red, green), blue)
    range_ = value - jnp.minimum(jnp.minimum(red, green), blue)
    safe_value = jnp.where(value > 0, value, 1.0)
    safe_range = jnp.where(range_ > 0, range_, 1.0)
    saturation = jnp.where(value > 0, range_ / safe_value, 0.0)
    norm = 1.0 / (6.0 * safe_range)
    hue = jnp.where(value == green, norm * (blue - red) + 2.0 / 6.0,
                    norm * (red - green) + 4.0 / 6.0)
    hue = jnp.where(value == red, norm * (green - blue), hue)
    hue = jnp.where(range_ > 0, hue, 0.0) + (hue < 0.0).astype(hue.dtype)
    return jnp.stack((hue, saturation, value), axis=axis)


@_image_op
@compiled
def hsv_to_rgb(images, data_format=None):
    """HSV images (floats in [0, 1]) to RGB."""
    images, axis = _float_images(images, data_format)
    hue, saturation, value = (jnp.squeeze(c, axis) for c in jnp.split(images, 3, axis))
    dh = jnp.mod(hue, 1.0) * 6.0
    dr = jnp.clip(jnp.abs(dh - 3.0) - 1.0, 0.0, 1.0)
    dg = jnp.clip(2.0 - jnp.abs(dh - 2.0), 0.0, 1.0)
    db = jnp.clip(2.0 - jnp.abs(dh - 4.0), 0.0, 1.0)
    one_minus_s = 1.0 - saturation
    rgb = [value * (one_minus_s + saturation * d) for d in (dr, dg, db)]
    return jnp.stack(rgb, axis=axis)
