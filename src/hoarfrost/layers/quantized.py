"""int8 weights for a layer, as Keras 3's `layer.quantize("int8")`.

Quantizing replaces the float kernel by an int8 variable of the same name and
shape (`kernel`, `embeddings`) plus a float scale (`kernel_scale`,
`embeddings_scale`), per output channel, by Keras's abs-max formula
(`hoarfrost.quantizers`). Both are frozen by definition: their own flag is
False, a layer's or model's `trainable = True` leaves them so, and setting
the flag of either raises, naming the layer. A LoRA adapter on top of them
still trains (QLoRA's pattern).

The variables stay in the order Keras saves them (`kernel`, `bias`,
`kernel_scale`, then any LoRA adapter), both after `quantize()` and when a
quantized layer is rebuilt from its config (`dtype="int8_from_float32"`), so
weight files line up.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from hoarfrost import quantizers


def freeze_quantized(variable) -> None:
    """Mark an int8 weight or scale as frozen by definition."""
    variable.freeze_by("quantization")


def int8_product(inputs, kernel, scale, *, contract, grad_contract, dequant_scale,
                 quantize_inputs, dtype):
    """`contract(inputs, kernel)` with an int8 kernel, as Keras's int8 call computes it.

    With `quantize_inputs` (Keras's default) the inputs are quantized too and
    the contraction runs on int8 values with int32 accumulation (exact); the
    result is divided by both scales. Without, the float inputs meet the int8
    kernel directly and the result is divided by the kernel's scale.

    The gradient reaches the inputs only, through the dequantized kernel
    (Keras's custom gradient, straight through the inputs' rounding), so
    layers below an int8 layer still train.

    Args:
        contract: `(x, k) -> product` (matmul or einsum).
        grad_contract: `(upstream, float_kernel) -> input cotangent`.
        dequant_scale: the scale laid out like the kernel (`kernel / it`).
        quantize_inputs: `inputs -> (int8 inputs, scale laid out like the
            output)`, or None.
        dtype: the layer's compute dtype.
    """
    def forward(x, k, s):
        if quantize_inputs is not None:
            q, x_scale = quantize_inputs(x)
            return contract(q, k).astype(dtype) / (x_scale * s)
        return contract(x, k).astype(dtype) / s

    @jax.custom_vjp
    def product(x, k, s):
        return forward(x, k, s)

    def product_fwd(x, k, s):
        return forward(x, k, s), (k, s)

    def product_bwd(residuals, upstream):
        k, s = residuals
        float_kernel = k.astype(dtype) / dequant_scale(s)
        return grad_contract(upstream, float_kernel), None, None

    product.defvjp(product_fwd, product_bwd)
    return product(inputs, kernel, scale)


def int8_matmul(x, k):
    """`x @ k`, accumulated in int32 when both are int8 (Keras's `ops.matmul`)."""
    if x.dtype == jnp.int8 and k.dtype == jnp.int8:
        return jnp.matmul(x, k, preferred_element_type=jnp.int32)
    return jnp.matmul(x, k)


class QuantizedMixin:
    """`quantize("int8")`, `quantization_mode` and the int8 variables of a layer.

    Subclasses name the quantized weight (`_quantization_target`) and its
    scale (`_quantization_scale`), call `_init_quantization(kwargs)` before
    `Layer.__init__` (it reads Keras's quantized dtype policy), create the int8
    weights in `build` when `quantization_mode` is set (`_add_int8_weight`,
    `_add_scale_weight`), and implement `_weight_axes()` (the axes reduced to
    one scale), `_scale_layout(scale)` (the scale as stored), `_dequant_layout`
    (its inverse) and their int8 call.
    """

    _quantization_target = "kernel"
    _quantization_scale = "kernel_scale"

    def _init_quantization(self, kwargs: dict) -> None:
        mode, source = quantizers.parse_dtype(kwargs.get("dtype"))
        if mode is not None or "dtype" in kwargs:
            kwargs["dtype"] = source
        self._quantization_mode = mode
        config = kwargs.pop("quantization_config", None)
        if isinstance(config, dict):
            config = quantizers.deserialize(config)
        if config is not None and not isinstance(config, quantizers.QuantizationConfig):
            raise ValueError(f"{type(self).__name__}: `quantization_config` must be a "
                             f"QuantizationConfig, got {config!r}.")
        if config is not None and mode is None:
            # Keras stores it and never reads it (its `quantize` replaces it): refused.
            raise ValueError(
                f"{type(self).__name__} layer"
                f"{' ' + repr(kwargs['name']) if kwargs.get('name') else ''}: "
                f"`quantization_config` applies to a layer created quantized "
                f"(dtype='int8_from_float32'), but dtype is {kwargs.get('dtype')!r}; "
                f"to quantize a float layer pass the config to quantize('int8', "
                f"config=...) or model.quantize(...).")
        self.quantization_config = config

    @property
    def quantization_mode(self) -> str | None:
        """`"int8"` once quantized, else None (as Keras)."""
        return self._quantization_mode

    # --- variables ----------------------------------------------------------------
    def _add_int8_weight(self, name: str, shape):
        variable = self.add_weight(name=name, shape=shape, initializer="zeros", dtype="int8")
        freeze_quantized(variable)
        return variable

    def _add_scale_weight(self, name: str, shape):
        variable = self.add_weight(name=name, shape=shape, initializer="ones")
        freeze_quantized(variable)
        return variable

    def _inputs_quantizer(self):
        """Keras's `activation_quantizer_or_default(config, AbsMaxQuantizer())`."""
        if self.quantization_config is not None:
            return self.quantization_config.activation_quantizer
        return quantizers.AbsMaxQuantizer()

    def _weight_quantizer(self):
        axes = self._weight_axes()
        given = getattr(self.quantization_config, "weight_quantizer", None)
        if given is None:
            return quantizers.AbsMaxQuantizer(axis=axes)
        ndim = len(getattr(self, self._quantization_target).shape)
        wanted = sorted(a % ndim for a in axes)
        if given.axis is None or sorted(a % ndim for a in given.axis) != wanted:
            raise NotImplementedError(
                f'{type(self).__name__} layer "{self.name}": the weight quantizer reduces '
                f"axis {given.axis}; hoarfrost quantizes this layer per output channel "
                f"(axis {tuple(axes)}) only.")
        return given

    def _quantize_value(self, value) -> tuple:
        """`(int8 value, scale as stored)` of a float kernel (on the host, as Keras)."""
        q, scale = self._weight_quantizer()(np.asarray(value), to_numpy=True)
        return q, self._scale_layout(scale)

    def _dequantized(self):
        """The float kernel the int8 kernel stands for: `kernel / scale`."""
        kernel = getattr(self, self._quantization_target)
        scale = getattr(self, self._quantization_scale)
        return jnp.divide(kernel.value.astype(self.dtype), self._dequant_layout(scale.value))

    # --- quantize -------------------------------------------------------------------------
    def quantize(self, mode: str | None = None, type_check: bool = True, config=None) -> None:
        """Store the kernel as int8 with a float scale per output channel (Keras 3).

        The layer is frozen where it is quantized: the int8 kernel and its
        scale never train (a bias or LoRA adapter still does). The kernel
        keeps its name and shape; outputs equal Keras's quantized layer.

        Args:
            mode: `"int8"` (Keras's other modes raise NotImplementedError).
            type_check: refuse subclasses defined outside hoarfrost, whose
                `call` may not use the int8 kernel (as Keras).
            config: an `Int8QuantizationConfig`; the default quantizes the
                inputs too (int8 matmul), `activation_quantizer=None` the
                weights only.

        Example:
            >>> layer = Dense(4); layer.build((None, 8)); layer.quantize("int8")
            >>> layer.kernel.dtype, layer.kernel_scale.shape
            (dtype('int8'), (4,))
        """
        kind = type(self).__name__
        config = quantizers.check_mode(mode, config, f'{kind} layer "{self.name}": quantize')
        if type_check and not type(self).__module__.startswith("hoarfrost."):
            raise NotImplementedError(
                f'Layer {kind} ("{self.name}") does not have a `quantize` method '
                "implemented: it subclasses a hoarfrost layer and its call may not use the "
                "int8 kernel. Pass type_check=False if it does.")
        if not self.built:
            raise ValueError(f"Cannot quantize a layer that isn't yet built. Layer "
                             f"'{self.name}' (of type '{kind}') is not built yet.")
        if self.quantization_mode is not None:
            raise ValueError(f"Layer '{self.name}' is already quantized with "
                             f"mode={self.quantization_mode!r}. Received: mode={config.mode!r}")
        self.quantization_config = config
        old = getattr(self, self._quantization_target)
        q, scale = self._quantize_value(old.value)
        kernel = self._add_int8_weight(old._short_name, old.shape)
        kernel.assign(q)
        self._variables.remove(kernel)
        self._variables[self._variables.index(old)] = kernel
        object.__setattr__(self, self._quantization_target, kernel)
        scale_variable = self._add_scale_weight(self._quantization_scale, scale.shape)
        scale_variable.assign(scale)
        # Keras's order: the scale after the layer's own float weights, before any adapter.
        self._variables.remove(scale_variable)
        adapters = [v for v in getattr(self, "lora_variables", [])]
        position = min((self._variables.index(v) for v in adapters),
                       default=len(self._variables))
        self._variables.insert(position, scale_variable)
        object.__setattr__(self, self._quantization_scale, scale_variable)
        self._quantization_mode = config.mode

    def _merge_quantized(self, delta) -> None:
        """Fold a float update into the int8 kernel: dequantize, add, quantize again."""
        q, scale = self._quantize_value(jnp.add(self._dequantized(), delta))
        getattr(self, self._quantization_target).assign(q)
        getattr(self, self._quantization_scale).assign(scale)

    def get_config(self) -> dict:
        config = super().get_config()
        if self.quantization_mode is not None:
            config["dtype"] = f"{self.quantization_mode}_from_{self.dtype}"
            config["quantization_config"] = quantizers.serialize(self.quantization_config)
        return config
