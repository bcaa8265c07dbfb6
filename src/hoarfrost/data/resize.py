"""Image resizing on the host, equal to `tf.image.resize(..., antialias=False)`.

Keras's `image_dataset_from_directory` resizes every decoded image with
TensorFlow's kernels; these are the same kernels in NumPy (half-pixel
centres; the bicubic weights from TF's 1024-entry table; TF's area and
scale-and-translate rules), applied as one weight matrix per axis. Results
equal TensorFlow's within float32 rounding. Running on the host keeps the
input pipeline off the accelerator and free of compilations.
"""

from __future__ import annotations

import functools
import math

import numpy as np

INTERPOLATIONS = ("bilinear", "nearest", "bicubic", "area", "lanczos3", "lanczos5", "gaussian",
                  "mitchellcubic")
_TABLE_SIZE = 1024


def _bilinear(in_size: int, out_size: int) -> np.ndarray:
    scale = np.float32(in_size) / np.float32(out_size)
    weights = np.zeros((out_size, in_size))
    for i in range(out_size):
        src = (np.float32(i) + np.float32(0.5)) * scale - np.float32(0.5)
        floor = math.floor(src)
        lerp = float(src) - floor
        lower, upper = max(floor, 0), min(math.ceil(src), in_size - 1)
        weights[i, lower] += 1.0 - lerp
        weights[i, upper] += lerp
    return weights


def _nearest_index(in_size: int, out_size: int) -> np.ndarray:
    scale = np.float32(in_size) / np.float32(out_size)
    positions = (np.arange(out_size, dtype=np.float32) + np.float32(0.5)) * scale
    return np.clip(np.floor(positions).astype(np.int64), 0, in_size - 1)


def _keys_table() -> np.ndarray:
    a = -0.5
    table = np.zeros((_TABLE_SIZE + 1, 2), np.float32)
    for i in range(_TABLE_SIZE + 1):
        x = i * 1.0 / _TABLE_SIZE
        table[i, 0] = ((a + 2) * x - (a + 3)) * x * x + 1
        x += 1.0
        table[i, 1] = ((a * x - 5 * a) * x + 8 * a) * x - 4 * a
    return table


def _bicubic(in_size: int, out_size: int) -> np.ndarray:
    table = _keys_table()
    scale = np.float32(in_size) / np.float32(out_size)
    weights = np.zeros((out_size, in_size))
    for i in range(out_size):
        src = (np.float32(i) + np.float32(0.5)) * scale - np.float32(0.5)
        base = math.floor(src)
        offset = int(np.rint(np.float32(src - np.float32(base)) * np.float32(_TABLE_SIZE)))
        taps = [table[offset, 1], table[offset, 0], table[_TABLE_SIZE - offset, 0],
                table[_TABLE_SIZE - offset, 1]]
        kept = [(base - 1 + k, np.float32(w)) for k, w in enumerate(taps)
                if 0 <= base - 1 + k < in_size]  # Keys: samples outside the image weigh 0
        total = np.float32(sum(w for _, w in kept))
        if abs(total) >= 1000.0 * np.finfo(np.float32).tiny:
            kept = [(j, w * (np.float32(1.0) / total)) for j, w in kept]
        for j, w in kept:
            weights[i, j] += float(w)
    return weights


def _area(in_size: int, out_size: int) -> np.ndarray:
    scale = np.float32(in_size) / np.float32(out_size)
    weights = np.zeros((out_size, in_size))
    for i in range(out_size):
        start, end = np.float32(i) * scale, np.float32(i + 1) * scale
        for cell in range(math.floor(start), math.ceil(end)):
            if cell < start:
                part = scale if cell + 1 > end else cell + 1 - start
            else:
                part = end - cell if cell + 1 > end else 1.0
            weights[i, min(max(cell, 0), in_size - 1)] += float(part) / float(scale)
    return weights


def _lanczos(radius: float):
    def kernel(x: float) -> float:
        x = abs(x)
        if x > radius:
            return 0.0
        if x <= 1e-3:
            return 1.0
        return radius * math.sin(math.pi * x) * math.sin(math.pi * x / radius) / (
            math.pi * math.pi * x * x)
    return kernel, radius


def _gaussian(x: float) -> float:
    radius, sigma = 1.5, 0.5
    x = abs(x)
    return 0.0 if x >= radius else math.exp(-x * x / (2.0 * sigma * sigma))


def _mitchell(x: float) -> float:
    x = abs(x)
    if x >= 2.0:
        return 0.0
    if x >= 1.0:
        return (((-7.0 / 18.0) * x + 2.0) * x - 10.0 / 3.0) * x + 16.0 / 9.0
    return (((7.0 / 6.0) * x - 2.0) * x) * x + 8.0 / 9.0


_KERNELS = {"lanczos3": _lanczos(3.0), "lanczos5": _lanczos(5.0), "gaussian": (_gaussian, 1.5),
            "mitchellcubic": (_mitchell, 2.0)}


