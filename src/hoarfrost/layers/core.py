"""Core layers: `Dense`, `Activation`, `Masking`, `Lambda` and `Identity`."""

from __future__ import annotations

import inspect

import jax
import jax.numpy as jnp
import numpy as np

from hoarfrost import activations, constraints, initializers, masking, ops, regularizers
from hoarfrost.layers.layer import InputSpec, Layer
from hoarfrost.layers.lora import LoRAMixin
from hoarfrost.layers.quantized import QuantizedMixin, int8_matmul, int8_product
from hoarfrost.layers.tensor_op import ALLOWED_OPS
from hoarfrost.symbolic import KerasTensor, is_keras_tensor


class Dense(LoRAMixin, QuantizedMixin, Layer):
    """Densely connected layer: `activation(inputs @ kernel + bias)`.

    Applies to the last axis of inputs of any rank >= 2.

    Args:
        units: the size of the output's last axis.
        activation: name or function; None means linear.
        use_bias: whether to add a bias vector.
        kernel_initializer, bias_initializer: initializers (Keras defaults
            `glorot_uniform` and `zeros`).
        kernel_regularizer, bias_regularizer: penalties added to the loss
            while the weight is trainable.
        kernel_constraint, bias_constraint: projections after each update.
        lora_rank: enable LoRA with this rank when the layer is built (see
            `enable_lora`): the kernel is frozen and a low-rank update of it
            trains instead.
        lora_alpha: the update is scaled by `lora_alpha / lora_rank`
            (default `lora_rank`).
        quantization_config: how a quantized layer (`dtype="int8_from_float32"`,
            what `quantize("int8")` makes) computes; see `hoarfrost.quantizers`.
        **kwargs: `name`, `trainable`, `input_shape`/`input_dim`, `dtype`.

    Example:
        >>> layer = Dense(4, activation="relu", input_dim=3)
        >>> layer(jnp.ones((2, 3))).shape
        (2, 4)
    """

    _supports_masking = True  # a mask passes through, as in Keras

    def __init__(self, units: int, activation=None, use_bias: bool = True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, lora_rank=None, lora_alpha=None,
                 **kwargs):
        self._init_quantization(kwargs)
        super().__init__(**kwargs)
        if int(units) <= 0:
            raise ValueError(f"Dense: `units` must be a positive integer, got {units!r}.")
        self.units = int(units)
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self._init_lora(lora_rank, lora_alpha)
        self.input_spec = InputSpec(min_ndim=2)

    def build(self, input_shape):
        input_dim = input_shape[-1]
        if input_dim is None:
            raise ValueError(
                f'Dense layer "{self.name}": the last axis of the input must be known, '
                f"got input shape {tuple(input_shape)}."
            )
        if self.quantization_mode is not None:
            self.kernel = self._add_int8_weight("kernel", (input_dim, self.units))
        else:
            self.kernel = self.add_weight(
                shape=(input_dim, self.units), initializer=self.kernel_initializer,
                regularizer=self.kernel_regularizer, constraint=self.kernel_constraint,
                name="kernel")
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                shape=(self.units,), initializer=self.bias_initializer,
                regularizer=self.bias_regularizer, constraint=self.bias_constraint,
                name="bias")
        if self.quantization_mode is not None:
            self.kernel_scale = self._add_scale_weight("kernel_scale", (self.units,))
        self.input_spec = InputSpec(min_ndim=2, axes={-1: input_dim})
        self.built = True
        self._build_lora()

    # --- int8: the kernel reduced over its input axis, one scale per unit (Keras) ---------
    def _weight_axes(self):
        return (0,)

    def _scale_layout(self, scale):
        return jnp.squeeze(scale, axis=0)

    def _dequant_layout(self, scale):
        return scale

    def _int8_call(self, inputs, kernel, scale):
        quantizer = self._inputs_quantizer()
        outputs = int8_product(
            inputs, kernel, scale, contract=int8_matmul,
            grad_contract=lambda upstream, kernel: jnp.matmul(upstream, kernel.T),
            dequant_scale=self._dequant_layout,
            quantize_inputs=None if quantizer is None else (lambda x: quantizer(x, axis=-1)),
            dtype=self.dtype)
        return outputs

    def call(self, inputs):
        if self.quantization_mode is not None:
            outputs = self._lora_product(inputs, self._dequantized(), "...i,ij->...j",
                                         jnp.matmul, base=self._int8_call)
        else:
            outputs = self._lora_product(inputs, self.kernel.value, "...i,ij->...j", jnp.matmul)
        if self.bias is not None:
            outputs = outputs + self.bias.value
        outputs = self.activation(outputs)
        self._add_activity_loss(outputs)
        return outputs

    def get_config(self):
        return {
            **super().get_config(),
            "units": self.units,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "bias_constraint": constraints.serialize(self.bias_constraint),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            **self._lora_config(),
        }


