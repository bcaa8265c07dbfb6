"""`hoarfrost.quantizers`: Keras 3's int8 quantization formula and configs.

Keras quantizes a kernel by its absolute maximum per output channel:
`scale = 127 / (max|w| + epsilon)` over the reduced (input) axes, `q =
clip(round(w * scale), -127, 127)` as int8, and `w ~ q / scale`. By default
(`Int8QuantizationConfig()`, what `quantize("int8")` uses) the inputs of a
`Dense`/`EinsumDense` are quantized the same way per row at each call, so the
matmul runs on int8 values with int32 accumulation, exact, and its result is
divided by both scales. `Int8QuantizationConfig(activation_quantizer=None)`
quantizes the weights only: the int8 kernel is dequantized in the matmul.

Only `"int8"` is implemented; Keras's other modes raise by name.
"""

from __future__ import annotations

from typing import Any

import jax.numpy as jnp
import numpy as np

from hoarfrost._objects import deserialize_object, serialize_object

QUANTIZATION_MODES = ("int8", "float8", "int4", "gptq", "awq")  # Keras's list
SUPPORTED_MODES = ("int8",)
_EPSILON = 1e-7  # Keras's backend.epsilon() when its quantizers are defined


def abs_max_quantize(inputs, axis, value_range=(-127, 127), dtype="int8",
                     epsilon: float = _EPSILON, to_numpy: bool = False):
    """Quantize by the absolute maximum along `axis` (Keras's `abs_max_quantize`).

    Args:
        inputs: the array.
        axis: the axis or axes reduced to one scale each (kept as size 1).
        value_range: the integer range; `(-127, 127)` for int8.
        dtype: the integer dtype of the result.
        epsilon: added to the maximum, so an all-zero slice gets a finite scale.
        to_numpy: compute on the host with NumPy (as Keras does for weights).

    Returns:
        `(quantized, scale)`, with `inputs ~ quantized / scale`.

    Example:
        >>> q, scale = abs_max_quantize(np.array([[1.0, -2.0]], "float32"), axis=-1)
        >>> q
        Array([[  64, -127]], dtype=int8)
    """
    axis = tuple(axis) if isinstance(axis, (list, tuple)) else axis
    if to_numpy:
        array = np.asarray(inputs)
        scale = np.divide(value_range[1],
                          np.add(np.max(np.abs(array), axis=axis, keepdims=True), epsilon))
        outputs = np.clip(np.round(np.multiply(array, scale)), value_range[0], value_range[1])
        return jnp.asarray(outputs.astype(dtype)), jnp.asarray(scale, dtype=array.dtype)
    inputs = jnp.asarray(inputs)
    scale = jnp.divide(value_range[1],
                       jnp.add(jnp.max(jnp.abs(inputs), axis=axis, keepdims=True), epsilon))
    scale = scale.astype(inputs.dtype)
    outputs = jnp.clip(jnp.round(jnp.multiply(inputs, scale)), value_range[0], value_range[1])
    return outputs.astype(dtype), scale


class AbsMaxQuantizer:
    """Keras's `AbsMaxQuantizer`: `abs_max_quantize` with fixed settings.

    Args:
        axis: the default axis (None: -1, or what the caller passes).
        value_range: the integer range (within [-128, 127] for int8).
        epsilon: added to the maximum.
        output_dtype: the integer dtype (`"int8"`).
    """

    def __init__(self, axis=None, value_range=(-127, 127), epsilon: float = _EPSILON,
                 output_dtype: str = "int8"):
        self.axis = None if axis is None else (
            (int(axis),) if isinstance(axis, int) else tuple(axis))
        self.value_range = tuple(value_range)
        self.epsilon = float(epsilon)
        self.output_dtype = output_dtype
        if output_dtype != "int8":
            raise NotImplementedError(f"AbsMaxQuantizer: output_dtype={output_dtype!r}; "
                                      "hoarfrost quantizes to 'int8' only.")
        if self.value_range[0] < -128 or self.value_range[1] > 127:
            raise ValueError("AbsMaxQuantizer with output_dtype='int8' requires value_range "
                             f"within [-128, 127]. Received: value_range={value_range}")

    def __call__(self, x, axis=None, to_numpy: bool = False):
        axis = self.axis if axis is None else axis
        return abs_max_quantize(x, -1 if axis is None else axis, self.value_range,
                                self.output_dtype, self.epsilon, to_numpy)

    def get_config(self) -> dict[str, Any]:
        config = {"value_range": list(self.value_range), "epsilon": self.epsilon,
                  "output_dtype": self.output_dtype}
        if self.axis is not None:
            config["axis"] = list(self.axis)
        return config

    @classmethod
    def from_config(cls, config: dict) -> AbsMaxQuantizer:
        return cls(**config)

    def __eq__(self, other) -> bool:
        return isinstance(other, AbsMaxQuantizer) and other.get_config() == self.get_config()


