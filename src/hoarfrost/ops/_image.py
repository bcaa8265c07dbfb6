"""`keras.ops.image`: resizing, affine and perspective warps, colour spaces, patches, filters.

Keras 3's `keras/src/ops/image.py` as its JAX backend runs it. Images are
`(height, width, channels)` or batched `(batch, height, width, channels)`
("channels_last", the default), or channels first with `data_format`.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np

from hoarfrost.ops._core import saturate_cast
from hoarfrost.ops._nn import conv
from hoarfrost.ops._operation import compiled, keras_op, standardize_data_format, tensor
from hoarfrost.random import draw_key

__all__ = [
    "affine_transform", "crop_images", "elastic_transform", "extract_patches",
    "extract_patches_3d", "gaussian_blur", "hsv_to_rgb", "map_coordinates", "pad_images",
    "perspective_transform", "resize", "rgb_to_grayscale", "rgb_to_hsv", "scale_and_translate",
    "sobel_edges", "ssim",
]

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


def _batched(images, transform=None):
    """Images (and transforms) with a batch axis, and whether one was added."""
    squeeze = images.ndim == 3
    images = jnp.expand_dims(images, 0) if squeeze else images
    if transform is not None and transform.ndim == 1:
        transform = jnp.expand_dims(transform, 0)
    return images, transform, squeeze


@_image_op
@compiled
def affine_transform(images, transform, interpolation="bilinear", fill_mode="constant",
                     fill_value=0, data_format=None):
    """`images` warped by transforms `[a0, a1, a2, b0, b1, b2, c0, c1]`.

    The output pixel (x, y) samples the input at `(a0 x + a1 y + a2, b0 x + b1 y + b2)`.
    Keep `c0 = c1 = 0`: as in Keras's JAX backend there is no projective division,
    and nonzero values shift the sampled channel (`perspective_transform` warps
    projectively).
    """
    data_format = standardize_data_format(data_format)
    _check_choice("interpolation", interpolation, WARP_INTERPOLATIONS)
    _check_choice("fill_mode", fill_mode, FILL_MODES)
    images, transform = tensor(images), tensor(transform)
    _check_rank(images)
    if transform.ndim not in (1, 2):
        raise ValueError("Invalid transform rank: expected rank 1 (single transform) or rank 2 "
                         f"(batch of transforms), got shape {transform.shape}.")
    images, transform, squeeze = _batched(images, transform)
    if data_format == "channels_first":
        images = jnp.transpose(images, (0, 2, 3, 1))
    batch_size = images.shape[0]
    meshgrid = jnp.meshgrid(*[jnp.arange(size) for size in images.shape[1:]], indexing="ij")
    indices = jnp.concatenate([jnp.expand_dims(x, axis=-1) for x in meshgrid], axis=-1)
    indices = jnp.tile(indices, (batch_size, 1, 1, 1, 1))
    # (x, y) transforms to the (row, column, channel) order of the index grid.
    a0, a2, b1, b2 = transform[:, 0], transform[:, 2], transform[:, 4], transform[:, 5]
    transform = transform.at[:, 0].set(b1).at[:, 2].set(b2).at[:, 4].set(a0).at[:, 5].set(a2)
    transform = jnp.reshape(jnp.pad(transform, [[0, 0], [0, 1]], constant_values=1),
                            (batch_size, 3, 3))
    offset = jnp.pad(transform[:, 0:2, 2], [[0, 0], [0, 1]])
    transform = transform.at[:, 0:2, 2].set(0)
    coordinates = jnp.einsum("Bhwij, Bjk -> Bhwik", indices, transform)
    coordinates = jnp.moveaxis(coordinates, source=-1, destination=1)
    coordinates += jnp.reshape(offset, (*offset.shape, 1, 1, 1))
    sample = functools.partial(jax.scipy.ndimage.map_coordinates,
                               order=WARP_INTERPOLATIONS[interpolation], mode=fill_mode,
                               cval=fill_value)
    warped = jax.vmap(sample)(images, coordinates)
    if data_format == "channels_first":
        warped = jnp.transpose(warped, (0, 3, 1, 2))
    return jnp.squeeze(warped, axis=0) if squeeze else warped


def _homography(start_points, end_points):
    """The 8 projective coefficients mapping `end_points` to `start_points` (per batch)."""
    start_x, start_y = start_points[..., 0], start_points[..., 1]
    end_x, end_y = end_points[..., 0], end_points[..., 1]
    zeros, ones = jnp.zeros_like(end_x), jnp.ones_like(end_x)
    x_rows = jnp.stack([end_x, end_y, ones, zeros, zeros, zeros, -start_x * end_x,
                        -start_x * end_y], axis=-1)
    y_rows = jnp.stack([zeros, zeros, zeros, end_x, end_y, ones, -start_y * end_x,
                        -start_y * end_y], axis=-1)
    coefficients = jnp.concatenate([x_rows, y_rows], axis=1)
    target = jnp.expand_dims(jnp.concatenate([start_x, start_y], axis=-1), axis=-1)
    return jnp.linalg.solve(coefficients, target).squeeze(-1)


@_image_op
@compiled
def perspective_transform(images, start_points, end_points, interpolation="bilinear",
                          fill_value=0, data_format=None):
    """`images` warped so that the 4 `start_points` (x, y) move to `end_points`."""
    data_format = standardize_data_format(data_format)
    _check_choice("interpolation", interpolation, WARP_INTERPOLATIONS)
    images = tensor(images)
    start_points, end_points = tensor(start_points), tensor(end_points)
    _check_rank(images)
    for name, points in (("start_points", start_points), ("end_points", end_points)):
        if points.shape[-2:] != (4, 2) or points.ndim not in (2, 3):
            raise ValueError(f"Invalid {name} shape: expected (4, 2) for a single image or "
                             f"(N, 4, 2) for a batch, got {points.shape}.")
    if start_points.shape != end_points.shape:
        raise ValueError("start_points and end_points must have the same shape, got "
                         f"{start_points.shape} and {end_points.shape}.")
    images, _, squeeze = _batched(images)
    if start_points.ndim == 2:
        start_points, end_points = start_points[None], end_points[None]
    if data_format == "channels_first":
        images = jnp.transpose(images, (0, 2, 3, 1))
    _, height, width, _ = images.shape
    transforms = _homography(start_points.astype("float32"), end_points.astype("float32"))
    x, y = jnp.meshgrid(jnp.arange(width), jnp.arange(height), indexing="xy")
    grid = jnp.stack([x.ravel(), y.ravel(), jnp.ones_like(x).ravel()], axis=0)

    def coordinates(t):
        denominator = t[6] * grid[0] + t[7] * grid[1] + 1.0
        x_in = (t[0] * grid[0] + t[1] * grid[1] + t[2]) / denominator
        y_in = (t[3] * grid[0] + t[4] * grid[1] + t[5]) / denominator
        return jnp.stack([y_in, x_in], axis=0)

    def warp(image, coords):
        def channel(plane):
            return jax.scipy.ndimage.map_coordinates(
                plane, coords, order=WARP_INTERPOLATIONS[interpolation], mode="constant",
                cval=fill_value).reshape(height, width)
        return jax.vmap(channel)(jnp.moveaxis(image, -1, 0))

    output = jnp.moveaxis(jax.vmap(warp)(images, jax.vmap(coordinates)(transforms)), 1, -1)
    if data_format == "channels_first":
        output = jnp.transpose(output, (0, 3, 1, 2))
    return jnp.squeeze(output, axis=0) if squeeze else output


@_image_op
def map_coordinates(inputs, coordinates, order, fill_mode="constant", fill_value=0):
    """`inputs` sampled at `coordinates` (one row per axis), `order` 0 or 1 interpolation."""
    inputs, coordinates = tensor(inputs), tensor(coordinates)
    if coordinates.shape[0] != inputs.ndim:
        raise ValueError("The first dimension of `coordinates` must be the rank of `inputs`, "
                         f"got inputs of shape {inputs.shape} and coordinates of leading "
                         f"dimension {coordinates.shape[0]}.")
    if coordinates.ndim < 2:
        raise ValueError(f"Invalid coordinates rank: expected at least 2, got shape "
                         f"{coordinates.shape}.")
    _check_choice("fill_mode", fill_mode, FILL_MODES)
    _check_choice("order", order, (0, 1))
    return jax.scipy.ndimage.map_coordinates(inputs, coordinates, order, fill_mode, fill_value)


def _gaussian_kernel(kernel_size, sigma, dtype):
    """The (height, width) Gaussian kernel of `kernel_size = (kx, ky)`, `sigma = (sx, sy)`."""
    def kernel1d(size, s):
        x = jnp.arange(size, dtype=dtype) - jnp.array((size - 1) / 2, dtype=dtype)
        k = jnp.exp(-0.5 * (x / s) ** 2)
        return k / jnp.sum(k)
    return jnp.outer(kernel1d(kernel_size[1], sigma[1]), kernel1d(kernel_size[0], sigma[0]))


def _depthwise_nchw(images, kernel):
    """Each channel of NCHW `images` convolved with the 2-D `kernel` ("same" padding)."""
    channels = images.shape[1]
    kernel = jnp.tile(kernel[None, None], (channels, 1, 1, 1))
    return jax.lax.conv_general_dilated(images, kernel, window_strides=(1, 1), padding="SAME",
                                        dimension_numbers=("NCHW", "OIHW", "NCHW"),
                                        feature_group_count=channels)


@_image_op
@compiled
def gaussian_blur(images, kernel_size=(3, 3), sigma=(1.0, 1.0), data_format=None):
    """`images` blurred by a Gaussian of `kernel_size` and `sigma` (each (x, y)).

    `data_format=None` means channels last here; Keras's JAX backend reads it as
    channels first (a bug), so pass `data_format` explicitly when porting.
    """
    data_format = standardize_data_format(data_format)
    images = tensor(images)
    sigma = tensor(sigma, dtype=images.dtype)
    _check_rank(images)
    images, _, squeeze = _batched(images)
    if data_format == "channels_last":
        images = jnp.transpose(images, (0, 3, 1, 2))
    blurred = _depthwise_nchw(images, _gaussian_kernel(kernel_size, sigma, images.dtype))
    if data_format == "channels_last":
        blurred = jnp.transpose(blurred, (0, 2, 3, 1))
    return blurred.squeeze(axis=0) if squeeze else blurred


def _seed_key(seed):
    """Keras's `draw_seed`: an int seeds `[seed, 0]`, a generator gives its next key."""
    if isinstance(seed, int):
        return jnp.asarray([seed & 0xFFFFFFFF, 0], dtype="uint32")
    if seed is None:
        return draw_key()
    if hasattr(seed, "next"):
        return seed.next()
    raise ValueError(f"`seed` must be an int or a SeedGenerator, got {seed!r}.")


