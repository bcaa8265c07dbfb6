"""Weight initializers with Keras 3's names, arguments, defaults and statistics.

Found by class, by instance, by name (`"he_normal"`, `"HeNormal"`), by config,
or given as a function `(shape, dtype) -> array` or an array of the right
shape. The deterministic ones (`Zeros`, `Ones`, `Constant`, `Identity`,
`STFT`) give Keras's values exactly; the random ones Keras's distributions:

- `seed=None` draws from hoarfrost's global stream (`set_random_seed` fixes
  it), a new draw each call;
- an int seed gives the same values at every call (as in Keras), not
  Keras's values: sampling runs on the host with NumPy, since weights are
  created once, eagerly, and eager JAX sampling would compile a kernel per
  new shape (0.3-2 s each on a CPU);
- a `SeedGenerator` advances at every call.

Example:
    >>> init = hoarfrost.initializers.get("orthogonal")
    >>> w = init((4, 4))
    >>> bool(jnp.allclose(w.T @ w, jnp.eye(4), atol=1e-5))
    True
"""

from __future__ import annotations

import math
from typing import Any, Callable

import jax
import jax.numpy as jnp
import numpy as np

from hoarfrost import config
from hoarfrost._objects import deserialize_object, serialize_object
from hoarfrost.host import to_device
from hoarfrost.random import SeedGenerator, global_key


def _dtype(dtype) -> np.dtype:
    return jnp.dtype(config.floatx() if dtype is None else dtype)


def compute_fans(shape, input_axes=None, output_axes=None) -> tuple[int, int]:
    """Keras's fan-in and fan-out (kernels of conv layers count their window).

    Args:
        input_axes, output_axes: the axes holding input and output units; by
            default the last two (a Dense or conv kernel's).
    """
    shape = tuple(shape)
    if input_axes is not None and output_axes is not None:
        return (int(math.prod(shape[a] for a in input_axes)),
                int(math.prod(shape[a] for a in output_axes)))
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    if len(shape) == 2:
        return shape[0], shape[1]
    receptive_field = math.prod(shape[:-2])
    return shape[-2] * receptive_field, shape[-1] * receptive_field


class Initializer:
    """Base class: `initializer(shape, dtype=None)` returns a new array.

    Subclass it with `__call__(self, shape, dtype=None)` and, to save it,
    `get_config()`.
    """

    def __call__(self, shape, dtype=None):
        raise NotImplementedError("Initializer subclasses must implement the `__call__()` "
                                  "method.")

    def get_config(self) -> dict[str, Any]:
        return {}

    @classmethod
    def from_config(cls, config: dict[str, Any]):
        return cls(**config)

    def clone(self):
        return type(self).from_config(self.get_config())


# --- deterministic -----------------------------------------------------------------------
class Constant(Initializer):
    """Every entry `value` (a scalar, or an array broadcast to the shape)."""

    def __init__(self, value=0.0):
        self.value = value

    def __call__(self, shape, dtype=None):
        value = np.asarray(self.value, _dtype(dtype))
        return to_device(np.broadcast_to(value, tuple(shape)))

    def get_config(self):
        value = self.value
        return {"value": value.tolist() if isinstance(value, np.ndarray) else value}

    @classmethod
    def from_config(cls, config):
        return cls(config.get("value", 0.0))


class Zeros(Initializer):
    """Every entry 0."""

    def __call__(self, shape, dtype=None):
        return to_device(np.zeros(tuple(shape), _dtype(dtype)))


class Ones(Initializer):
    """Every entry 1."""

    def __call__(self, shape, dtype=None):
        return to_device(np.ones(tuple(shape), _dtype(dtype)))


class Identity(Initializer):
    """`gain` times the identity matrix (2-D shapes only; rectangular ones allowed)."""

    def __init__(self, gain: float = 1.0):
        self.gain = gain

    def __call__(self, shape, dtype=None):
        if len(shape) != 2:
            raise ValueError("Identity matrix initializer can only be used for 2D matrices. "
                             f"Received: shape={tuple(shape)} of rank {len(shape)}.")
        dtype = _dtype(dtype)
        return to_device(np.asarray(self.gain, dtype) * np.eye(*shape, dtype=dtype))

    def get_config(self):
        return {"gain": self.gain}