class QuantizationConfig:
    """Base of the quantization configs: a weight and an activation quantizer."""

    mode: str | None = None

    def __init__(self, weight_quantizer=None, activation_quantizer=None):
        self.weight_quantizer = weight_quantizer
        self.activation_quantizer = activation_quantizer

    def get_config(self) -> dict[str, Any]:
        return {"weight_quantizer": serialize(self.weight_quantizer),
                "activation_quantizer": serialize(self.activation_quantizer)}

    @classmethod
    def from_config(cls, config: dict):
        return cls(weight_quantizer=deserialize(config.get("weight_quantizer")),
                   activation_quantizer=deserialize(config.get("activation_quantizer")))


class Int8QuantizationConfig(QuantizationConfig):
    """How `quantize("int8")` quantizes (Keras's `Int8QuantizationConfig`).

    Args:
        weight_quantizer: an `AbsMaxQuantizer` for the kernel, or None for the
            layer's default (per output channel).
        activation_quantizer: `"default"` (an `AbsMaxQuantizer`: inputs are
            quantized per row at each call, int8 x int8 matmul), or None
            (weights only: the int8 kernel is dequantized in the matmul).

    Example:
        >>> model.quantize(config=Int8QuantizationConfig(activation_quantizer=None))
    """

    mode = "int8"

    def __init__(self, weight_quantizer=None, activation_quantizer="default"):
        if isinstance(activation_quantizer, str) and activation_quantizer == "default":
            activation_quantizer = AbsMaxQuantizer()
        for name, quantizer in (("weight_quantizer", weight_quantizer),
                                ("activation_quantizer", activation_quantizer)):
            if quantizer is not None and not isinstance(quantizer, AbsMaxQuantizer):
                raise NotImplementedError(
                    f"Int8QuantizationConfig: {name}={quantizer!r}; hoarfrost implements "
                    "AbsMaxQuantizer only.")
        super().__init__(weight_quantizer, activation_quantizer)


_OBJECTS = {"AbsMaxQuantizer": AbsMaxQuantizer, "Int8QuantizationConfig": Int8QuantizationConfig}


def serialize(obj) -> Any:
    """A quantizer's or config's Keras config (None stays None)."""
    return None if obj is None else serialize_object(obj, "keras.quantizers")


def deserialize(config, custom_objects: dict | None = None):
    """The quantizer or config that `serialize` described."""
    if config is None:
        return None
    return deserialize_object(config, _OBJECTS, "quantizer", custom_objects)


def check_mode(mode, config=None, where: str = "quantize") -> Int8QuantizationConfig:
    """The config a `quantize(mode, config=config)` call asks for (Keras's resolution).

    Raises:
        ValueError: an unknown mode, or a mode contradicting the config.
        NotImplementedError: one of Keras's modes hoarfrost does not implement.
    """
    if isinstance(config, str):
        mode, config = config, None
    if config is not None and not isinstance(config, QuantizationConfig):
        raise ValueError(f"{where}: `config` must be a QuantizationConfig (e.g. "
                         f"Int8QuantizationConfig()); received {config!r}.")
    if mode is None and config is None:
        raise ValueError(f"{where}: pass a `mode` (\"int8\") or a `config`.")
    if mode is None:
        mode = config.mode
    if mode not in QUANTIZATION_MODES:
        raise ValueError(f"{where}: invalid quantization mode. Expected one of "
                         f"{QUANTIZATION_MODES}. Received: mode={mode!r}")
    if mode not in SUPPORTED_MODES:
        raise NotImplementedError(
            f"{where}: quantization mode {mode!r} is not implemented by hoarfrost; it "
            f"supports {SUPPORTED_MODES} (per-channel int8 weights with float scales).")
    if config is not None and config.mode != mode:
        raise ValueError(f"{where}: contradictory arguments: mode={mode!r} but "
                         f"config.mode={config.mode!r}.")
    return config if config is not None else Int8QuantizationConfig()


def parse_dtype(dtype):
    """`(quantization mode or None, float dtype)` of a layer's `dtype` argument.

    Keras names a quantized layer's policy `"int8_from_float32"` (in configs, also
    as a `QuantizedDTypePolicy` dict `{"mode": "int8", "source_name": "float32"}`).
    """
    if isinstance(dtype, dict) and dtype.get("class_name") in ("QuantizedDTypePolicy",
                                                               "DTypePolicy"):
        inner = dtype.get("config") or {}
        if "mode" in inner:
            return _known_mode(inner["mode"], dtype), inner.get("source_name")
        return None, inner.get("name")
    if isinstance(dtype, str) and "_from_" in dtype:
        mode, _, source = dtype.partition("_from_")
        return _known_mode(mode, dtype), source
    return None, dtype


def _known_mode(mode, dtype):
    if mode not in QUANTIZATION_MODES:
        raise ValueError(f"Unknown quantized dtype policy {dtype!r}: expected a mode among "
                         f"{QUANTIZATION_MODES}.")
    if mode not in SUPPORTED_MODES:
        raise NotImplementedError(f"dtype policy {dtype!r}: quantization mode {mode!r} is not "
                                  f"implemented by hoarfrost (it supports {SUPPORTED_MODES}).")
    return mode


__all__ = ["AbsMaxQuantizer", "Int8QuantizationConfig", "QuantizationConfig",
           "abs_max_quantize", "deserialize", "serialize"]