@_image_op
def elastic_transform(images, alpha=20.0, sigma=5.0, interpolation="bilinear",
                      fill_mode="reflect", fill_value=0.0, seed=None, data_format=None):
    """`images` displaced by a smoothed random field (`alpha` strength, `sigma` smoothness).

    As Keras's JAX backend: the x and y displacements are drawn from the same
    key (so equal), each blurred by a Gaussian of `sigma`.
    """
    data_format = standardize_data_format(data_format)
    _check_choice("interpolation", interpolation, WARP_INTERPOLATIONS)
    _check_choice("fill_mode", fill_mode, FILL_MODES)
    images = tensor(images)
    _check_rank(images)
    sigma = tensor(sigma)
    kernel = int(6 * sigma) | 1
    return _elastic(images, _seed_key(seed), tensor(alpha), sigma, kernel, interpolation,
                    fill_mode, fill_value, data_format)


@compiled
def _elastic(images, key, alpha, sigma, kernel, interpolation, fill_mode, fill_value,
             data_format):
    dtype = images.dtype
    images, _, squeeze = _batched(images)
    if data_format == "channels_last":
        batch_size, height, width, channels = images.shape
        channel_axis = -1
    else:
        batch_size, channels, height, width = images.shape
        channel_axis = 1

    def field():
        noise = jax.random.normal(key, shape=(batch_size, height, width), dtype=dtype) * sigma
        return jnp.squeeze(gaussian_blur(jnp.expand_dims(noise, axis=channel_axis),
                                         kernel_size=(kernel, kernel), sigma=(sigma, sigma),
                                         data_format=data_format))

    dx, dy = field(), field()
    x, y = jnp.meshgrid(jnp.arange(width), jnp.arange(height))
    distorted_x, distorted_y = x[None] + alpha * dx, y[None] + alpha * dy
    warped = jnp.zeros_like(images)
    for c in range(channels):
        planes = jnp.stack([
            map_coordinates(images[b, ..., c] if channel_axis == -1 else images[b, c],
                            [distorted_y[b], distorted_x[b]],
                            order=WARP_INTERPOLATIONS[interpolation], fill_mode=fill_mode,
                            fill_value=fill_value)
            for b in range(batch_size)])
        warped = (warped.at[..., c] if channel_axis == -1 else warped.at[:, c]).set(planes)
    warped = jnp.squeeze(warped, axis=0) if squeeze else warped
    return warped.astype(dtype)


