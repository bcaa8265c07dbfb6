"""What the image ops share: the op decorator (`image.<name>` in a graph), argument
checks, the accepted interpolations and fill modes, a batch axis added and removed."""

from __future__ import annotations

import jax.numpy as jnp

from hoarfrost.ops._operation import keras_op



RESIZE_INTERPOLATIONS = ("bilinear", "nearest", "lanczos3", "lanczos5", "bicubic")


WARP_INTERPOLATIONS = {"nearest": 0, "bilinear": 1}  # map_coordinates' order


FILL_MODES = ("constant", "nearest", "wrap", "mirror", "reflect")


SCALE_AND_TRANSLATE_METHODS = ("linear", "bilinear", "trilinear", "cubic", "bicubic",
                               "tricubic", "lanczos3", "lanczos5")


def _image_op(fn):
    return keras_op(name="image." + fn.__name__)(fn)


def _check_rank(images, name: str = "images"):
    if images.ndim not in (3, 4):
        raise ValueError(f"Invalid {name} rank: expected rank 3 (single image) or rank 4 (batch "
                         f"of images), got shape {images.shape}.")


def _check_choice(argument: str, value, choices):
    if value not in choices:
        raise ValueError(f"Invalid value for argument `{argument}`: expected one of "
                         f"{sorted(choices)}, got {value!r}.")


def _channels_axis(data_format: str) -> int:
    return -1 if data_format == "channels_last" else -3


def _batched(images, transform=None):
    """Images (and transforms) with a batch axis, and whether one was added."""
    squeeze = images.ndim == 3
    images = jnp.expand_dims(images, 0) if squeeze else images
    if transform is not None and transform.ndim == 1:
        transform = jnp.expand_dims(transform, 0)
    return images, transform, squeeze
