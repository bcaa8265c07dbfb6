"""Filters: Gaussian blur, Sobel edges, and SSIM (which filters with a Gaussian)."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from hoarfrost.ops._image.common import _batched, _check_rank, _image_op
from hoarfrost.ops._nn import conv
from hoarfrost.ops._operation import compiled, standardize_data_format, tensor

__all__ = ["gaussian_blur", "sobel_edges", "ssim"]


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