_WINDOWS = {
    "hann": lambda m: np.hanning(m), "hanning": lambda m: np.hanning(m),
    "hamming": lambda m: np.hamming(m), "blackman": lambda m: np.blackman(m),
    "bartlett": lambda m: np.bartlett(m), "boxcar": lambda m: np.ones(m),
    "rect": lambda m: np.ones(m), "rectangular": lambda m: np.ones(m), "ones": lambda m: np.ones(m),
}


def _window(name: str, length: int, periodic: bool) -> np.ndarray:
    """scipy.signal.get_window's values for the common windows (no SciPy needed)."""
    make = _WINDOWS[name]
    return make(length + 1)[:-1] if periodic else make(length)


class STFT(Initializer):
    """Kernels of a convolution that computes a short-time Fourier transform.

    The shape is `(frame_length, 1, fft_length // 2 + 1)`; each kernel is the
    real (`side="real"`) or imaginary part of the DFT basis, times the window.

    Args:
        side: `"real"` or `"imag"`.
        window: a window name (`"hann"`, `"hamming"`, `"blackman"`,
            `"bartlett"`, `"boxcar"`), an array of `frame_length` values, or None.
        scaling: `"density"` (divide by the window's L2 norm), `"spectrum"`
            (its L1 norm) or None.
        periodic: use the periodic (DFT-even) form of a named window.
    """

    def __init__(self, side: str = "real", window="hann", scaling: str | None = "density",
                 periodic: bool = False):
        if side not in ("real", "imag"):
            raise ValueError(f"side should be 'real' or 'imag', not {side}")
        if isinstance(window, str) and window not in _WINDOWS:
            raise ValueError(f"STFT: window {window!r} is not supported without SciPy; use one "
                             f"of {sorted(_WINDOWS)}, or pass the window's values as an array.")
        if scaling is not None and scaling not in ("density", "spectrum"):
            raise ValueError("Scaling is invalid, it must be `None`, 'density' or 'spectrum'. "
                             f"Received scaling={scaling}")
        self.side, self.window, self.scaling, self.periodic = side, window, scaling, periodic

    def __call__(self, shape, dtype=None):
        dtype = _dtype(dtype)
        frame_length, _, fft_length = shape
        win, scaling = None, 1
        if self.window is not None:
            win = self.window
            if isinstance(win, str):
                win = _window(win, frame_length, self.periodic)
            win = np.asarray(win, dtype)
            if win.ndim != 1 or win.shape[-1] != frame_length:
                raise ValueError("The shape of `window` must be equal to [frame_length]."
                                 f"Received: window shape={win.shape}")
            win = win.reshape(frame_length, 1, 1)
            if self.scaling == "density":
                scaling = np.sqrt(np.sum(np.square(win)))
            elif self.scaling == "spectrum":
                scaling = np.sum(np.abs(win))
        freq = np.arange(fft_length, dtype=dtype).reshape(1, 1, fft_length) / dtype.type(
            (fft_length - 1) * 2)
        time = np.arange(frame_length, dtype=dtype).reshape(frame_length, 1, 1)
        args = (-2 * time * freq) * np.arccos(dtype.type(-1))
        kernel = (np.cos(args) if self.side == "real" else np.sin(args)).astype(dtype)
        if win is not None:
            kernel = kernel * win / scaling
        return to_device(kernel.astype(dtype))

    def get_config(self):
        window = self.window.tolist() if isinstance(self.window, np.ndarray) else self.window
        return {"side": self.side, "window": window, "periodic": self.periodic,
                "scaling": self.scaling}


