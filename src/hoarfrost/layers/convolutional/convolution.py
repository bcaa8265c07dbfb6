"""The convolution itself, `conv`, and its two lowerings: `conv_xla`
(`lax.conv_general_dilated`) and `conv_im2col` (strided slices contracted by one matmul,
its gradient written out in `_patch_matmul`); `conv_lowering` chooses between them."""

from __future__ import annotations

import functools
import itertools
import math
from typing import Sequence

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from hoarfrost.layers import conv_lowering
from hoarfrost.layers.convolutional.arguments import conv_output_length


def _spatial_dimension_numbers(rank: int) -> tuple[str, str, str]:
    spatial = "DHW"[-rank:] if rank <= 3 else None
    if spatial is None:
        raise ValueError(f"Convolutions of rank {rank} are not supported (1, 2 or 3).")
    return f"N{spatial}C", f"{spatial}IO", f"N{spatial}C"


def _explicit_padding(spatial: Sequence[int], kernel_size: Sequence[int], strides, dilation,
                      padding) -> list[tuple[int, int]]:
    if not isinstance(padding, str):
        return [tuple(p) for p in padding]
    extent = [(k - 1) * d + 1 for k, d in zip(kernel_size, dilation)]
    return [tuple(p) for p in lax.padtype_to_pads(tuple(spatial), extent, tuple(strides),
                                                   padding.upper())]


def conv_xla(x, kernel, strides, padding, dilation, groups: int = 1, lhs_dilation=None):
    """`lax.conv_general_dilated` on channels-last `x` and a Keras-layout kernel."""
    rank = x.ndim - 2
    pads = _explicit_padding(x.shape[1:-1], kernel.shape[:rank], strides, dilation, padding)
    return lax.conv_general_dilated(
        x, kernel, tuple(strides), pads, lhs_dilation=lhs_dilation, rhs_dilation=tuple(dilation),
        dimension_numbers=_spatial_dimension_numbers(rank), feature_group_count=groups)


def _window_slices(x, window, strides, dilation) -> list:
    """One strided slice of channels-last `x` per window offset (row-major order)."""
    out_spatial = [conv_output_length(n, k, "valid", s, d)
                   for n, k, s, d in zip(x.shape[1:-1], window, strides, dilation)]
    slices = []
    for offset in itertools.product(*(range(k) for k in window)):
        start = [0] + [o * d for o, d in zip(offset, dilation)] + [0]
        limit = ([x.shape[0]] + [b + (n - 1) * s + 1 for b, n, s in zip(start[1:], out_spatial,
                                                                         strides)]
                 + [x.shape[-1]])
        slices.append(lax.slice(x, start, limit, [1] + list(strides) + [1]))
    return slices


def _scatter_windows(parts, spatial, window, strides, dilation):
    """The transpose of `_window_slices`: each window's part added back where it was taken.

    Stride 1 adds each part into its region in place (no padded copies); other
    strides pad each part with interior zeros, as autodiff of `lax.slice` does.
    """
    n, channels = parts[0].shape[0], parts[0].shape[-1]
    offsets = list(itertools.product(*(range(k) for k in window)))
    zero = np.zeros((), parts[0].dtype)
    if all(s == 1 for s in strides):
        out = jnp.zeros((n, *spatial, channels), parts[0].dtype)
        for offset, part in zip(offsets, parts):
            start = (0,) + tuple(o * d for o, d in zip(offset, dilation)) + (0,)
            region = lax.dynamic_slice(out, start, part.shape)
            out = lax.dynamic_update_slice(out, region + part, start)
        return out
    total = None
    for offset, part in zip(offsets, parts):
        config = [(0, 0, 0)]
        for o, d, s, m, size in zip(offset, dilation, strides, part.shape[1:-1], spatial):
            low = o * d
            config.append((low, size - low - (m - 1) * s - 1, s - 1))
        padded = lax.pad(part, zero, config + [(0, 0, 0)])
        total = padded if total is None else total + padded
    return total


@functools.partial(jax.custom_vjp, nondiff_argnums=(2, 3))
def _patch_matmul(x, kernel, strides, dilation):
    """A "valid" convolution of channels-last `x` as one matmul of its window patches.

    The gradient is written out rather than left to autodiff: the kernel's from
    the patches kept by the forward pass, the input's as one matmul with the
    kernel followed by `_scatter_windows`, which XLA:CPU runs ~20% faster per
    training step (the small MNIST CNN) than the pads autodiff produces.

    Only a differentiated call builds the patches (`_patch_matmul_fwd`). A call
    no gradient flows through (inference, or a frozen layer whose input does
    not depend on a trainable weight: a frozen backbone) has no use for them and
    runs XLA's forward convolution, which on CPU was 1.5-10x faster than the
    patch matmul for W7's 3x3 layers (benchmarks/RESULTS.md). A single-tap
    window (1x1: one slice, no patches) stays one matmul, the faster there.
    """
    rank = x.ndim - 2
    if math.prod(kernel.shape[:rank]) == 1:
        return _patch_matmul_fwd(x, kernel, strides, dilation)[0]
    dtype = jnp.result_type(x, kernel)  # as the patch matmul promotes
    x, kernel = x.astype(dtype), kernel.astype(dtype)
    return lax.conv_general_dilated(x, kernel, tuple(strides), "VALID",
                                    rhs_dilation=tuple(dilation),
                                    dimension_numbers=_spatial_dimension_numbers(rank))


