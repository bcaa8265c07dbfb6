"""Global settings with Keras 3's `keras.config` names.

Each setter changes what hoarfrost does, or raises naming what it does not
support: `set_floatx` sets the dtype of new layers' weights, inputs, random
draws and initializers; `set_epsilon` the fuzz factor of losses,
constraints and the layers that use one; `set_image_data_format` the
default `data_format` of every layer that takes one.

Example:
    >>> import hoarfrost
    >>> hoarfrost.config.set_floatx("float16")
    >>> layer = hoarfrost.layers.Dense(2)
    >>> layer.build((None, 3))
    >>> layer.kernel.dtype
    dtype('float16')
    >>> hoarfrost.config.set_floatx("float32")
"""

from __future__ import annotations

import jax
import numpy as np

_FLOATS = ("bfloat16", "float16", "float32", "float64")
_state = {
    "floatx": "float32",
    "epsilon": 1e-7,
    "image_data_format": "channels_last",
    "dtype_policy": None,
    "interactive_logging": True,
}


# --- dtypes ----------------------------------------------------------------------------
def floatx() -> str:
    """The default float dtype, as a string (`"float32"` unless set)."""
    return _state["floatx"]


def _check_float(value, what: str) -> str:
    name = str(value) if not isinstance(value, np.dtype) else value.name
    if name not in _FLOATS:
        raise ValueError(f"{what}: expected one of {', '.join(_FLOATS)}, got {value!r}.")
    if name == "float64" and not jax.config.jax_enable_x64:
        raise ValueError(
            f"{what}('float64'): JAX computes in 32 bits unless 64-bit mode is on. Call "
            "jax.config.update('jax_enable_x64', True) at the start of the program first.")
    return name


def set_floatx(value: str) -> None:
    """Set the default float dtype of new layers' weights, inputs, random draws and
    initializers.

    Args:
        value: `"bfloat16"`, `"float16"`, `"float32"` or `"float64"` (the last
            needs JAX's 64-bit mode, `jax.config.update("jax_enable_x64", True)`).
    """
    _state["floatx"] = _check_float(value, "set_floatx")


class DTypePolicy:
    """A layer dtype policy: one dtype for variables and computation.

    hoarfrost supports the single-dtype policies (`"float32"`, `"bfloat16"`, ...);
    Keras's mixed ones (`"mixed_float16"`) raise.
    """

    def __init__(self, name: str | None = None):
        name = floatx() if name is None else name
        if isinstance(name, str) and name.startswith("mixed_"):
            raise NotImplementedError(
                f"DTypePolicy({name!r}): mixed precision (float32 variables, lower-precision "
                "compute) is not supported by hoarfrost; use a single dtype such as "
                "'bfloat16' or 'float32'.")
        self.name = _check_float(name, "DTypePolicy")

    @property
    def variable_dtype(self) -> str:
        return self.name

    @property
    def compute_dtype(self) -> str:
        return self.name

    def get_config(self) -> dict:
        return {"name": self.name}

    @classmethod
    def from_config(cls, config: dict) -> DTypePolicy:
        return cls(**config)

    def __eq__(self, other) -> bool:
        return isinstance(other, DTypePolicy) and other.name == self.name

    def __repr__(self) -> str:
        return f'<DTypePolicy "{self.name}">'


def dtype_policy() -> DTypePolicy:
    """The global layer dtype policy (by default `floatx()` for everything)."""
    policy = _state["dtype_policy"]
    return policy if policy is not None else DTypePolicy(floatx())


def set_dtype_policy(policy) -> None:
    """Set the dtype of new layers' variables and computation.

    Args:
        policy: a `DTypePolicy` or its name (`"bfloat16"`, `"float32"`, ...).
            Mixed policies (`"mixed_float16"`) raise NotImplementedError.
    """
    if not isinstance(policy, DTypePolicy):
        if not isinstance(policy, str):
            raise ValueError(f"set_dtype_policy: expected a DTypePolicy or a dtype name, got "
                             f"{policy!r}.")
        policy = DTypePolicy(policy)
    _state["dtype_policy"] = policy


def layer_dtype() -> str:
    """The variable dtype a new layer gets when none is given."""
    return dtype_policy().variable_dtype


# --- epsilon ---------------------------------------------------------------------------
def epsilon() -> float:
    """The fuzz factor of numeric expressions (1e-7 unless set)."""
    return _state["epsilon"]


def set_epsilon(value: float) -> None:
    """Set the fuzz factor that losses (probability clipping), constraints and the layers
    that need one (`Dot(normalize=True)`, `Normalization`) use."""
    value = float(value)
    if not value > 0:
        raise ValueError(f"set_epsilon: expected a positive number, got {value!r}.")
    _state["epsilon"] = value


# --- image data format -----------------------------------------------------------------
def image_data_format() -> str:
    """The default `data_format` of layers: `"channels_last"` unless set."""
    return _state["image_data_format"]


