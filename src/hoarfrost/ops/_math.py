"""`keras.ops` math: segment reductions, top-k, FFTs and STFTs, special functions.

Keras 3's `keras/src/ops/math.py` as its JAX backend runs it. FFT ops take and
return complex tensors as `(real, imaginary)` pairs, as Keras's do.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np

from hoarfrost.ops._operation import compiled, keras_op, tensor

__all__ = [
    "cdist", "erf", "erfc", "erfinv", "extract_sequences", "fft", "fft2", "ifft2", "in_top_k",
    "irfft", "istft", "logdet", "logsumexp", "rfft", "rsqrt", "segment_max", "segment_min",
    "segment_prod", "segment_sum", "stft", "top_k", "view_as_complex", "view_as_real",
]


def _segment(reduce, name, data, segment_ids, num_segments, sorted):
    data, segment_ids = tensor(data), tensor(segment_ids)
    if segment_ids.ndim > 1:
        raise ValueError(f"{name}: `segment_ids` should be a 1-D vector, got shape "
                         f"{segment_ids.shape}.")
    if segment_ids.shape[0] != data.shape[0]:
        raise ValueError(f"{name}: `segment_ids` and `data` should have the same leading "
                         f"dimension, got {segment_ids.shape} and {data.shape}.")
    if num_segments is None:
        raise ValueError(f"{name}: `num_segments` must be set with the JAX backend (as in "
                         "Keras), got None.")
    return reduce(data, segment_ids, num_segments, indices_are_sorted=sorted)


@keras_op()
def segment_sum(data, segment_ids, num_segments=None, sorted=False):
    """The sum of `data` rows per segment id (`num_segments` rows out)."""
    return _segment(jax.ops.segment_sum, "segment_sum", data, segment_ids, num_segments, sorted)


@keras_op()
def segment_max(data, segment_ids, num_segments=None, sorted=False):
    """The maximum of `data` rows per segment id."""
    return _segment(jax.ops.segment_max, "segment_max", data, segment_ids, num_segments, sorted)


@keras_op()
def segment_min(data, segment_ids, num_segments=None, sorted=False):
    """The minimum of `data` rows per segment id."""
    return _segment(jax.ops.segment_min, "segment_min", data, segment_ids, num_segments, sorted)


@keras_op()
def segment_prod(data, segment_ids, num_segments=None, sorted=False):
    """The product of `data` rows per segment id."""
    return _segment(jax.ops.segment_prod, "segment_prod", data, segment_ids, num_segments,
                    sorted)


@keras_op()
def top_k(x, k, sorted=True):
    """The `k` largest values along the last axis and their indices (always sorted)."""
    return jax.lax.top_k(tensor(x), k)


@keras_op()
def in_top_k(targets, predictions, k):
    """Whether each target's prediction is among the `k` largest (NaN never is)."""
    targets, predictions = tensor(targets), tensor(predictions)
    at_label = jnp.take_along_axis(predictions, jnp.expand_dims(targets, axis=-1), axis=-1)
    at_label = jnp.where(jnp.isnan(at_label), -jnp.inf, at_label)
    rank = 1 + jnp.sum(jnp.greater(predictions, at_label), axis=-1)
    return jnp.less_equal(rank, k)


@keras_op()
def logsumexp(x, axis=None, keepdims=False):
    """`log(sum(exp(x)))` along `axis`, computed stably."""
    return jax.scipy.special.logsumexp(tensor(x), axis=axis, keepdims=keepdims)


@keras_op()
def cdist(x, y):
    """The Euclidean distance between each row of `x` and each row of `y` (batched)."""
    x, y = tensor(x), tensor(y)
    if x.ndim < 2 or y.ndim < 2:
        raise ValueError("cdist: inputs must have rank >= 2.")
    if x.shape[-1] != y.shape[-1]:
        raise ValueError("cdist: the last dimension of the inputs must match, got "
                         f"{x.shape} and {y.shape}.")
    diff = jnp.expand_dims(x, -2) - jnp.expand_dims(y, -3)
    return jnp.sqrt(jnp.sum(diff * diff, axis=-1))