class Activation(Layer):
    """Applies an activation function given by name or as a function.

    Example:
        >>> Activation("relu")(jnp.array([[-1.0, 2.0]]))
        Array([[0., 2.]], dtype=float32)
    """

    _supports_masking = True

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.activation = activations.get(activation)
        self.built = True

    def call(self, inputs):
        return self.activation(inputs)

    def get_config(self):
        return {**super().get_config(), "activation": activations.serialize(self.activation)}


class Masking(Layer):
    """Masks the timesteps whose features all equal `mask_value`.

    For inputs `(batch, timesteps, features)`, a timestep is skipped by the
    layers downstream that support masking (recurrent layers, average
    pooling, the loss) when every feature equals `mask_value`; its features
    are set to 0, as in Keras.

    Args:
        mask_value: the padding value.
        **kwargs: `name`, `trainable`, `input_shape`, `dtype`.

    Example:
        >>> x = jnp.array([[[1.0], [0.0]]])
        >>> Masking()(x).shape, Masking().compute_mask(x)
        ((1, 2, 1), Array([[ True, False]], dtype=bool))
    """

    _supports_masking = True

    def __init__(self, mask_value=0.0, **kwargs):
        super().__init__(**kwargs)
        self.mask_value = mask_value
        self.built = True

    def compute_mask(self, inputs, mask=None):
        if is_keras_tensor(inputs):
            return KerasTensor(inputs.shape[:-1], "bool")
        return jnp.any(jnp.not_equal(inputs, self.mask_value), axis=-1)

    def call(self, inputs):
        keep = jnp.any(jnp.not_equal(inputs, self.mask_value), axis=-1, keepdims=True)
        outputs = jnp.where(keep, inputs, jnp.zeros((), inputs.dtype))
        masking.set_mask(outputs, jnp.squeeze(keep, -1))
        return outputs

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "mask_value": self.mask_value}


def _function_to_config(layer, fn, argument: str):
    """A named function as Keras stores it: by (registered) name, never by code."""
    name = getattr(fn, "__name__", None)
    if name is None or name == "<lambda>":
        what = "a Python lambda" if name == "<lambda>" else f"a {type(fn).__name__} object"
        raise ValueError(
            f'Lambda layer "{layer.name}": its `{argument}` is {what}, which can not be '
            "saved: Keras would store its bytecode, which is unsafe to load (it refuses to "
            "without safe_mode=False), and hoarfrost never does. Pass a named function "
            "(decorated with @hoarfrost.saving.register_keras_serializable(), or given as "
            "custom_objects when loading), or write a Layer subclass."
        )
    return {"module": getattr(fn, "__module__", None) or "builtins", "class_name": "function",
            "config": getattr(fn, "_registered_name", None) or name,
            "registered_name": "function"}


# The libraries a saved array function may come from, by its module's prefix: a function is
# resolved in its own library, so `jax.lax.slice` stays lax's (end indices), never Keras's
# `ops.slice` (sizes), and `jax.nn.leaky_relu` keeps its 0.01 slope.
_ORIGINS = {"jax.numpy": jnp, "jax._src.numpy": jnp, "jaxlib": jnp, "jax.nn": jax.nn,
            "jax._src.nn": jax.nn, "jax.lax": jax.lax, "jax._src.lax": jax.lax,
            "jax.scipy.special": jax.scipy.special, "jax._src.scipy.special": jax.scipy.special,
            "numpy": np}