# --- random ------------------------------------------------------------------------------
class RandomInitializer(Initializer):
    """Base of the random initializers: the seed and the host-side sampler.

    Args:
        seed: None (the global stream), an int (the same values every call)
            or a `SeedGenerator` (advanced every call).
    """

    def __init__(self, seed=None):
        if isinstance(seed, dict):
            seed = SeedGenerator.from_config(seed.get("config", seed))
        if seed is not None and not isinstance(seed, (int, np.integer, SeedGenerator)) \
                or isinstance(seed, bool):
            raise ValueError("`seed` argument should be an instance of "
                             "`hoarfrost.random.SeedGenerator()` or an integer. "
                             f"Received: seed={seed!r}")
        self.seed = seed

    def _rng(self) -> np.random.Generator:
        if isinstance(self.seed, SeedGenerator):
            with jax.ensure_compile_time_eval():
                words = np.asarray(self.seed.next()).ravel()
        elif self.seed is not None:
            words = np.array([int(self.seed)])
        else:
            with jax.ensure_compile_time_eval():
                words = np.asarray(jax.random.key_data(global_key())).ravel()
        return np.random.default_rng([int(w) for w in words])

    def _seed_config(self):
        if isinstance(self.seed, SeedGenerator):
            return {"module": "keras.random", "class_name": "SeedGenerator",
                    "config": self.seed.get_config(), "registered_name": None}
        return self.seed

    def get_config(self):
        return {"seed": self._seed_config()}


class RandomNormal(RandomInitializer):
    """Samples from N(mean, stddev**2)."""

    def __init__(self, mean: float = 0.0, stddev: float = 0.05, seed=None):
        self.mean, self.stddev = mean, stddev
        super().__init__(seed)

    def __call__(self, shape, dtype=None):
        sample = self.mean + self.stddev * self._rng().standard_normal(tuple(shape))
        return to_device(sample, _dtype(dtype))

    def get_config(self):
        return {**super().get_config(), "mean": self.mean, "stddev": self.stddev}


class RandomUniform(RandomInitializer):
    """Samples from U[minval, maxval)."""

    def __init__(self, minval: float = -0.05, maxval: float = 0.05, seed=None):
        self.minval, self.maxval = minval, maxval
        super().__init__(seed)

    def __call__(self, shape, dtype=None):
        sample = self._rng().uniform(self.minval, self.maxval, tuple(shape))
        return to_device(sample, _dtype(dtype))

    def get_config(self):
        return {**super().get_config(), "minval": self.minval, "maxval": self.maxval}


class TruncatedNormal(RandomInitializer):
    """Samples from N(mean, stddev**2), redrawn beyond two standard deviations."""

    def __init__(self, mean: float = 0.0, stddev: float = 0.05, seed=None):
        self.mean, self.stddev = mean, stddev
        super().__init__(seed)

    def __call__(self, shape, dtype=None):
        sample = self.mean + self.stddev * _truncated_normal(self._rng(), tuple(shape))
        return to_device(sample, _dtype(dtype))

    def get_config(self):
        return {**super().get_config(), "mean": self.mean, "stddev": self.stddev}