def _patch_matmul_fwd(x, kernel, strides, dilation):
    rank = x.ndim - 2
    slices = _window_slices(x, kernel.shape[:rank], strides, dilation)
    patches = slices[0] if len(slices) == 1 else jnp.concatenate(slices, axis=-1)
    out = jnp.matmul(patches, kernel.reshape(-1, kernel.shape[-1]))
    # A zero-size array carries x's shape and dtype without keeping x alive.
    return out, (patches, kernel, jnp.zeros((0,) + x.shape[1:], x.dtype))


def _patch_matmul_bwd(strides, dilation, residuals, grad):
    patches, kernel, x_like = residuals
    rank = grad.ndim - 2
    window, channels, filters = kernel.shape[:rank], kernel.shape[-2], kernel.shape[-1]
    flat_grad = grad.reshape(-1, filters)
    contract_rows = (((0,), (0,)), ((), ()))
    d_kernel = lax.dot_general(patches.reshape(-1, patches.shape[-1]), flat_grad, contract_rows)
    d_patches = lax.dot_general(grad, kernel.reshape(-1, filters),
                                (((grad.ndim - 1,), (1,)), ((), ())))
    parts = [d_patches[..., i * channels:(i + 1) * channels] for i in range(math.prod(window))]
    d_x = _scatter_windows(parts, x_like.shape[1:-1], window, strides, dilation)
    return d_x.astype(x_like.dtype), d_kernel.reshape(kernel.shape).astype(kernel.dtype)


_patch_matmul.defvjp(_patch_matmul_fwd, _patch_matmul_bwd)


def conv_im2col(x, kernel, strides, padding, dilation, groups: int = 1, lhs_dilation=None):
    """The same convolution as `conv_xla`, as strided slices and a matmul.

    `x` is channels-last `(n, *spatial, channels)`, `kernel` is
    `(*window, channels // groups, filters)`; `padding` is "valid", "same" or
    explicit `(low, high)` pairs; `lhs_dilation` inserts `d - 1` zeros between
    input elements (transposed convolution).
    """
    rank = x.ndim - 2
    window = kernel.shape[:rank]
    lhs_dilation = tuple(lhs_dilation or (1,) * rank)
    dilated = [(n - 1) * d + 1 for n, d in zip(x.shape[1:-1], lhs_dilation)]
    pads = _explicit_padding(dilated, window, strides, dilation, padding)
    if any(p != (0, 0) for p in pads) or any(d != 1 for d in lhs_dilation):
        x = lax.pad(x, np.zeros((), x.dtype),
                    [(0, 0, 0)] + [(lo, hi, d - 1) for (lo, hi), d in zip(pads, lhs_dilation)]
                    + [(0, 0, 0)])
    if groups == 1:
        return _patch_matmul(x, kernel, tuple(strides), tuple(dilation))
    slices = _window_slices(x, window, strides, dilation)
    taps, group_in, filters = len(slices), kernel.shape[-2], kernel.shape[-1]
    group_out = filters // groups
    if group_in == 1:  # depthwise: per-channel multiply-adds, no patches at all
        taps_kernel = kernel.reshape(taps, groups, group_out)
        out = sum(s[..., :, None] * taps_kernel[i] for i, s in enumerate(slices))
        return out.reshape(out.shape[:-2] + (filters,))
    patches = jnp.stack(slices, axis=-2)
    patches = patches.reshape(patches.shape[:-1] + (groups, group_in))
    out = jnp.einsum("...kgc,kcgo->...go", patches,
                     kernel.reshape(taps, group_in, groups, group_out))
    return out.reshape(out.shape[:-2] + (filters,))


def conv(x, kernel, strides, padding, dilation, groups: int = 1, data_format="channels_last",
         lhs_dilation=None, lowering: str | None = None):
    """An N-d convolution in Keras's layouts, lowered for the default backend.

    Compiled as one function (so eager calls dispatch once, not op by op).

    Args:
        x: `(n, *spatial, c)` (channels_last) or `(n, c, *spatial)`.
        kernel: `(*window, c // groups, filters)`.
        padding: "valid", "same" or explicit `(low, high)` pairs per axis.
        lowering: "xla", "im2col" (untiled) or None: `conv_lowering.choose`
            picks (im2col on CPU, tiled when its patches are large, XLA's for
            very few filters; XLA's convolution elsewhere).
    """
    strides, dilation = tuple(strides), tuple(dilation)
    lhs_dilation = None if lhs_dilation is None else tuple(lhs_dilation)
    padding = padding if isinstance(padding, str) else tuple(tuple(p) for p in padding)
    if lowering is None:
        shape = tuple(x.shape)
        if data_format == "channels_first":
            shape = shape[:1] + shape[2:] + shape[1:2]
        plan = conv_lowering.choose(shape, kernel.shape, strides, padding, dilation, lhs_dilation,
                                    groups=groups)
    else:
        plan = conv_lowering.Lowering(lowering)
    return _conv(x, kernel, strides, padding, dilation, groups, data_format, lhs_dilation, plan)


@functools.partial(jax.jit, static_argnums=(2, 3, 4, 5, 6, 7, 8))
def _conv(x, kernel, strides, padding, dilation, groups, data_format, lhs_dilation, plan):
    if data_format == "channels_first":
        x = jnp.moveaxis(x, 1, -1)
    out = conv_lowering.apply(plan, conv_im2col, conv_xla, x, kernel, strides, padding, dilation,
                              groups, lhs_dilation)
    return jnp.moveaxis(out, -1, 1) if data_format == "channels_first" else out
