"""Which lowering computes a convolution, and the tiled im2col for large ones.

On CPU a convolution is differentiated as im2col (its window patches times its
kernel, see `convolutional`), because XLA:CPU's own convolution is slow to
differentiate, above all inside the `lax.scan` that `fit` runs: 3.6x (a
256 -> 128 filter transposed convolution) to 14-21x (a 128 -> 256 strided
one) slower per gradient step, 3x per DCGAN step (`NARROW_FILTERS` below,
benchmarks/conv_lowering.py). The rule:

- Memory: the patches (`kernel taps x input channels` times the output size)
  are kept for the backward pass. When they exceed `PATCH_BUDGET` elements
  the im2col is *tiled*: `lax.map` over chunks of the batch, or, when one
  sample alone is too large, over bands of output rows too. Each tile is
  rematerialised (`jax.checkpoint`): its patches are rebuilt in the backward
  pass instead of kept, so at most one tile's patches are alive at a time.
- Narrow outputs: with fewer than `NARROW_FILTERS` filters (an image's 1-4
  channels, as the last layer of a generator or decoder) the patch matmul is
  bound by memory, not arithmetic (25 x 64 patch columns for 3 outputs), and
  XLA's convolution, gradient included, is faster: it runs then.
- Transposed convolutions run as im2col too, although it multiplies the
  zeros inserted between input elements (3/4 of the patches at stride 2):
  XLA's forward pass with an im2col gradient was 1.3-1.4x faster per layer,
  but 2x slower in the whole DCGAN step (benchmarks/conv_lowering.py as of
  commit 61c1496, rules "tiled" and "im2col-forward").
- Off CPU, XLA's convolution (cuDNN on GPUs) is used throughout.
- Whatever the plan, an im2col convolution no gradient flows through (inference,
  a frozen backbone) runs XLA's forward convolution: the patches exist only for
  the gradient (`convolutional._patch_matmul`).

The choice never changes what is computed, only how (float32 sums may round
differently, as between any two lowerings).
"""

from __future__ import annotations

import math
from typing import Callable, NamedTuple, Sequence

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

#: The most patch elements one im2col call materialises (256 MB in float32);
#: larger convolutions are tiled so that each tile stays within it.
PATCH_BUDGET = 1 << 26
#: Below this many filters (groups == 1) XLA's convolution runs on CPU too. Gradient
#: steps inside `lax.scan`, 5x5 kernels, 64 input channels at 32x32 -> 64x64
#: (transposed, batch 8), XLA's time / im2col's: 3 filters 0.30, 8 filters 0.93,
#: 16 filters 1.52; a 3-filter 64x64 -> 32x32 strided Conv2D: 0.80; 128 filters
#: (16x16 -> 32x32, 256 channels) 3.6, 256 filters (32x32 -> 16x16) 14-21.
NARROW_FILTERS = 8


class Lowering(NamedTuple):
    """How one convolution is computed (static: part of the compiled program's key).

    Attributes:
        kind: "xla" (`lax.conv_general_dilated`) or "im2col" (patch matmuls).
        batch_tile: im2col only: samples per tile, or None for no tiling.
        row_tile: im2col only: output rows per tile, or None for whole samples.
    """

    kind: str
    batch_tile: int | None = None
    row_tile: int | None = None


def explicit_padding(spatial: Sequence[int], window: Sequence[int], strides, dilation,
                     padding) -> list[tuple[int, int]]:
    """`(low, high)` pads per spatial axis for "valid", "same" or explicit pairs."""
    if not isinstance(padding, str):
        return [tuple(p) for p in padding]
    extent = [(k - 1) * d + 1 for k, d in zip(window, dilation)]
    return [tuple(p) for p in lax.padtype_to_pads(tuple(spatial), extent, tuple(strides),
                                                   padding.upper())]


def _padded_spatial(x_shape, window, strides, padding, dilation, lhs_dilation) -> list[int]:
    rank = len(x_shape) - 2
    lhs_dilation = tuple(lhs_dilation or (1,) * rank)
    dilated = [(n - 1) * d + 1 for n, d in zip(x_shape[1:-1], lhs_dilation)]
    pads = explicit_padding(dilated, window, strides, dilation, padding)
    return [n + lo + hi for n, (lo, hi) in zip(dilated, pads)]


def _output_spatial(padded, window, strides, dilation) -> list[int]:
    return [(n - ((k - 1) * d + 1)) // s + 1
            for n, k, s, d in zip(padded, window, strides, dilation)]


def patch_elements(x_shape, kernel_shape, strides, padding, dilation,
                   lhs_dilation=None) -> int:
    """Elements of the im2col patches of channels-last `x_shape` (the memory im2col needs)."""
    rank = len(x_shape) - 2
    window = kernel_shape[:rank]
    padded = _padded_spatial(x_shape, window, strides, padding, dilation, lhs_dilation)
    out = _output_spatial(padded, window, strides, dilation)
    return x_shape[0] * math.prod(out) * math.prod(window) * x_shape[-1]