@keras_op()
def extract_sequences(x, sequence_length, sequence_stride):
    """Frames of `sequence_length` samples every `sequence_stride` along the last axis."""
    x = tensor(x)
    *batch_shape, signal_length = x.shape
    x = jnp.reshape(x, (math.prod(batch_shape), signal_length, 1))
    x = jax.lax.conv_general_dilated_patches(x, (sequence_length,), (sequence_stride,), "VALID",
                                             dimension_numbers=("NTC", "OIT", "NTC"))
    return jnp.reshape(x, (*batch_shape, *x.shape[-2:]))


def _complex(x):
    """The complex tensor of a `(real, imaginary)` pair of float tensors."""
    if not isinstance(x, (tuple, list)) or len(x) != 2:
        raise ValueError(f"Expected a tuple (real, imaginary) of two tensors, got {x!r}.")
    real, imag = tensor(x[0]), tensor(x[1])
    if real.shape != imag.shape:
        raise ValueError("The real and imaginary parts must have the same shape, got "
                         f"{real.shape} and {imag.shape}.")
    if not (jnp.issubdtype(real.dtype, jnp.floating) and jnp.issubdtype(imag.dtype, jnp.floating)):
        raise ValueError(f"The real and imaginary parts must be floats, got {real.dtype} and "
                         f"{imag.dtype}.")
    return jax.lax.complex(real, imag)


def _pair(z):
    return jnp.real(z), jnp.imag(z)


@keras_op()
def fft(x):
    """The FFT along the last axis of `x = (real, imaginary)`; returns such a pair."""
    return _pair(jnp.fft.fft(_complex(x)))


@keras_op()
def fft2(x):
    """The 2-D FFT over the last two axes of `x = (real, imaginary)`."""
    return _pair(jnp.fft.fft2(_complex(x)))


@keras_op()
def ifft2(x):
    """The inverse 2-D FFT over the last two axes of `x = (real, imaginary)`."""
    return _pair(jnp.fft.ifft2(_complex(x)))


@keras_op()
def rfft(x, fft_length=None):
    """The FFT of the real `x` along its last axis: `(real, imaginary)` of the positive half."""
    return _pair(jnp.fft.rfft(tensor(x), n=fft_length, axis=-1, norm="backward"))


@keras_op()
def irfft(x, fft_length=None):
    """The real inverse of `rfft`, from `x = (real, imaginary)`."""
    return jnp.fft.irfft(_complex(x), n=fft_length, axis=-1, norm="backward")


def _window(window, sequence_length: int, l_pad: int, r_pad: int, dtype):
    """The analysis window padded to the FFT length (SciPy's periodic Hann or Hamming)."""
    if window is None:
        return jnp.ones(sequence_length + l_pad + r_pad, dtype=dtype)
    if isinstance(window, str):
        if window not in ("hann", "hamming"):
            raise ValueError(f'A string `window` must be "hann" or "hamming", got {window!r}.')
        phase = np.cos(2 * np.pi * np.arange(sequence_length) / sequence_length)
        values = 0.5 - 0.5 * phase if window == "hann" else 0.54 - 0.46 * phase
        win = jnp.asarray(values, dtype=dtype)
    else:
        win = tensor(window, dtype=dtype)
    if win.ndim != 1 or win.shape[-1] != sequence_length:
        raise ValueError("The shape of `window` must be (sequence_length,), got "
                         f"{win.shape}.")
    return jnp.pad(win, [[l_pad, r_pad]])


