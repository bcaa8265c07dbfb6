"""`EinsumDense`: a dense layer of any rank, `einsum(equation, inputs, kernel) + bias`.

Keras 3's layer, with its equation forms (`ab,bc->ac`, `...b,bc->...c`,
`ab...,bc->ac...`), its `output_shape` (the output without the batch axis;
None for a size taken from the input) and `bias_axes`, and the same kernel
and bias shapes, so Keras weights load unchanged. As in Keras, a variance
scaling kernel initializer (the default `glorot_uniform`) counts its fans
over the kernel's input and output axes, not as a convolution kernel.
"""

from __future__ import annotations

import math
import re
import string

import jax.numpy as jnp
import numpy as np

from hoarfrost import activations, constraints, initializers, regularizers
from hoarfrost.layers.layer import InputSpec, Layer
from hoarfrost.layers.lora import LoRAMixin
from hoarfrost.layers.quantized import QuantizedMixin, int8_product


def analyze_einsum_string(equation: str, bias_axes, input_shape, output_shape):
    """Keras's `_analyze_einsum_string`: `(kernel_shape, bias_shape,
    full_output_shape, kernel_input_axes, kernel_output_axes)`."""
    replaced = re.sub(r"\.\.\.", "0", equation)
    match = re.match(r"([a-zA-Z]+),([a-zA-Z]+)->([a-zA-Z]+)", replaced)
    if match:
        return _analyze_split(match, bias_axes, input_shape, output_shape)
    match = re.match(r"0([a-zA-Z]+),([a-zA-Z]+)->0([a-zA-Z]+)", replaced)
    if match:
        return _analyze_split(match, bias_axes, input_shape, output_shape, left_elided=True)
    match = re.match(r"([a-zA-Z]{2,})0,([a-zA-Z]+)->([a-zA-Z]+)0", replaced)
    if match:
        return _analyze_split(match, bias_axes, input_shape, output_shape)
    raise ValueError(
        f"EinsumDense: invalid einsum equation {equation!r}. Equations must be in the form "
        "[X],[Y]->[Z], ...[X],[Y]->...[Z], or [X]...,[Y]->[Z]....")


def _analyze_split(match, bias_axes, input_shape, output_shape, left_elided=False):
    input_spec, weight_spec, output_spec = match.group(1), match.group(2), match.group(3)
    input_shape = list(input_shape)
    elided = len(input_shape) - len(input_spec)
    output_shape = [output_shape] if isinstance(output_shape, int) else list(output_shape)
    output_shape.insert(0, input_shape[0])
    if elided > 0 and left_elided:
        for i in range(1, elided):
            output_shape.insert(1, input_shape[i])
    elif elided > 0:
        for i in range(len(input_shape) - elided, len(input_shape)):
            output_shape.append(input_shape[i])
    if left_elided:
        input_dim_map = {d: i + elided - len(input_shape) for i, d in enumerate(input_spec)}
        output_dim_map = {d: i + elided for i, d in enumerate(output_spec)}
    else:
        input_dim_map = {d: i for i, d in enumerate(input_spec)}
        output_dim_map = {d: i for i, d in enumerate(output_spec)}
    for dim in input_spec:
        size = input_shape[input_dim_map[dim]]
        if dim in output_dim_map:
            out = output_shape[output_dim_map[dim]]
            if out is not None and out != size:
                raise ValueError(
                    f"EinsumDense: input shape and output shape do not match at shared "
                    f"dimension {dim!r}: input {size}, output {out}.")
    for dim in output_spec:
        if dim not in input_spec and dim not in weight_spec:
            raise ValueError(
                f"EinsumDense: dimension {dim!r} of the output {output_spec!r} appears in "
                f"neither the input spec {input_spec!r} nor the weight spec {weight_spec!r}.")
    weight_shape, input_axes, output_axes = [], [], []
    for i, dim in enumerate(weight_spec):
        if dim in output_dim_map:
            weight_shape.append(output_shape[output_dim_map[dim]])
            output_axes.append(i)
        elif dim in input_dim_map:
            weight_shape.append(input_shape[input_dim_map[dim]])
            input_axes.append(i)
        else:
            raise ValueError(
                f"EinsumDense: weight dimension {dim!r} matches neither the input spec "
                f"{input_spec!r} nor the output spec {output_spec!r}; the weight must be "
                "fully specified.")
    bias_shape = None
    if bias_axes is not None:
        num_left_elided = elided if left_elided else 0
        sizes = {c: output_shape[i + num_left_elided] for i, c in enumerate(output_spec)}
        for char in bias_axes:
            if char not in output_spec:
                raise ValueError(f"EinsumDense: bias dimension {char!r} is not part of the "
                                 f"output spec {output_spec!r}.")
        first = min(output_spec.find(c) for c in bias_axes)
        bias_shape = [sizes[c] if c in bias_axes else 1 for c in output_spec[first:]]
        if not left_elided:
            bias_shape.extend([1] * max(elided, 0))
    return weight_shape, bias_shape, output_shape, input_axes, output_axes