class VarianceScaling(RandomInitializer):
    """Samples with variance `scale / n`, n the fan given by `mode` (Keras's definition).

    Args:
        scale: a positive factor.
        mode: `"fan_in"`, `"fan_out"` or `"fan_avg"`.
        distribution: `"truncated_normal"` (`"normal"` is an alias; the
            standard deviation is corrected for the truncation),
            `"untruncated_normal"` or `"uniform"` (within `±sqrt(3 * scale / n)`).
        seed: see `RandomInitializer`.
        input_axes, output_axes: the axes of the input and output units, when
            they are not the last two.
    """

    def __init__(self, scale: float = 1.0, mode: str = "fan_in",
                 distribution: str = "truncated_normal", seed=None, input_axes=None,
                 output_axes=None):
        if scale <= 0.0:
            raise ValueError(f"Argument `scale` must be positive float. Received: scale={scale}")
        if mode not in ("fan_in", "fan_out", "fan_avg"):
            raise ValueError(f"Invalid `mode` argument: {mode}. Please use one of "
                             "{'fan_in', 'fan_out', 'fan_avg'}")
        distribution = str(distribution).lower()
        if distribution == "normal":
            distribution = "truncated_normal"
        if distribution not in ("truncated_normal", "untruncated_normal", "uniform"):
            raise ValueError(f"Invalid `distribution` argument: {distribution}. Please use one "
                             "of {'uniform', 'truncated_normal', 'untruncated_normal'}")
        self.scale, self.mode, self.distribution = scale, mode, distribution
        self.input_axes, self.output_axes = input_axes, output_axes
        super().__init__(seed)

    def __call__(self, shape, dtype=None):
        shape = tuple(shape)
        fan_in, fan_out = compute_fans(shape, self.input_axes, self.output_axes)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}[self.mode]
        scale = self.scale / max(1.0, n)
        rng = self._rng()
        if self.distribution == "truncated_normal":
            sample = math.sqrt(scale) / 0.87962566103423978 * _truncated_normal(rng, shape)
        elif self.distribution == "untruncated_normal":
            sample = math.sqrt(scale) * rng.standard_normal(shape)
        else:
            limit = math.sqrt(3.0 * scale)
            sample = rng.uniform(-limit, limit, shape)
        return to_device(sample, _dtype(dtype))

    def get_config(self):
        return {**super().get_config(), "scale": self.scale, "mode": self.mode,
                "distribution": self.distribution, "input_axes": self.input_axes,
                "output_axes": self.output_axes}


def _variance_scaling(name: str, scale: float, mode: str, distribution: str, doc: str):
    class _Preset(VarianceScaling):
        def __init__(self, seed=None, input_axes=None, output_axes=None):
            super().__init__(scale, mode, distribution, seed, input_axes, output_axes)

        def get_config(self):
            return {"seed": self._seed_config(), "input_axes": self.input_axes,
                    "output_axes": self.output_axes}

    _Preset.__name__ = _Preset.__qualname__ = name
    _Preset.__doc__ = doc
    return _Preset


GlorotUniform = _variance_scaling(
    "GlorotUniform", 1.0, "fan_avg", "uniform",
    "Glorot (Xavier) uniform: U[-limit, limit], limit = sqrt(6 / (fan_in + fan_out)).")
GlorotNormal = _variance_scaling(
    "GlorotNormal", 1.0, "fan_avg", "truncated_normal",
    "Glorot (Xavier) normal: truncated normal of stddev sqrt(2 / (fan_in + fan_out)).")
HeUniform = _variance_scaling(
    "HeUniform", 2.0, "fan_in", "uniform",
    "He uniform: U[-limit, limit], limit = sqrt(6 / fan_in).")
HeNormal = _variance_scaling(
    "HeNormal", 2.0, "fan_in", "truncated_normal",
    "He normal: truncated normal of stddev sqrt(2 / fan_in).")
LecunUniform = _variance_scaling(
    "LecunUniform", 1.0, "fan_in", "uniform",
    "LeCun uniform: U[-limit, limit], limit = sqrt(3 / fan_in).")
LecunNormal = _variance_scaling(
    "LecunNormal", 1.0, "fan_in", "truncated_normal",
    "LeCun normal: truncated normal of stddev sqrt(1 / fan_in).")


class Orthogonal(RandomInitializer):
    """An orthogonal matrix (columns, or rows when wider than tall), times `gain`.

    Shapes of rank > 2 are flattened to `(prod(shape[:-1]), shape[-1])`.
    """

    def __init__(self, gain: float = 1.0, seed=None):
        self.gain = gain
        super().__init__(seed)

    def __call__(self, shape, dtype=None):
        shape = tuple(shape)
        if len(shape) < 2:
            raise ValueError("The tensor to initialize must be at least two-dimensional. "
                             f"Received: shape={shape} of rank {len(shape)}.")
        rows, cols = math.prod(shape[:-1]), shape[-1]
        flat = self._rng().standard_normal((max(rows, cols), min(rows, cols)))
        q, r = np.linalg.qr(flat)
        q = q * np.sign(np.diag(r))
        q = q if rows >= cols else q.T
        return to_device(self.gain * q.reshape(shape), _dtype(dtype))

    def get_config(self):
        return {**super().get_config(), "gain": self.gain}


