"""Values moved between blocks and channels or columns: `unfold` / `fold` (im2col),
`depth_to_space` / `space_to_depth`."""

from __future__ import annotations

import jax.numpy as jnp
from jax import lax

from hoarfrost.ops._operation import compiled, keras_op, standardize_data_format, tensor

__all__ = ["depth_to_space", "fold", "space_to_depth", "unfold"]


def _pair_of(value):
    return (value, value) if isinstance(value, int) else tuple(value)


@keras_op()
@compiled
def unfold(x, kernel_size, dilation=1, padding=0, stride=1):
    """The sliding blocks of a `(N, C, H, W)` tensor as columns `(N, C * kh * kw, L)` (im2col)."""
    x = tensor(x)
    if x.ndim != 4:
        raise ValueError(f"unfold: input must be a 4D tensor, got shape {x.shape}.")
    kernel, dilation, pad, stride = (_pair_of(v) for v in (kernel_size, dilation, padding,
                                                            stride))
    if any(p > 0 for p in pad):
        x = jnp.pad(x, ((0, 0), (0, 0), (pad[0], pad[0]), (pad[1], pad[1])))
    patches = lax.conv_general_dilated_patches(x, filter_shape=kernel, window_strides=stride,
                                               padding="VALID", rhs_dilation=dilation,
                                               dimension_numbers=("NCHW", "OIHW", "NCHW"))
    n, ckk, out_h, out_w = patches.shape
    return patches.reshape(n, ckk, out_h * out_w)


@keras_op()
@compiled
def fold(x, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """The inverse of `unfold` (col2im): columns summed back into `(N, C, H, W)`."""
    x = tensor(x)
    if x.ndim != 3:
        raise ValueError(f"fold: input must be a 3D tensor, got shape {x.shape}.")
    (out_h, out_w), (kh, kw), (dh, dw), (ph, pw), (sh, sw) = (
        _pair_of(v) for v in (output_size, kernel_size, dilation, padding, stride))
    n, ckk, _ = x.shape
    channels = ckk // (kh * kw)
    blocks_h = (out_h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    blocks_w = (out_w + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    x = jnp.reshape(x, (n, ckk, blocks_h, blocks_w))
    kernel = jnp.eye(ckk, dtype=x.dtype).reshape(ckk, channels, kh, kw).transpose(2, 3, 0, 1)
    kernel = jnp.flip(kernel, axis=(0, 1))  # conv_transpose flips it back
    output = lax.conv_transpose(x, kernel, strides=(sh, sw), padding="VALID",
                                rhs_dilation=(dh, dw), dimension_numbers=("NCHW", "HWIO", "NCHW"))
    if ph > 0 or pw > 0:
        output = output[:, :, ph:out_h + ph, pw:out_w + pw]
    return output


@keras_op()
def depth_to_space(x, block_size, data_format="channels_last"):
    """Move channel blocks into `block_size` x `block_size` spatial blocks (pixel shuffle)."""
    data_format = standardize_data_format(data_format)
    if block_size < 2:
        raise ValueError(f"depth_to_space: `block_size` must be at least 2, got {block_size}.")
    x = tensor(x)
    b = block_size
    if data_format == "channels_last":
        n, h, w, c = x.shape
        x = jnp.reshape(x, (n, h, w, b, b, c // b ** 2)).transpose(0, 1, 3, 2, 4, 5)
        return jnp.reshape(x, (n, h * b, w * b, c // b ** 2))
    n, c, h, w = x.shape
    x = jnp.reshape(x, (n, c // b ** 2, b, b, h, w)).transpose(0, 1, 4, 2, 5, 3)
    return jnp.reshape(x, (n, c // b ** 2, h * b, w * b))


@keras_op()
def space_to_depth(x, block_size, data_format="channels_last"):
    """Move `block_size` x `block_size` spatial blocks into channels (pixel unshuffle)."""
    data_format = standardize_data_format(data_format)
    if block_size < 2:
        raise ValueError(f"space_to_depth: `block_size` must be at least 2, got {block_size}.")
    x = tensor(x)
    b = block_size
    if data_format == "channels_last":
        n, h, w, c = x.shape
        x = jnp.reshape(x, (n, h // b, b, w // b, b, c)).transpose(0, 1, 3, 2, 4, 5)
        return jnp.reshape(x, (n, h // b, w // b, c * b ** 2))
    n, c, h, w = x.shape
    x = jnp.reshape(x, (n, c, h // b, b, w // b, b)).transpose(0, 1, 3, 5, 2, 4)
    return jnp.reshape(x, (n, c * b ** 2, h // b, w // b))