def _scale_and_translate(in_size: int, out_size: int, method: str) -> np.ndarray:
    kernel, radius = _KERNELS[method]
    inv_scale = np.float32(1.0) / (np.float32(out_size) / np.float32(in_size))
    weights = np.zeros((out_size, in_size))
    for i in range(out_size):
        sample = (np.float32(i) + np.float32(0.5)) * inv_scale
        if sample < 0 or sample > in_size:
            continue
        start = min(max(math.ceil(sample - radius - 0.5), 0), in_size - 1)
        end = min(max(math.floor(sample + radius - 0.5), 0), in_size - 1) + 1
        taps = [np.float32(kernel(float(np.float32(j) + np.float32(0.5) - sample)))
                for j in range(start, end)]
        total = np.float32(sum(taps))
        if abs(total) >= 1000.0 * np.finfo(np.float32).tiny:
            taps = [t * (np.float32(1.0) / total) for t in taps]
        weights[i, start:end] = taps
    return weights


_MATRICES = {"bilinear": _bilinear, "bicubic": _bicubic, "area": _area}


@functools.lru_cache(maxsize=256)
def _axis_weights(in_size: int, out_size: int, method: str) -> np.ndarray:
    if method in _MATRICES:
        weights = _MATRICES[method](in_size, out_size)
    else:
        weights = _scale_and_translate(in_size, out_size, method)
    return weights.astype(np.float32)


def _contract(weights: np.ndarray, data: np.ndarray, axis: int) -> np.ndarray:
    """`weights (out, in)` applied along `axis` of `data` (one BLAS matmul)."""
    moved = np.moveaxis(data, axis, 0)
    out = weights @ moved.reshape(moved.shape[0], -1)
    return np.moveaxis(out.reshape((weights.shape[0],) + moved.shape[1:]), 0, axis)


def resize(images, size, interpolation: str = "bilinear") -> np.ndarray:
    """`tf.image.resize(images, size, method=interpolation)` for `(h, w, c)` or `(n, h, w, c)`.

    Returns float32, except `nearest`, which keeps the input's dtype (as TF).
    """
    if interpolation not in INTERPOLATIONS:
        raise ValueError(f"Argument `interpolation` should be one of {INTERPOLATIONS}. "
                         f"Received: interpolation={interpolation}")
    images = np.asarray(images)
    if images.ndim not in (3, 4):
        raise ValueError(f"resize expects (height, width, channels) or (batch, height, width, "
                         f"channels); got shape {images.shape}.")
    height, width = (int(s) for s in size)
    if height <= 0 or width <= 0:
        raise ValueError(f"resize: size must be positive, got {tuple(size)}.")
    in_h, in_w = images.shape[-3], images.shape[-2]
    if interpolation == "nearest":
        rows, cols = _nearest_index(in_h, height), _nearest_index(in_w, width)
        return images[..., rows[:, None], cols[None, :], :]
    wy, wx = _axis_weights(in_h, height, interpolation), _axis_weights(in_w, width, interpolation)
    out = _contract(wy, images.astype(np.float32), images.ndim - 3)
    return np.ascontiguousarray(_contract(wx, out, images.ndim - 2))


def crop_to_aspect_ratio(image: np.ndarray, size) -> np.ndarray:
    """The largest centred crop of `(h, w, c)` with `size`'s aspect ratio (Keras's smart_resize)."""
    height, width = image.shape[0], image.shape[1]
    target_height, target_width = size
    crop_height = int(np.float32(width * target_height) / np.float32(target_width))
    crop_height = max(min(height, crop_height), 1)
    crop_width = int(np.float32(height * target_width) / np.float32(target_height))
    crop_width = max(min(width, crop_width), 1)
    top = int(np.float32(height - crop_height) / np.float32(2))
    left = int(np.float32(width - crop_width) / np.float32(2))
    return image[top:top + crop_height, left:left + crop_width]


def resize_with_pad(image: np.ndarray, size, interpolation: str = "bilinear") -> np.ndarray:
    """`tf.image.resize_with_pad`: resize keeping the aspect ratio, then pad with zeros."""
    height, width = image.shape[0], image.shape[1]
    target_height, target_width = (int(s) for s in size)
    f32 = np.float32
    ratio = max(f32(width) / f32(target_width), f32(height) / f32(target_height))
    resized_height_f, resized_width_f = f32(height) / ratio, f32(width) / ratio
    new_h, new_w = int(np.floor(resized_height_f)), int(np.floor(resized_width_f))
    top = max(0, int(np.floor((f32(target_height) - resized_height_f) / f32(2))))
    left = max(0, int(np.floor((f32(target_width) - resized_width_f) / f32(2))))
    resized = resize(image, (new_h, new_w), interpolation)
    out = np.zeros((target_height, target_width, image.shape[2]), resized.dtype)
    out[top:top + new_h, left:left + new_w] = resized
    return out