def _truncated_normal(rng: np.random.Generator, shape) -> np.ndarray:
    """Standard normal samples redrawn until within two standard deviations."""
    sample = rng.standard_normal(shape)
    outside = np.abs(sample) > 2.0
    while outside.any():
        sample[outside] = rng.standard_normal(int(outside.sum()))
        outside = np.abs(sample) > 2.0
    return sample


# Keras's lower-case shortcuts are the classes.
constant, zeros, ones, identity, stft = Constant, Zeros, Ones, Identity, STFT
random_normal, random_uniform, truncated_normal = RandomNormal, RandomUniform, TruncatedNormal
variance_scaling, orthogonal = VarianceScaling, Orthogonal
glorot_uniform, glorot_normal, he_uniform, he_normal = (GlorotUniform, GlorotNormal, HeUniform,
                                                        HeNormal)
lecun_uniform, lecun_normal = LecunUniform, LecunNormal
IdentityInitializer, OrthogonalInitializer, STFTInitializer = Identity, Orthogonal, STFT

_CLASSES = (Initializer, Constant, Identity, Ones, STFT, Zeros, GlorotNormal, GlorotUniform,
            HeNormal, HeUniform, LecunNormal, LecunUniform, Orthogonal, RandomNormal,
            RandomUniform, TruncatedNormal, VarianceScaling)


def _snake(name: str) -> str:
    from hoarfrost.naming import to_snake_case
    return to_snake_case(name)


_OBJECTS: dict[str, type] = {cls.__name__: cls for cls in _CLASSES}
_OBJECTS.update({_snake(cls.__name__): cls for cls in _CLASSES})
_OBJECTS.update({"IdentityInitializer": Identity, "normal": RandomNormal, "one": Ones,
                 "STFTInitializer": STFT, "OrthogonalInitializer": Orthogonal,
                 "uniform": RandomUniform, "zero": Zeros})


def serialize(initializer) -> Any:
    """An initializer's config in Keras's form; a plain function passes through."""
    if initializer is None:
        return None
    return serialize_object(initializer, "keras.initializers")


def deserialize(config, custom_objects: dict | None = None):
    """The initializer a name or a `serialize` config describes."""
    return deserialize_object(config, _OBJECTS, "initializer", custom_objects)


def get(identifier) -> Callable | None:
    """An initializer from an instance, a class, a name, a config, a function
    `(shape, dtype) -> array`, or an array (used as the value; its shape must match)."""
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        lowered = {k.lower(): v for k, v in _OBJECTS.items()}
        if identifier not in _OBJECTS and identifier.lower() in lowered:
            return lowered[identifier.lower()]()
        return deserialize(identifier)
    if isinstance(identifier, (np.ndarray, np.generic, jax.Array)):
        return _from_array(identifier)
    if isinstance(identifier, type):
        if issubclass(identifier, Initializer):
            return identifier()
    elif callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret initializer identifier: {identifier!r}. Expected an "
                     f"Initializer, a function (shape, dtype) -> array, an array, or one of: "
                     f"{', '.join(sorted(_OBJECTS))}.")


def _from_array(array):
    def initialize_fn(shape, dtype=None):
        if tuple(shape) != tuple(array.shape):
            raise ValueError(f"Expected `shape` to be {tuple(array.shape)} for direct tensor as "
                             f"initializer. Received shape={tuple(shape)}")
        return to_device(array, _dtype(dtype))
    return initialize_fn


__all__ = sorted(k for k in _OBJECTS if k.isidentifier()) + ["deserialize", "get", "serialize"]
