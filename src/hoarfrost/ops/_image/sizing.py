"""Sizes: `resize`, `pad_images`, `crop_images`, `scale_and_translate`."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from hoarfrost.ops._core import saturate_cast
from hoarfrost.ops._image.common import (RESIZE_INTERPOLATIONS, SCALE_AND_TRANSLATE_METHODS,
                                         _check_choice, _check_rank, _image_op)
from hoarfrost.ops._operation import compiled, standardize_data_format, tensor

__all__ = ["crop_images", "pad_images", "resize", "scale_and_translate"]


def _spatial_axes(images, data_format) -> tuple[int, int]:
    """The (height, width) axes of rank-3 or rank-4 images."""
    if data_format == "channels_last":
        return images.ndim - 3, images.ndim - 2
    return images.ndim - 2, images.ndim - 1


@_image_op
def resize(images, size, interpolation="bilinear", antialias=False, crop_to_aspect_ratio=False,
           pad_to_aspect_ratio=False, fill_mode="constant", fill_value=0.0, data_format=None):
    """`images` resized to `size = (height, width)`.

    Args:
        interpolation: "bilinear", "nearest", "lanczos3", "lanczos5" or "bicubic".
        antialias: filter when downsampling.
        crop_to_aspect_ratio: first take the largest centered crop of the target's
            aspect ratio.
        pad_to_aspect_ratio: first pad both sides with `fill_value` to it instead.
        fill_mode: "constant" only (as Keras on JAX).
    """
    if len(size) != 2:
        raise ValueError(f"resize: expected `size` to be a tuple of 2 integers, got {size!r}.")
    if size[0] <= 0 or size[1] <= 0:
        raise ValueError(f"resize: `size` must have positive height and width, got {size!r}.")
    images = tensor(images)
    _check_rank(images)
    if pad_to_aspect_ratio and crop_to_aspect_ratio:
        raise ValueError("resize: only one of `pad_to_aspect_ratio` and `crop_to_aspect_ratio` "
                         "can be True.")
    _check_choice("interpolation", interpolation, RESIZE_INTERPOLATIONS)
    if fill_mode != "constant":
        raise ValueError(f"resize: only fill_mode='constant' is supported, got {fill_mode!r}.")
    data_format = standardize_data_format(data_format)
    target_height, target_width = size
    h_axis, w_axis = _spatial_axes(images, data_format)
    height, width = images.shape[h_axis], images.shape[w_axis]
    if crop_to_aspect_ratio:
        crop_height = max(min(height, int(float(width * target_height) / target_width)), 1)
        crop_width = max(min(width, int(float(height * target_width) / target_height)), 1)
        top = int(float(height - crop_height) / 2)
        left = int(float(width - crop_width) / 2)
        images = jax.lax.slice_in_dim(images, top, top + crop_height, axis=h_axis)
        images = jax.lax.slice_in_dim(images, left, left + crop_width, axis=w_axis)
    elif pad_to_aspect_ratio:
        pad_height = max(height, int(float(width * target_height) / target_width))
        pad_width = max(width, int(float(height * target_width) / target_height))
        top = int(float(pad_height - height) / 2)
        left = int(float(pad_width - width) / 2)
        pads = [(0, 0)] * images.ndim
        if top > 0:
            pads[h_axis] = (top, top)
        elif left > 0:
            pads[w_axis] = (left, left)
        images = jnp.pad(images, pads, constant_values=fill_value)
    shape = list(images.shape)
    shape[h_axis], shape[w_axis] = target_height, target_width
    resized = jax.image.resize(images, tuple(shape), method=interpolation, antialias=antialias)
    if resized.dtype == images.dtype:
        return resized
    if jnp.issubdtype(images.dtype, jnp.integer):
        resized = jnp.round(resized)
    return saturate_cast(resized, images.dtype)


@_image_op
@compiled
def scale_and_translate(images, output_shape, scale, translation, spatial_dims, method,
                        antialias=True):
    """`jax.image.scale_and_translate`: resample `images` scaled and shifted on `spatial_dims`."""
    _check_choice("method", method, SCALE_AND_TRANSLATE_METHODS)
    return jax.image.scale_and_translate(tensor(images), output_shape, spatial_dims,
                                         tensor(scale), tensor(translation), method, antialias)


def _edges(images, data_format):
    """`images` as a tensor, whether batched, and its (height, width, channels)."""
    images = tensor(images)
    if images.ndim not in (3, 4):
        raise ValueError(f"Invalid images rank: expected rank 3 (single image) or rank 4 "
                         f"(batch of images), got shape {images.shape}.")
    if data_format == "channels_last":
        return images, images.shape[-3], images.shape[-2], images.shape[-1]
    return images, images.shape[-2], images.shape[-1], images.shape[-3]


def _check_two_of(names: tuple[str, str, str], values: tuple):
    if list(values).count(None) != 1:
        raise ValueError(f"Must specify exactly two of {', '.join(names)}, got "
                         + ", ".join(f"{n}={v}" for n, v in zip(names, values)) + ".")
    for name, value in zip(names, values):
        if value is not None and value < 0:
            raise ValueError(f"{name} must be >= 0, got {name}={value}.")


@_image_op
def pad_images(images, top_padding=None, left_padding=None, bottom_padding=None,
               right_padding=None, target_height=None, target_width=None, data_format=None):
    """`images` zero-padded: two of (top, bottom, target height), two of (left, right, width)."""
    data_format = standardize_data_format(data_format)
    images, height, width, _ = _edges(images, data_format)
    _check_two_of(("top_padding", "bottom_padding", "target_height"),
                  (top_padding, bottom_padding, target_height))
    _check_two_of(("left_padding", "right_padding", "target_width"),
                  (left_padding, right_padding, target_width))
    if top_padding is None:
        top_padding = target_height - bottom_padding - height
    if bottom_padding is None:
        bottom_padding = target_height - top_padding - height
    if left_padding is None:
        left_padding = target_width - right_padding - width
    if right_padding is None:
        right_padding = target_width - left_padding - width
    for name, value in (("top_padding", top_padding), ("left_padding", left_padding),
                        ("right_padding", right_padding), ("bottom_padding", bottom_padding)):
        if value < 0:
            raise ValueError(f"{name} must be >= 0, got {name}={value}.")
    pad_width = [[top_padding, bottom_padding], [left_padding, right_padding]]
    pad_width = pad_width + [[0, 0]] if data_format == "channels_last" else [[0, 0]] + pad_width
    if images.ndim == 4:
        pad_width = [[0, 0]] + pad_width
    return jnp.pad(images, pad_width)


@_image_op
def crop_images(images, top_cropping=None, left_cropping=None, bottom_cropping=None,
                right_cropping=None, target_height=None, target_width=None, data_format=None):
    """`images` cropped; give two of (top, bottom, target height), two of (left, right, width)."""
    data_format = standardize_data_format(data_format)
    images, height, width, channels = _edges(images, data_format)
    _check_two_of(("top_cropping", "bottom_cropping", "target_height"),
                  (top_cropping, bottom_cropping, target_height))
    _check_two_of(("left_cropping", "right_cropping", "target_width"),
                  (left_cropping, right_cropping, target_width))
    if top_cropping is None:
        top_cropping = height - target_height - bottom_cropping
    if target_height is None:
        target_height = height - bottom_cropping - top_cropping
    if left_cropping is None:
        left_cropping = width - target_width - right_cropping
    if target_width is None:
        target_width = width - right_cropping - left_cropping
    for name, value in (("top_cropping", top_cropping), ("target_height", target_height),
                        ("left_cropping", left_cropping), ("target_width", target_width)):
        if value < 0:
            raise ValueError(f"{name} must be >= 0, got {name}={value}.")
    start, shape = [top_cropping, left_cropping], [target_height, target_width]
    if data_format == "channels_last":
        start, shape = start + [0], shape + [channels]
    else:
        start, shape = [0] + start, [channels] + shape
    if images.ndim == 4:
        start, shape = [0] + start, [images.shape[0]] + shape
    return jax.lax.dynamic_slice(images, start, shape)
