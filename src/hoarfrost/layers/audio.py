"""Audio preprocessing: `STFTSpectrogram` (a short-time Fourier transform as a
convolution with trainable DFT kernels) and `MelSpectrogram` (mel-scaled power
spectrograms in decibels), as Keras 3's layers."""

from __future__ import annotations

import math

import jax.numpy as jnp

from hoarfrost import initializers
from hoarfrost.config import standardize_data_format
from hoarfrost.layers.convolutional import conv
from hoarfrost.layers.layer import InputSpec, Layer
from hoarfrost.ops import extract_sequences, stft

_MODES = ("log", "magnitude", "psd", "real", "imag", "angle", "stft")
_EPSILON = 1e-7
_MEL_BREAK_FREQUENCY_HERTZ = 700.0
_MEL_HIGH_FREQUENCY_Q = 1127.0


class STFTSpectrogram(Layer):
    """Spectrograms of multi-channel signals, computed as a strided convolution with
    the real and imaginary DFT kernels (`real_kernel`, `imag_kernel`: weights,
    initialized by `initializers.STFT` and trainable, as Keras).

    Inputs are `(batch, time, channels)` (channels_last) or `(batch, channels,
    time)`; outputs `(batch, frames, channels * bins)` (or with `expand_dims`
    `(batch, frames, bins, channels)`), `bins = fft_length // 2 + 1` (twice
    that for `mode="stft"`).

    Args:
        mode: `"log"` (log magnitude, default), `"magnitude"`, `"psd"` (power
            spectral density), `"real"`, `"imag"`, `"angle"` or `"stft"` (real
            and imaginary parts side by side).
        frame_length: the window's length in samples (256).
        frame_step: the hop between frames (`frame_length // 2`).
        fft_length: the FFT size (the next power of two >= frame_length).
        window: a window name (`"hann"`, `"hamming"`, ...), an array or None.
        periodic: use the periodic form of a named window.
        scaling: `"density"` (default), `"spectrum"` or None.
        padding: `"valid"` (default) or `"same"`.
        expand_dims: keep channels on their own axis.
        data_format: `"channels_last"` (default) or `"channels_first"`.
    """

    def __init__(self, mode="log", frame_length=256, frame_step=None, fft_length=None,
                 window="hann", periodic=False, scaling="density", padding="valid",
                 expand_dims=False, data_format=None, **kwargs):
        if frame_step is not None and (frame_step > frame_length or frame_step < 1):
            raise ValueError("STFTSpectrogram: `frame_step` should be a positive integer not "
                             f"greater than `frame_length`. Received frame_step={frame_step}, "
                             f"frame_length={frame_length}")
        if fft_length is not None and fft_length < frame_length:
            raise ValueError("STFTSpectrogram: `fft_length` should be not less than "
                             f"`frame_length`. Received fft_length={fft_length}, "
                             f"frame_length={frame_length}")
        if mode not in _MODES:
            raise ValueError(f"STFTSpectrogram: output mode is invalid, it must be one of "
                             f"{', '.join(_MODES)}. Received: mode={mode}")
        if scaling is not None and scaling not in ("density", "spectrum"):
            raise ValueError("STFTSpectrogram: scaling is invalid, it must be `None`, "
                             f"'density' or 'spectrum'. Received scaling={scaling}")
        if padding not in ("valid", "same"):
            raise ValueError("STFTSpectrogram: padding is invalid, it should be 'valid', "
                             f"'same'. Received: padding={padding}")
        initializers.STFT("real", window, scaling, periodic)  # checks the window name
        super().__init__(**kwargs)
        self.mode = mode
        self.frame_length = frame_length
        self.frame_step = frame_step
        self._frame_step = frame_step or frame_length // 2
        self.fft_length = fft_length
        self._fft_length = fft_length or 2 ** int(math.ceil(math.log2(frame_length)))
        self.window = window
        self.periodic = periodic
        self.scaling = scaling
        self.padding = padding
        self.expand_dims = expand_dims
        self.data_format = standardize_data_format(data_format, "STFTSpectrogram")
        self.input_spec = InputSpec(ndim=3)
        self.real_kernel = self.imag_kernel = None

    def build(self, input_shape):
        shape = (self.frame_length, 1, self._fft_length // 2 + 1)
        if self.mode != "imag":
            self.real_kernel = self.add_weight(
                name="real_kernel", shape=shape,
                initializer=initializers.STFT("real", self.window, self.scaling, self.periodic))
        if self.mode != "real":
            self.imag_kernel = self.add_weight(
                name="imag_kernel", shape=shape,
                initializer=initializers.STFT("imag", self.window, self.scaling, self.periodic))
        self.built = True

    def _apply_conv(self, inputs, kernel):
        """`(batch, channels, bins, frames)`: every channel convolved on its own."""
        if self.data_format == "channels_last":
            _, time, channels = inputs.shape
            signals = jnp.transpose(inputs, (0, 2, 1)).reshape(-1, time, 1)
        else:
            _, channels, time = inputs.shape
            signals = inputs.reshape(-1, time, 1)
        out = conv(signals, kernel.astype(inputs.dtype), (self._frame_step,), self.padding,
                   (1,))
        return jnp.transpose(out, (0, 2, 1)).reshape(-1, channels, out.shape[2], out.shape[1])

    def _adjust_shapes(self, outputs):
        _, channels, bins, frames = outputs.shape
        if self.expand_dims:
            order = (0, 3, 2, 1) if self.data_format == "channels_last" else (0, 1, 3, 2)
            return jnp.transpose(outputs, order)
        outputs = outputs.reshape(-1, channels * bins, frames)
        return jnp.transpose(outputs, (0, 2, 1)) if self.data_format == "channels_last" \
            else outputs

    def call(self, inputs):
        if inputs.dtype not in (jnp.float16, jnp.float32, jnp.float64):
            raise TypeError("STFTSpectrogram: invalid input type. Expected `float16`, "
                            f"`float32` or `float64`. Received: input type={inputs.dtype}")
        real = imag = None
        if self.mode != "imag":
            real = self._apply_conv(inputs, self.real_kernel.value)
        if self.mode != "real":
            imag = self._apply_conv(inputs, self.imag_kernel.value)
        if self.mode == "real":
            return self._adjust_shapes(real)
        if self.mode == "imag":
            return self._adjust_shapes(imag)
        if self.mode == "angle":
            return self._adjust_shapes(jnp.arctan2(imag, real))
        if self.mode == "stft":
            return self._adjust_shapes(jnp.concatenate([real, imag], axis=2))
        power = jnp.square(real) + jnp.square(imag)
        if self.mode == "psd":
            return self._adjust_shapes(
                power + jnp.pad(power[:, :, 1:-1, :], ((0, 0), (0, 0), (1, 1), (0, 0))))
        magnitude = self._adjust_shapes(jnp.sqrt(jnp.maximum(power, _EPSILON)))
        if self.mode == "magnitude":
            return magnitude
        return jnp.log(jnp.maximum(magnitude, _EPSILON))

    def get_config(self):
        return {**super().get_config(), "mode": self.mode, "frame_length": self.frame_length,
                "frame_step": self.frame_step, "fft_length": self.fft_length,
                "window": self.window, "periodic": self.periodic, "scaling": self.scaling,
                "padding": self.padding, "data_format": self.data_format,
                "expand_dims": self.expand_dims}


def _hertz_to_mel(frequencies):
    return _MEL_HIGH_FREQUENCY_Q * jnp.log(1.0 + frequencies / _MEL_BREAK_FREQUENCY_HERTZ)


def linear_to_mel_weight_matrix(num_mel_bins, num_spectrogram_bins, sampling_rate,
                                lower_edge_hertz, upper_edge_hertz, dtype="float32"):
    """Keras's (TensorFlow's) matrix of triangular mel filters, `(bins, num_mel_bins)`;
    the DC bin gets no weight."""
    nyquist = jnp.asarray(sampling_rate, dtype) / 2.0
    linear = jnp.linspace(jnp.asarray(0.0, dtype), nyquist, num_spectrogram_bins)[1:]
    bins_mel = _hertz_to_mel(linear)[:, None]
    edges = extract_sequences(
        jnp.linspace(_hertz_to_mel(jnp.asarray(lower_edge_hertz, dtype)),
                     _hertz_to_mel(jnp.asarray(upper_edge_hertz, dtype)), num_mel_bins + 2),
        sequence_length=3, sequence_stride=1)
    lower, center, upper = (e.reshape(1, num_mel_bins) for e in jnp.split(edges, 3, axis=1))
    lower_slopes = (bins_mel - lower) / (center - lower)
    upper_slopes = (upper - bins_mel) / (upper - center)
    weights = jnp.maximum(0.0, jnp.minimum(lower_slopes, upper_slopes))
    return jnp.pad(weights, ((1, 0), (0, 0)))


class MelSpectrogram(Layer):
    """Mel spectrograms of `(batch, samples)` (or `(samples,)`) audio, in decibels:
    `(batch, num_mel_bins, frames)`, as `keras.layers.MelSpectrogram`.

    The STFT (centered frames of `sequence_length` samples every
    `sequence_stride`, an `fft_length` FFT, a `window`) gives magnitudes,
    raised to `mag_exp`, mapped onto `num_mel_bins` triangular mel filters
    between `min_freq` and `max_freq`, and (with `power_to_db`) converted to
    decibels relative to `ref_power`, floored at `min_power` and at `top_db`
    below the batch's maximum.

    Args:
        fft_length (2048), sequence_stride (512), sequence_length
        (`fft_length`), window (`"hann"`, `"hamming"` or None), sampling_rate
        (16000), num_mel_bins (128), min_freq (20.0), max_freq
        (`sampling_rate / 2`), power_to_db (True), top_db (80.0), mag_exp
        (2.0: power), min_power (1e-10), ref_power (1.0): as Keras.
    """

    def __init__(self, fft_length=2048, sequence_stride=512, sequence_length=None,
                 window="hann", sampling_rate=16000, num_mel_bins=128, min_freq=20.0,
                 max_freq=None, power_to_db=True, top_db=80.0, mag_exp=2.0, min_power=1e-10,
                 ref_power=1.0, **kwargs):
        self.fft_length = fft_length
        self.sequence_stride = sequence_stride
        self.sequence_length = sequence_length or fft_length
        if self.fft_length < self.sequence_length:
            raise ValueError("MelSpectrogram: `fft_length` must be greater than or equal to "
                             f"`sequence_length`. Received: `sequence_length`="
                             f"{self.sequence_length}, `fft_length`={self.fft_length}.")
        self.window = window
        self.sampling_rate = sampling_rate
        self.num_mel_bins = num_mel_bins
        self.min_freq = min_freq
        self.max_freq = max_freq or int(sampling_rate / 2)
        self.power_to_db = power_to_db
        self.top_db = top_db
        self.mag_exp = mag_exp
        self.min_power = min_power
        self.ref_power = ref_power
        super().__init__(**kwargs)
        self.built = True

    def call(self, inputs):
        dtype = self.compute_dtype if self.compute_dtype in ("float32", "float64") \
            else "float32"
        inputs = jnp.asarray(inputs, dtype)
        real, imag = stft(inputs, sequence_length=self.sequence_length,
                          sequence_stride=self.sequence_stride, fft_length=self.fft_length,
                          window=self.window, center=True)
        spectrum = jnp.power(jnp.sqrt(jnp.square(real) + jnp.square(imag)), self.mag_exp)
        matrix = linear_to_mel_weight_matrix(self.num_mel_bins, spectrum.shape[-1],
                                             self.sampling_rate, self.min_freq, self.max_freq)
        outputs = jnp.tensordot(spectrum, matrix, axes=1)
        if self.power_to_db:
            outputs = 10.0 * jnp.log10(jnp.maximum(outputs, self.min_power))
            reference = jnp.abs(jnp.asarray(self.ref_power, outputs.dtype))
            outputs = outputs - 10.0 * jnp.log10(jnp.maximum(reference, self.min_power))
            outputs = jnp.maximum(outputs, jnp.max(outputs) - self.top_db)
        return jnp.swapaxes(outputs, -1, -2).astype(self.compute_dtype)

    def get_config(self):
        return {**super().get_config(), "fft_length": self.fft_length,
                "sequence_stride": self.sequence_stride,
                "sequence_length": self.sequence_length, "window": self.window,
                "sampling_rate": self.sampling_rate, "num_mel_bins": self.num_mel_bins,
                "min_freq": self.min_freq, "max_freq": self.max_freq,
                "power_to_db": self.power_to_db, "top_db": self.top_db,
                "mag_exp": self.mag_exp, "min_power": self.min_power,
                "ref_power": self.ref_power}