def _fan_aware(initializer, input_axes, output_axes):
    """A variance scaling initializer with Keras's fans over the kernel's axes.

    Its draws are i.i.d., so drawing the matrix `(fan_in, fan_out)` and
    reshaping gives the kernel Keras's distribution.
    """
    if not isinstance(initializer, initializers.VarianceScaling):
        return initializer

    def init(shape, dtype="float32"):
        fan_in = math.prod(shape[a] for a in input_axes)
        fan_out = math.prod(shape[a] for a in output_axes)
        return jnp.reshape(jnp.asarray(initializer((fan_in, fan_out), dtype)), shape)
    return init


def analyze_quantization_info(equation: str, input_ndim: int) -> dict:
    """Keras's `_analyze_quantization_info`: which axes int8 quantization reduces, and
    how the scales are laid out to broadcast against the einsum's output.

    Returns a dict with `input_reduced_axes`, `kernel_reduced_axes`, the
    `*_transpose_axes`, `*_expand_axes` and `*_squeeze_axes` of the input and
    kernel scales, and `gradient_equation` (output, kernel -> input).
    """
    replaced = re.sub(r"\.\.\.", "0", equation)
    labels = string.ascii_letters
    match = re.match("([a-zA-Z]+),([a-zA-Z]+)->([a-zA-Z]+)", replaced)
    if match is not None:
        input_spec, weight_spec, output_spec = match.groups()
    else:
        match = (re.match("0([a-zA-Z]+),([a-zA-Z]+)->0([a-zA-Z]+)", replaced)
                 or re.match("([a-zA-Z]{2,})0,([a-zA-Z]+)->([a-zA-Z]+)0", replaced))
        if match is None:
            raise ValueError(f"Invalid einsum equation {equation!r}.")
        input_spec, weight_spec, output_spec = match.groups()
        free = sorted(set(labels) - set(input_spec) - set(weight_spec) - set(output_spec))
        elided = input_ndim - len(input_spec)
        left = replaced.startswith("0")
        for i in range(elided):
            input_spec = free[i] + input_spec if left else input_spec + free[i]
            output_spec = free[i] + output_spec if left else output_spec + free[i]
    input_reduced = [i for i, c in enumerate(input_spec) if c not in output_spec]
    weight_reduced = [i for i, c in enumerate(weight_spec) if c not in output_spec]
    input_expand = [i for i, c in enumerate(output_spec) if c not in input_spec]
    weight_expand = [i for i, c in enumerate(output_spec) if c not in weight_spec]
    input_transpose = [input_spec.find(c) for c in output_spec if c in input_spec]
    weight_transpose = [weight_spec.find(c) for c in output_spec if c in weight_spec]
    input_squeeze, weight_squeeze = [], []
    # As Keras, to the letter: when no expanded axis is left, an axis is inserted where
    # the previous one went (at first, where Keras's loop variable was last left).
    index = output_spec.find(weight_spec[-1])
    for reduced, expand, transpose, squeeze in (
            (input_reduced, input_expand, input_transpose, input_squeeze),
            (weight_reduced, weight_expand, weight_transpose, weight_squeeze)):
        for original in reduced:
            try:
                index = expand.pop(0)
            except IndexError:
                squeeze.append(original)
            transpose.insert(index, original)
    return {"input_reduced_axes": input_reduced, "kernel_reduced_axes": weight_reduced,
            "input_transpose_axes": input_transpose, "kernel_transpose_axes": weight_transpose,
            "input_expand_axes": input_expand, "kernel_expand_axes": weight_expand,
            "input_squeeze_axes": input_squeeze, "kernel_squeeze_axes": weight_squeeze,
            "gradient_equation": f"{output_spec},{weight_spec}->{input_spec}"}