def _builtin_function(name: str, module: str):
    """A function saved by name from hoarfrost, jax or numpy: only Keras's op and activation
    names resolve (pure array functions), each in the library it was saved from."""
    if not (name.isidentifier() and not name.startswith("_")):
        return None
    if not (name in activations._ALL or name in ALLOWED_OPS):  # never `load`, `save`, ...
        return None
    found = None
    if module.split(".")[0] in ("builtins", "hoarfrost"):
        found = activations._ALL.get(name) or getattr(ops, name)
    for prefix, library in _ORIGINS.items():
        if module == prefix or module.startswith(prefix + "."):
            found = getattr(library, name, None)
    return found if callable(found) else None


def _function_from_config(config, custom_objects, argument: str, layer_name=None,
                          safe_mode: bool = True):
    """Resolve a function by name: custom_objects, the registry, then the built-in
    activations and array ops (only for functions saved from jax/numpy/hoarfrost).

    Python bytecode (Keras's `__lambda__` entries) is refused in safe mode and
    loaded, as Keras does, only when the user opted out of it."""
    if isinstance(config, dict) and config.get("class_name") == "__lambda__":
        if safe_mode:
            from hoarfrost.saving.safe_mode import refusal
            raise ValueError(refusal(
                f'Requested the deserialization of Lambda layer "{layer_name}", whose '
                f"`{argument}` is Python bytecode (a Python lambda) stored in the file."))
        return _function_from_bytecode(config.get("config"), argument, layer_name)
    if not (isinstance(config, dict) and config.get("class_name") == "function"):
        return config
    from hoarfrost.saving.serialization import get_registered_object
    name = config.get("config")
    module = str(config.get("module") or "")
    if not isinstance(name, str):
        raise ValueError(f'Lambda layer "{layer_name}": its `{argument}` names no function '
                         f"(found {name!r}).")
    found = get_registered_object(name, custom_objects)
    if found is None:
        found = _builtin_function(name, module)
    if found is None:
        raise ValueError(
            f'Lambda layer "{layer_name}": could not find the function {name!r} (from module '
            f"{module!r}) for its "
            f"`{argument}`. Decorate it with @hoarfrost.saving.register_keras_serializable() "
            f"or pass custom_objects={{{name!r}: {name}}} when loading."
        )
    return found


def _function_from_bytecode(config, argument: str, layer_name):
    """A function from Keras's `func_dump` (base64 marshalled code, defaults, closure):
    only in unsafe mode, for a file the user trusts. Built-ins are its only globals."""
    import binascii
    import builtins
    import codecs
    import marshal
    import types
    try:
        if "value" in config:  # serialization_lib's form: {"value": [code, defaults, closure]}
            code, defaults, closure = config["value"]
        else:  # the Lambda layer's: {"code", "defaults", "closure"}
            code, defaults, closure = config["code"], config.get("defaults"), config.get("closure")
        try:
            raw = codecs.decode(code.encode("ascii"), "base64")
        except (UnicodeEncodeError, binascii.Error):
            raw = code.encode("raw_unicode_escape")
        function_code = marshal.loads(raw)
        cells = None if closure is None else tuple(types.CellType(v) for v in closure)
        return types.FunctionType(function_code, {"__builtins__": builtins},
                                  name=function_code.co_name,
                                  argdefs=None if defaults is None else tuple(defaults),
                                  closure=cells)
    except (TypeError, ValueError, KeyError, EOFError, AttributeError) as exc:
        raise ValueError(f'Lambda layer "{layer_name}": its `{argument}` holds Python '
                         f"bytecode that can not be loaded by this Python ({exc}).") from exc