def choose(x_shape, kernel_shape, strides, padding, dilation, lhs_dilation=None,
           backend: str | None = None, budget: int | None = None, groups: int = 1) -> Lowering:
    """The lowering for a convolution of channels-last `x_shape` by a Keras-layout kernel.

    Off CPU, on CPU for fewer than `NARROW_FILTERS` filters (`groups` 1),
    and for symbolic sizes (`jax.export`): XLA's. Otherwise on CPU: im2col, untiled while the patches fit in `budget`
    (default `PATCH_BUDGET`), else tiled by the largest batch chunk whose
    patches fit, or, when one sample does not fit, by one sample and the
    largest band of output rows that fits (one row at least).
    """
    backend = jax.default_backend() if backend is None else backend
    if backend != "cpu" or (groups == 1 and kernel_shape[-1] < NARROW_FILTERS):
        return Lowering("xla")
    if any(jax.export.is_symbolic_dim(d) for d in x_shape):
        return Lowering("xla")  # a symbolic size (`jax.export`) may be any size
    budget = PATCH_BUDGET if budget is None else budget
    total = patch_elements(x_shape, kernel_shape, strides, padding, dilation, lhs_dilation)
    batch = x_shape[0]
    if total <= budget or batch == 0 or total == 0:
        return Lowering("im2col")
    per_sample = total // batch
    if per_sample <= budget:
        return Lowering("im2col", batch_tile=budget // per_sample)
    rank = len(x_shape) - 2
    padded = _padded_spatial(x_shape, kernel_shape[:rank], strides, padding, dilation,
                             lhs_dilation)
    rows = _output_spatial(padded, kernel_shape[:rank], strides, dilation)[0]
    per_row = per_sample // rows
    return Lowering("im2col", batch_tile=1, row_tile=max(1, min(rows, budget // per_row)))


def apply(plan: Lowering, im2col: Callable, xla: Callable, x, kernel, strides, padding,
          dilation, groups: int = 1, lhs_dilation=None):
    """The convolution of channels-last `x` computed as `plan` says.

    Args:
        plan: from `choose`.
        im2col, xla: the two lowerings, each `(x, kernel, strides, padding,
            dilation, groups, lhs_dilation) -> out` (`convolutional`'s).
        x, kernel, strides, padding, dilation, groups, lhs_dilation: the convolution.
    """
    args = (strides, padding, dilation, groups, lhs_dilation)
    if plan.kind == "xla":
        return xla(x, kernel, *args)
    if plan.batch_tile is None:
        return im2col(x, kernel, *args)
    return conv_tiled(im2col, x, kernel, *args, batch_tile=plan.batch_tile,
                      row_tile=plan.row_tile)


def pad_input(x, window, strides, padding, dilation, lhs_dilation=None):
    """Channels-last `x` padded (and dilated by `lhs_dilation`) so that a "valid" conv follows."""
    rank = x.ndim - 2
    lhs_dilation = tuple(lhs_dilation or (1,) * rank)
    dilated = [(n - 1) * d + 1 for n, d in zip(x.shape[1:-1], lhs_dilation)]
    pads = explicit_padding(dilated, window, strides, dilation, padding)
    if all(p == (0, 0) for p in pads) and all(d == 1 for d in lhs_dilation):
        return x
    return lax.pad(x, np.zeros((), x.dtype),
                   [(0, 0, 0)] + [(lo, hi, d - 1) for (lo, hi), d in zip(pads, lhs_dilation)]
                   + [(0, 0, 0)])


def conv_tiled(valid_conv: Callable, x, kernel, strides, padding, dilation, groups: int = 1,
               lhs_dilation=None, batch_tile: int = 1, row_tile: int | None = None):
    """`valid_conv` (an im2col convolution) over tiles of channels-last `x`.

    Args:
        valid_conv: `(x, kernel, strides, padding, dilation, groups, lhs_dilation)
            -> out`, called with "valid" padding on each tile.
        x, kernel, strides, padding, dilation, groups, lhs_dilation: as `conv_im2col`.
        batch_tile: samples per tile (a last, smaller tile takes the rest).
        row_tile: output rows (first spatial axis) per tile, or None for whole samples.
    """
    rank = x.ndim - 2
    strides, dilation = tuple(strides), tuple(dilation)
    x = pad_input(x, kernel.shape[:rank], strides, padding, dilation, lhs_dilation)

    def whole(tile):
        return valid_conv(tile, kernel, strides, "valid", dilation, groups, None)

    per_sample = whole if row_tile is None else (
        lambda tile: _over_rows(whole, tile, kernel.shape[0], strides[0], dilation[0], row_tile))
    return _over_batch(jax.checkpoint(per_sample), x, batch_tile)


def _over_batch(fn: Callable, x, tile: int):
    """`fn` on chunks of `tile` samples, one after another (`lax.map`), concatenated."""
    n = x.shape[0]
    tile = max(1, min(tile, n))
    full = n // tile
    chunks = x[:full * tile].reshape((full, tile) + x.shape[1:])
    out = lax.map(fn, chunks)
    out = out.reshape((full * tile,) + out.shape[2:])
    if full * tile < n:
        out = jnp.concatenate([out, fn(x[full * tile:])], axis=0)
    return out


def _over_rows(fn: Callable, x, window: int, stride: int, dilation: int, tile: int):
    """`fn` (a "valid" convolution) on bands of `tile` output rows of padded `x`, concatenated."""
    extent = (window - 1) * dilation + 1
    rows = (x.shape[1] - extent) // stride + 1
    tile = max(1, min(tile, rows))
    full = rows // tile
    band = (tile - 1) * stride + extent  # the input rows one band of output rows reads

    def one_band(index):
        start = index * (tile * stride)
        return fn(lax.dynamic_slice_in_dim(x, start, band, axis=1))

    out = lax.map(jax.checkpoint(one_band), jnp.arange(full))  # (bands, n, tile, ...)
    out = jnp.moveaxis(out, 0, 1)
    out = out.reshape((out.shape[0], full * tile) + out.shape[3:])
    if full * tile < rows:
        rest = fn(x[:, full * tile * stride:])
        out = jnp.concatenate([out, rest], axis=1)
    return out