@_image_op
@compiled
def scale_and_translate(images, output_shape, scale, translation, spatial_dims, method,
                        antialias=True):
    """`jax.image.scale_and_translate`: resample `images` scaled and shifted on `spatial_dims`."""
    _check_choice("method", method, SCALE_AND_TRANSLATE_METHODS)
    return jax.image.scale_and_translate(tensor(images), output_shape, spatial_dims,
                                         tensor(scale), tensor(translation), method, antialias)


@_image_op
@compiled
def sobel_edges(images, data_format=None):
    """The Sobel gradients of batched `images`, stacked `(dy, dx)` on a new last axis."""
    data_format = standardize_data_format(data_format)
    images = tensor(images)
    if data_format != "channels_first":
        images = jnp.transpose(images, (0, 3, 1, 2))
    sobel_x = jnp.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype=images.dtype)
    edges_x = _depthwise_nchw(images, sobel_x)
    edges_y = _depthwise_nchw(images, sobel_x.T)
    if data_format != "channels_first":
        edges_x = jnp.transpose(edges_x, (0, 2, 3, 1))
        edges_y = jnp.transpose(edges_y, (0, 2, 3, 1))
    return jnp.stack([edges_y, edges_x], axis=-1)


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


@_image_op
@compiled
def ssim(image1, image2, max_val=1.0, filter_size=11, filter_sigma=1.5, k1=0.01, k2=0.03,
         data_format=None):
    """The structural similarity of two (batches of) images, averaged over channels."""
    data_format = standardize_data_format(data_format)
    image1, image2 = tensor(image1), tensor(image2)
    original = image1.dtype
    compute_dtype = jnp.result_type(image1.dtype, float)
    image1, image2 = image1.astype(compute_dtype), image2.astype(compute_dtype)
    _check_rank(image1, "image1")
    _check_rank(image2, "image2")
    unbatched = image1.ndim == 3
    if unbatched:
        image1, image2 = image1[None], image2[None]
    if data_format == "channels_first":
        image1, image2 = jnp.moveaxis(image1, 1, -1), jnp.moveaxis(image2, 1, -1)
    batch_size, height, width, channels = image1.shape
    x = jnp.arange(filter_size, dtype=compute_dtype) - (filter_size - 1) / 2.0
    gauss = jnp.exp(-x ** 2 / (2.0 * filter_sigma ** 2))
    gauss = gauss / jnp.sum(gauss)
    kernel = jnp.reshape(jnp.outer(gauss, gauss), (filter_size, filter_size, 1, 1))
    c1, c2 = (k1 * max_val) ** 2, (k2 * max_val) ** 2

    def per_channel(images):
        return jnp.reshape(jnp.transpose(images, (0, 3, 1, 2)), (-1, height, width, 1))

    def filtered(images):
        return conv(images, kernel, strides=1, padding="valid", data_format="channels_last")

    a, b = per_channel(image1), per_channel(image2)
    mu1, mu2 = filtered(a), filtered(b)
    sigma1_sq = filtered(a * a) - mu1 * mu1
    sigma2_sq = filtered(b * b) - mu2 * mu2
    sigma12 = filtered(a * b) - mu1 * mu2
    numerator = (2.0 * mu1 * mu2 + c1) * (2.0 * sigma12 + c2)
    denominator = (mu1 * mu1 + mu2 * mu2 + c1) * (sigma1_sq + sigma2_sq + c2)
    per_image = jnp.reshape(jnp.mean(numerator / denominator, axis=(1, 2, 3)),
                            (batch_size, channels))
    result = jnp.mean(per_image, axis=-1)
    return (jnp.squeeze(result, axis=0) if unbatched else result).astype(original)