class Lambda(Layer):
    """Wraps a function of the inputs as a layer: `Lambda(lambda x: x ** 2)`.

    For quick experiments; a `Layer` subclass saves more portably. The
    function gets the inputs, then `arguments` as keywords (and `mask=` /
    `training=` when it names them). It must have no weights of its own.

    Saving: a named function is saved by name and found again at load time
    through `custom_objects` or the `register_keras_serializable` registry
    (activations and array ops by their built-in names). A Python lambda can
    not be saved: `get_config` (so `save`) raises an error naming the layer,
    where Keras would store bytecode that it refuses to load by default. Such
    bytecode in a config is refused the same way here (safe mode), and loaded
    only with `safe_mode=False` or `enable_unsafe_deserialization()`.

    Args:
        function: the function, `inputs -> outputs`.
        output_shape: the output shape without the batch axis (a tuple), or a
            function of the full input shape; inferred by tracing when None.
        mask: None (the layer drops masks), a function `(inputs, mask) ->
            mask`, or a fixed mask.
        arguments: keyword arguments for `function`.
        **kwargs: `name`, `dtype`, `input_shape`.

    Example:
        >>> Lambda(lambda x: x * 2)(jnp.ones((1, 2)))
        Array([[2., 2.]], dtype=float32)
    """

    def __init__(self, function, output_shape=None, mask=None, arguments=None, **kwargs):
        super().__init__(**kwargs)
        if not callable(function):
            raise TypeError(
                f'Lambda layer "{self.name}": `function` must be callable; received '
                f"{function!r} of type {type(function).__name__}."
            )
        self.function = function
        self.arguments = dict(arguments or {})
        self.mask = mask
        self.supports_masking = mask is not None
        if isinstance(output_shape, list) and all(
                d is None or isinstance(d, int) for d in output_shape):
            output_shape = tuple(output_shape)
        self._output_shape = output_shape
        try:
            params = inspect.signature(function).parameters
        except (TypeError, ValueError):
            params = {}
        self._fn_expects_mask_arg = "mask" in params
        self._fn_expects_training_arg = "training" in params
        self.built = True

    def call(self, inputs, mask=None, training=None):
        kwargs = dict(self.arguments)
        if self._fn_expects_mask_arg:
            kwargs["mask"] = mask
        if self._fn_expects_training_arg:
            kwargs["training"] = training
        return self.function(inputs, **kwargs)

    def compute_mask(self, inputs, mask=None):
        if callable(self.mask):
            return self.mask(inputs, mask)
        return self.mask

    def compute_output_shape(self, input_shape):
        if self._output_shape is None:
            return super().compute_output_shape(input_shape)
        if callable(self._output_shape):
            return self._output_shape(input_shape)
        batch = input_shape[0] if input_shape and not isinstance(input_shape[0],
                                                                   (list, tuple)) else None
        if isinstance(self._output_shape, tuple) and all(
                d is None or isinstance(d, int) for d in self._output_shape):
            return (batch,) + self._output_shape
        return [(batch,) + tuple(s) for s in self._output_shape]

    def compute_output_spec(self, inputs, **kwargs):
        if self._output_shape is None:
            return super().compute_output_spec(inputs, **kwargs)
        # As Keras: a given output_shape is used as is, the function is not traced.
        shapes = jax.tree.map(lambda t: t.shape, inputs, is_leaf=is_keras_tensor)
        shape = self.compute_output_shape(shapes)
        if isinstance(shape, list):
            return [KerasTensor(tuple(s), self.compute_dtype) for s in shape]
        return KerasTensor(tuple(shape), self.compute_dtype)

    def get_config(self):
        config = {**super().get_config(),
                  "function": _function_to_config(self, self.function, "function")}
        if self._output_shape is not None:
            config["output_shape"] = (
                _function_to_config(self, self._output_shape, "output_shape")
                if callable(self._output_shape) else list(self._output_shape))
        if self.mask is not None:
            config["mask"] = (_function_to_config(self, self.mask, "mask")
                              if callable(self.mask) else np.asarray(self.mask).tolist())
        config["arguments"] = dict(self.arguments)
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None, safe_mode: bool | None = None):
        """Rebuild from `get_config`; bytecode is refused unless safe mode is off (an
        explicit `safe_mode`, else the ambient setting, as in Keras)."""
        from hoarfrost.saving.safe_mode import in_safe_mode
        safe = (safe_mode if safe_mode is not None else in_safe_mode()) is not False
        config = dict(config)
        name = config.get("name")
        config["function"] = _function_from_config(config["function"], custom_objects,
                                                   "function", name, safe)
        for argument in ("output_shape", "mask"):
            if argument in config:
                config[argument] = _function_from_config(config[argument], custom_objects,
                                                         argument, name, safe)
        return cls(**config)


class Identity(Layer):
    """Returns its inputs unchanged (a placeholder where no operation is wanted).

    Example:
        >>> Identity()(jnp.ones((1, 2))).shape
        (1, 2)
    """

    _supports_masking = True

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.built = True

    def call(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def compute_output_spec(self, inputs, **kwargs):
        return jax.tree.map(lambda t: KerasTensor(t.shape, t.dtype), inputs,
                            is_leaf=is_keras_tensor)
