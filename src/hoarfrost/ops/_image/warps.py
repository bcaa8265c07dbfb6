"""Warps: affine and perspective transforms, `map_coordinates`, elastic deformation."""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp

from hoarfrost.ops._image.common import (FILL_MODES, WARP_INTERPOLATIONS, _batched, _check_choice,
                                         _check_rank, _image_op)
from hoarfrost.ops._image.filters import gaussian_blur
from hoarfrost.ops._operation import compiled, standardize_data_format, tensor
from hoarfrost.random import draw_key

__all__ = ["affine_transform", "elastic_transform", "map_coordinates", "perspective_transform"]


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