def _adjust_scale(scale, transpose, expand, squeeze):
    """Keras's `_adjust_scale_for_quant`: a reduced-axis scale laid out like the output."""
    if transpose:
        scale = jnp.transpose(scale, transpose)
    if expand:
        scale = jnp.expand_dims(scale, axis=tuple(expand))
    if squeeze:
        scale = jnp.squeeze(scale, axis=tuple(squeeze))
    return scale


class EinsumDense(LoRAMixin, QuantizedMixin, Layer):
    """A dense layer given as an einsum: `activation(einsum(equation, inputs, kernel) + bias)`.

    Args:
        equation: `"<input>,<kernel>-><output>"`, e.g. `"ab,bc->ac"` (Dense),
            `"abc,cd->abd"` (Dense on each timestep), `"abc,cde->abde"`
            (projection to heads); `...` elides leading (`...b,bc->...c`) or
            trailing (`ab...,bc->ac...`) axes.
        output_shape: the output's shape without the batch axis (an int for
            rank 2); None for a size taken from the input.
        activation: name or function; None means linear.
        bias_axes: the output letters that get a bias (e.g. `"c"`), or None.
        kernel_initializer, bias_initializer: glorot_uniform and zeros.
        kernel_regularizer, bias_regularizer, activity_regularizer: penalties.
        kernel_constraint, bias_constraint: projections after each update.
        lora_rank, lora_alpha: enable LoRA when built (see `enable_lora`); the
            adapter is `lora_kernel_a` (`kernel.shape[:-1] + (rank,)`) and
            `lora_kernel_b` (`(rank, kernel.shape[-1])`).
        quantization_config: how a quantized layer computes (`hoarfrost.quantizers`).
        **kwargs: `name`, `trainable`, `input_shape`, `dtype`.

    Weights, in order: `kernel`, `bias` (when `bias_axes`), then `kernel_scale`
    (int8) and the LoRA adapter, as Keras saves them.

    Example:
        >>> layer = EinsumDense("abc,cde->abde", output_shape=(None, 2, 4), bias_axes="de")
        >>> layer(jnp.ones((3, 5, 8))).shape
        (3, 5, 2, 4)
    """

    def __init__(self, equation: str, output_shape, activation=None, bias_axes: str | None = None,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, lora_rank=None, lora_alpha=None,
                 **kwargs):
        self._init_quantization(kwargs)
        super().__init__(**kwargs)
        if not isinstance(equation, str) or "->" not in equation:
            raise ValueError(f"EinsumDense: `equation` must be a string such as 'ab,bc->ac', "
                             f"got {equation!r}.")
        self.equation = equation
        self.partial_output_shape = ((int(output_shape),) if isinstance(output_shape, int)
                                     else tuple(output_shape))
        self.bias_axes = bias_axes
        self.activation = activations.get(activation)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.kernel = self.bias = None
        self._init_lora(lora_rank, lora_alpha)

    def build(self, input_shape):
        kernel_shape, bias_shape, _, input_axes, output_axes = analyze_einsum_string(
            self.equation, self.bias_axes, input_shape, self.partial_output_shape)
        if any(d is None for d in kernel_shape):
            raise ValueError(
                f'EinsumDense layer "{self.name}": the kernel shape {tuple(kernel_shape)} has '
                f"unknown sizes for input shape {tuple(input_shape)}; give them in "
                "`output_shape` or in the input shape.")
        self.input_spec = InputSpec(ndim=len(input_shape))
        if self.quantization_mode is not None:
            self.kernel = self._add_int8_weight("kernel", tuple(kernel_shape))
        else:
            self.kernel = self.add_weight(
                shape=tuple(kernel_shape),
                initializer=_fan_aware(self.kernel_initializer, input_axes, output_axes),
                regularizer=self.kernel_regularizer, constraint=self.kernel_constraint,
                name="kernel")
        if bias_shape is not None:
            self.bias = self.add_weight(
                shape=tuple(bias_shape), initializer=self.bias_initializer,
                regularizer=self.bias_regularizer, constraint=self.bias_constraint,
                name="bias")
        if self.quantization_mode is not None:
            scale_shape = np.array(kernel_shape)
            scale_shape[self._weight_axes()] = 1
            self.kernel_scale = self._add_scale_weight(
                "kernel_scale", self._scale_layout(np.ones(scale_shape, "float32")).shape)
        self.built = True
        self._build_lora()

    # --- int8: Keras's per-channel layout, derived from the equation ------------------------
    def _quantization_info(self) -> dict:
        info = self.__dict__.get("_quantization_info_cache")
        if info is None:
            info = analyze_quantization_info(self.equation, self.input_spec.ndim)
            self.__dict__["_quantization_info_cache"] = info
        return info

    def _weight_axes(self):
        return tuple(self._quantization_info()["kernel_reduced_axes"])

    def _scale_layout(self, scale, kind: str = "kernel"):
        info = self._quantization_info()
        return _adjust_scale(scale, info[f"{kind}_transpose_axes"], info[f"{kind}_expand_axes"],
                             info[f"{kind}_squeeze_axes"])

    def _dequant_layout(self, scale):
        """Keras's `_adjust_scale_for_dequant`: the stored scale laid out like the kernel."""
        info = self._quantization_info()
        if info["kernel_squeeze_axes"]:
            scale = jnp.expand_dims(scale, axis=tuple(info["kernel_squeeze_axes"]))
        if info["kernel_expand_axes"]:
            scale = jnp.squeeze(scale, axis=tuple(info["kernel_expand_axes"]))
        if info["kernel_transpose_axes"]:
            order = sorted(range(len(info["kernel_transpose_axes"])),
                           key=info["kernel_transpose_axes"].__getitem__)
            scale = jnp.transpose(scale, order)
        return scale

    def _int8_call(self, inputs, kernel, scale):
        info = self._quantization_info()
        quantizer = self._inputs_quantizer()

        def quantize_inputs(x):
            q, scale = quantizer(x, axis=tuple(info["input_reduced_axes"]))
            return q, self._scale_layout(scale, "input")

        def contract(x, k):
            if x.dtype == jnp.int8 and k.dtype == jnp.int8:
                return jnp.einsum(self.equation, x, k, preferred_element_type=jnp.int32)
            return jnp.einsum(self.equation, x, k)

        outputs = int8_product(
            inputs, kernel, scale, contract=contract,
            grad_contract=lambda up, kernel: jnp.einsum(info["gradient_equation"], up, kernel),
            dequant_scale=self._dequant_layout,
            quantize_inputs=None if quantizer is None else quantize_inputs, dtype=self.dtype)
        return outputs

    def call(self, inputs):
        if self.quantization_mode is not None:
            outputs = self._lora_product(inputs, self._dequantized(), self.equation,
                                         base=self._int8_call)
        else:
            outputs = self._lora_product(inputs, self.kernel.value, self.equation)
        if self.bias is not None:
            outputs = outputs + self.bias.value
        outputs = self.activation(outputs)
        self._add_activity_loss(outputs)
        return outputs

    def compute_output_shape(self, input_shape):
        return tuple(analyze_einsum_string(self.equation, self.bias_axes, input_shape,
                                           self.partial_output_shape)[2])

    def get_config(self):
        return {
            **super().get_config(),
            "output_shape": list(self.partial_output_shape),
            "equation": self.equation,
            "activation": activations.serialize(self.activation),
            "bias_axes": self.bias_axes,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            **self._lora_config(),
        }