def set_image_data_format(data_format: str) -> None:
    """Set the default `data_format` of every layer that takes one.

    Args:
        data_format: `"channels_last"` or `"channels_first"`.
    """
    value = str(data_format).lower()
    if value not in ("channels_last", "channels_first"):
        raise ValueError("set_image_data_format: expected 'channels_last' or 'channels_first', "
                         f"got {data_format!r}.")
    _state["image_data_format"] = value


def standardize_data_format(data_format, owner: str = "data_format") -> str:
    """A layer's `data_format`: the given one checked, or `image_data_format()` for None."""
    value = image_data_format() if data_format is None else str(data_format).lower()
    if value not in ("channels_last", "channels_first"):
        raise ValueError(f"{owner}: `data_format` must be 'channels_last' or 'channels_first', "
                         f"got {data_format!r}.")
    return value


# --- backend ---------------------------------------------------------------------------
def backend() -> str:
    """The name of the backend: always `"jax"`."""
    return "jax"


def set_backend(backend: str) -> None:
    """hoarfrost runs on JAX only: `"jax"` is accepted, any other name raises."""
    if backend != "jax":
        raise ValueError(f"set_backend({backend!r}): hoarfrost runs on JAX only.")


def is_nnx_enabled() -> bool:
    """Keras's Flax NNX integration: never enabled in hoarfrost."""
    return False


# --- logging ---------------------------------------------------------------------------
def enable_interactive_logging() -> None:
    """Progress bars and messages go to stdout (the default)."""
    _state["interactive_logging"] = True


def disable_interactive_logging() -> None:
    """Progress is written as plain lines to Python's `logging` (logger "hoarfrost")
    instead of drawn on stdout: for logs collected by a job runner."""
    _state["interactive_logging"] = False


def is_interactive_logging_enabled() -> bool:
    return _state["interactive_logging"]


# --- tracebacks ------------------------------------------------------------------------
def is_traceback_filtering_enabled() -> bool:
    """hoarfrost never hides frames from tracebacks: always False."""
    return False


def disable_traceback_filtering() -> None:
    """Nothing to do: hoarfrost shows full tracebacks."""


def enable_traceback_filtering() -> None:
    raise NotImplementedError(
        "enable_traceback_filtering: hoarfrost does not filter tracebacks; its errors name the "
        "layer or argument at fault and keep every frame.")


# --- flash attention -------------------------------------------------------------------
def is_flash_attention_enabled():
    """hoarfrost's attention layers compute attention with XLA: never a flash kernel."""
    return False


def disable_flash_attention() -> None:
    """Nothing to do: hoarfrost's attention layers use no flash-attention kernel."""


def enable_flash_attention() -> None:
    raise NotImplementedError(
        "enable_flash_attention: hoarfrost's attention layers compute attention with XLA "
        "(no flash-attention kernel).")


# --- fit caps ----------------------------------------------------------------------------
def max_epochs():
    """Keras's global cap on `fit`'s epochs: hoarfrost has none (None)."""
    return None


def max_steps_per_epoch():
    """Keras's global cap on steps per epoch: hoarfrost has none (None)."""
    return None


def set_max_epochs(max_epochs) -> None:
    if max_epochs is not None:
        raise NotImplementedError(
            "set_max_epochs: a global cap on fit's epochs is not supported by hoarfrost; pass "
            "epochs= to fit().")


def set_max_steps_per_epoch(max_steps_per_epoch) -> None:
    if max_steps_per_epoch is not None:
        raise NotImplementedError(
            "set_max_steps_per_epoch: a global cap on steps per epoch is not supported by "
            "hoarfrost; pass steps_per_epoch= to fit().")


# --- safe mode ---------------------------------------------------------------------------
def enable_unsafe_deserialization() -> None:
    """Allow loading models that run arbitrary code (Lambda layers' bytecode).

    Forwards to `hoarfrost.saving.safe_mode.enable_unsafe_deserialization`.
    """
    import importlib
    try:
        safe_mode = importlib.import_module("hoarfrost.saving.safe_mode")
    except ModuleNotFoundError as exc:
        if exc.name != "hoarfrost.saving.safe_mode":
            raise
        return  # this build has no safe mode: nothing is refused, nothing to enable
    safe_mode.enable_unsafe_deserialization()


__all__ = [
    "DTypePolicy", "backend", "disable_flash_attention", "disable_interactive_logging",
    "disable_traceback_filtering", "dtype_policy", "enable_flash_attention",
    "enable_interactive_logging", "enable_traceback_filtering", "enable_unsafe_deserialization",
    "epsilon", "floatx", "image_data_format", "is_flash_attention_enabled",
    "is_interactive_logging_enabled", "is_nnx_enabled", "is_traceback_filtering_enabled",
    "max_epochs", "max_steps_per_epoch", "set_backend", "set_dtype_policy", "set_epsilon",
    "set_floatx", "set_image_data_format", "set_max_epochs", "set_max_steps_per_epoch",
]