@keras_op()
@compiled
def stft(x, sequence_length, sequence_stride, fft_length, window="hann", center=True):
    """The short-time Fourier transform along the last axis: `(real, imaginary)` frames.

    Args:
        sequence_length: the window length.
        sequence_stride: the hop between frames.
        fft_length: the FFT size (at least `sequence_length`).
        window: "hann", "hamming", a tensor of `sequence_length` values, or None.
        center: pad `x` by `fft_length // 2` on both sides (reflected).
    """
    if not isinstance(sequence_stride, int) or sequence_stride <= 0:
        raise ValueError(f"stft: `sequence_stride` must be a positive int, got "
                         f"{sequence_stride!r}.")
    x = tensor(x)
    if x.dtype.name not in ("float32", "float64"):
        raise TypeError(f"stft: expected float32 or float64 input, got {x.dtype}.")
    if fft_length < sequence_length:
        raise ValueError(f"stft: `fft_length` ({fft_length}) must be at least "
                         f"`sequence_length` ({sequence_length}).")
    if center:
        pad_width = [(0, 0)] * (x.ndim - 1) + [(fft_length // 2, fft_length // 2)]
        x = jnp.pad(x, pad_width, mode="reflect")
    l_pad = (fft_length - sequence_length) // 2
    r_pad = fft_length - sequence_length - l_pad
    win = _window(window, sequence_length, l_pad, r_pad, x.dtype)
    frame = sequence_length + l_pad + r_pad
    result = jax.scipy.signal.stft(x, fs=1.0, window=win, nperseg=frame,
                                   noverlap=frame - sequence_stride, nfft=fft_length,
                                   boundary=None, padded=False)[-1]
    result = result / jnp.sqrt(1.0 / win.sum() ** 2)
    return _pair(jnp.swapaxes(result, -2, -1))


@keras_op()
@compiled
def istft(x, sequence_length, sequence_stride, fft_length, length=None, window="hann",
          center=True):
    """The inverse of `stft`, from `x = (real, imaginary)` frames."""
    if not isinstance(sequence_stride, int) or sequence_stride <= 0:
        raise ValueError(f"istft: `sequence_stride` must be a positive int, got "
                         f"{sequence_stride!r}.")
    x = _complex(x)
    dtype = jnp.real(x).dtype
    if x.ndim < 2:
        raise ValueError(f"istft: x must have at least 2 dimensions, got shape {x.shape}.")
    expected_output_len = fft_length + sequence_stride * (x.shape[-2] - 1)
    l_pad = (fft_length - sequence_length) // 2
    r_pad = fft_length - sequence_length - l_pad
    win = _window(window, sequence_length, l_pad, r_pad, dtype)
    frame = sequence_length + l_pad + r_pad
    x = jax.scipy.signal.istft(x, fs=1.0, window=win, nperseg=frame,
                               noverlap=frame - sequence_stride, nfft=fft_length,
                               boundary=False, time_axis=-2, freq_axis=-1)[-1]
    x = x / win.sum() if window is not None else x / sequence_stride
    start = 0 if center is False else fft_length // 2
    if length is not None:
        end = start + length
    elif center is True:
        end = -(fft_length // 2)
    else:
        end = expected_output_len
    return x[..., start:end]


@keras_op()
def rsqrt(x):
    """`1 / sqrt(x)`, element-wise."""
    return jax.lax.rsqrt(tensor(x))


@keras_op()
def erf(x):
    """The error function, element-wise."""
    return jax.lax.erf(tensor(x))


@keras_op()
def erfc(x):
    """The complementary error function `1 - erf(x)`, element-wise."""
    return jax.scipy.special.erfc(tensor(x))


@keras_op()
def erfinv(x):
    """The inverse error function, element-wise."""
    return jax.scipy.special.erfinv(tensor(x))


@keras_op()
def logdet(x):
    """The log of the determinant of a Hermitian positive definite matrix."""
    return jnp.linalg.slogdet(tensor(x))[1]


@keras_op()
def view_as_complex(x):
    """A complex64 tensor from a real one whose last axis holds (real, imaginary)."""
    x = tensor(x)
    if x.ndim < 1 or x.shape[-1] != 2:
        raise ValueError("view_as_complex: the last dimension of x must be 2 (real and "
                         f"imaginary), got shape {x.shape}.")
    return x[..., 0].astype("complex64") + 1j * x[..., 1].astype("complex64")


@keras_op()
def view_as_real(x):
    """The real and imaginary parts of a complex tensor, stacked on a new last axis."""
    x = tensor(x)
    return jnp.stack((jnp.real(x), jnp.imag(x)), axis=-1)
