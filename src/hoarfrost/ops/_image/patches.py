"""Patches of images and volumes, flattened on the channel axis."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from hoarfrost.ops._image.common import _image_op
from hoarfrost.ops._nn import conv
from hoarfrost.ops._operation import compiled, standardize_data_format, tensor

__all__ = ["extract_patches", "extract_patches_3d"]


def _patches(images, size, strides, dilation_rate, padding, data_format, spatial: int):
    data_format = standardize_data_format(data_format)
    channels = images.shape[-1] if data_format == "channels_last" else images.shape[-spatial - 1]
    size = (size,) * spatial if isinstance(size, int) else tuple(size)
    out_dim = int(np.prod(size)) * channels
    kernel = jnp.reshape(jnp.eye(out_dim, dtype=images.dtype), (*size, channels, out_dim))
    squeeze = images.ndim == spatial + 1
    images = jnp.expand_dims(images, axis=0) if squeeze else images
    patches = conv(images, kernel, strides=strides, padding=padding, data_format=data_format,
                   dilation_rate=dilation_rate)
    return jnp.squeeze(patches, axis=0) if squeeze else patches


@_image_op
@compiled
def extract_patches(images, size, strides=None, dilation_rate=1, padding="valid",
                    data_format=None):
    """The `size` patches of `images`, flattened on the channel axis (3-D with a 3-tuple size)."""
    if not isinstance(size, int):
        if not isinstance(size, (tuple, list)):
            raise TypeError(f"Invalid `size` argument: expected an int or a tuple, got {size!r}.")
        if len(size) not in (2, 3):
            raise ValueError(f"Invalid `size` argument: expected a tuple of length 2 or 3, got "
                             f"{size!r}.")
    images = tensor(images)
    if not isinstance(size, int) and len(size) == 3:
        return extract_patches_3d(images, size, strides, dilation_rate, padding, data_format)
    return _patches(images, size, strides or size, dilation_rate, padding, data_format, 2)


@_image_op
@compiled
def extract_patches_3d(volumes, size, strides=None, dilation_rate=1, padding="valid",
                       data_format=None):
    """The `size` patches of 3-D `volumes`, flattened on the channel axis."""
    size = (size,) * 3 if isinstance(size, int) else tuple(size)
    if len(size) != 3:
        raise TypeError(f"Invalid `size` argument: expected an int or a tuple of length 3, got "
                        f"{size!r}.")
    strides = size if strides is None else strides
    strides = (strides,) * 3 if isinstance(strides, int) else tuple(strides)
    if len(strides) != 3:
        raise ValueError(f"Invalid `strides` argument: {strides!r}.")
    return _patches(tensor(volumes), size, strides, dilation_rate, padding, data_format, 3)
