"""`Embedding`: integer indices to dense vectors."""

from __future__ import annotations

import jax.numpy as jnp

from hoarfrost import constraints, initializers, regularizers
from hoarfrost.layers.layer import Layer
from hoarfrost.layers.lora import LoRAMixin
from hoarfrost.layers.quantized import QuantizedMixin
from hoarfrost.symbolic import KerasTensor, is_keras_tensor


def _get_initializer(identifier):
    # Keras also accepts "uniform" / "normal" as short names of RandomUniform /
    # RandomNormal (Embedding's default is "uniform": U(-0.05, 0.05)).
    if isinstance(identifier, str) and identifier.lower() in ("uniform", "normal"):
        identifier = {"uniform": "random_uniform", "normal": "random_normal"}[identifier.lower()]
    return initializers.get(identifier)


class Embedding(LoRAMixin, QuantizedMixin, Layer):
    """Turns non-negative integers (indices) into dense vectors of fixed size.

    `[[4], [20]] -> [[0.25, 0.1], [0.6, -0.2]]`: row `i` of the `embeddings`
    matrix is the vector of index `i`. Inputs of any shape are accepted (cast
    to int32, as in Keras); the output has one more axis of size `output_dim`.
    Out-of-range indices behave as `jnp.take` (Keras on JAX does the same).

    Args:
        input_dim: the vocabulary size (largest index + 1).
        output_dim: the size of each vector.
        embeddings_initializer: initializer of the matrix; Keras's default
            `"uniform"` (uniform in [-0.05, 0.05]).
        embeddings_regularizer: a penalty on the matrix, added to the loss
            while it is trainable.
        activity_regularizer: a penalty on the output.
        embeddings_constraint: a projection applied after each update.
        mask_zero: whether index 0 is padding. Then the output carries the
            mask `inputs != 0` (`compute_mask(inputs)`), which the layers
            downstream pick up as in Keras: recurrent layers skip padded
            steps, `GlobalAveragePooling1D` leaves them out, and the loss and
            metrics ignore them.
        weights: an optional initial `(input_dim, output_dim)` matrix (or a
            one-element list holding it).
        input_length: accepted for Keras 2 code; it means
            `input_shape=(input_length,)` (Keras 3 ignores it with a warning).
        lora_rank, lora_alpha: enable LoRA when built (see `enable_lora`): the
            matrix is frozen and `lora_embeddings_a` (`(input_dim, rank)`) @
            `lora_embeddings_b` (`(rank, output_dim)`), scaled by
            `lora_alpha / lora_rank`, trains instead.
        quantization_config: for a quantized layer (`dtype="int8_from_float32"`):
            int8 rows with one float scale per row (`embeddings_scale`).
        **kwargs: `name`, `trainable`, `input_shape`, `dtype`.

    Example:
        >>> layer = Embedding(10, 3)
        >>> layer(jnp.array([[1, 2, 0]])).shape
        (1, 3, 3)
    """

    def __init__(self, input_dim: int, output_dim: int, embeddings_initializer="uniform",
                 embeddings_regularizer=None, embeddings_constraint=None, mask_zero: bool = False,
                 weights=None, lora_rank=None, lora_alpha=None, activity_regularizer=None,
                 quantization_config=None, **kwargs):
        for arg, value in (("input_dim", input_dim), ("output_dim", output_dim)):
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise ValueError(
                    f"Embedding: `{arg}` must be a positive integer. Received: "
                    f"{arg}={value!r} (of type {type(value).__name__})."
                )
        kwargs["quantization_config"] = quantization_config
        self._init_quantization(kwargs)
        input_length = kwargs.pop("input_length", None)
        if input_length is not None and "input_shape" not in kwargs \
                and "batch_input_shape" not in kwargs:
            kwargs["input_shape"] = (input_length,)
        super().__init__(**kwargs)
        self.input_dim = input_dim
        self.output_dim = output_dim
        self.embeddings_initializer = _get_initializer(embeddings_initializer)
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self.embeddings_constraint = constraints.get(embeddings_constraint)
        self.mask_zero = bool(mask_zero)
        self.supports_masking = self.mask_zero
        self._init_lora(lora_rank, lora_alpha)
        self.autocast = False  # as Keras: look up in float32, then cast to compute_dtype
        if weights is not None:
            self.build(None)
            if not (isinstance(weights, (list, tuple)) and len(weights) == 1):
                weights = [weights]
            self.set_weights(weights)

    def build(self, input_shape=None):
        if self.built:
            return
        shape = (self.input_dim, self.output_dim)
        if self.quantization_mode is not None:
            self.embeddings = self._add_int8_weight("embeddings", shape)
            self.embeddings_scale = self._add_scale_weight("embeddings_scale", (self.input_dim,))
        else:
            self.embeddings = self.add_weight(
                shape=shape, initializer=self.embeddings_initializer,
                regularizer=self.embeddings_regularizer, constraint=self.embeddings_constraint,
                name="embeddings")
        self.built = True
        self._build_lora()

    # --- LoRA and int8: one scale per row (index), as Keras --------------------------------
    _lora_target = _quantization_target = "embeddings"
    _lora_prefix = "lora_embeddings"
    _lora_constraint = "embeddings_constraint"
    _lora_regularizer = "embeddings_regularizer"
    _quantization_scale = "embeddings_scale"

    def _weight_axes(self):
        return (-1,)

    def _scale_layout(self, scale):
        return jnp.squeeze(scale, axis=-1)

    def _dequant_layout(self, scale):
        return jnp.expand_dims(scale, -1)

    def _inputs_quantizer(self):
        return None  # indices are not quantized

    def call(self, inputs):
        if inputs.dtype not in (jnp.int32, jnp.int64):
            inputs = inputs.astype(jnp.int32)
        if self.quantization_mode is not None:
            scale = jnp.take(self.embeddings_scale.value, inputs, axis=0)
            outputs = jnp.take(self.embeddings.value, inputs, axis=0)
            outputs = jnp.divide(outputs.astype(self.dtype), jnp.expand_dims(scale, axis=-1))
        else:
            outputs = jnp.take(self.embeddings.value, inputs, axis=0)
        outputs = self._add_lora(outputs, lambda a: jnp.take(a, inputs, axis=0))
        outputs = outputs.astype(self.compute_dtype)
        self._add_activity_loss(outputs)
        return outputs

    def compute_mask(self, inputs, mask=None):
        """`inputs != 0` when `mask_zero`, else None (the Keras rule)."""
        if not self.mask_zero:
            return None
        if is_keras_tensor(inputs):
            return KerasTensor(inputs.shape, "bool")
        return jnp.not_equal(jnp.asarray(inputs), 0)

    def compute_output_shape(self, input_shape):
        return (*tuple(input_shape), self.output_dim)

    def compute_output_spec(self, inputs, **kwargs):
        # Direct (no tracing), so sequences of unknown length (None) work too.
        if is_keras_tensor(inputs):
            return KerasTensor(self.compute_output_shape(inputs.shape), self.compute_dtype)
        return super().compute_output_spec(inputs, **kwargs)

    def get_config(self):
        return {
            **super().get_config(),
            "input_dim": self.input_dim,
            "output_dim": self.output_dim,
            "embeddings_initializer": initializers.serialize(self.embeddings_initializer),
            "embeddings_regularizer": regularizers.serialize(self.embeddings_regularizer),
            "embeddings_constraint": constraints.serialize(self.embeddings_constraint),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "mask_zero": self.mask_zero,
            **self._lora_config(),
        }



class ReversibleEmbedding(Embedding):
    """An `Embedding` that can also project vectors back to vocabulary logits.

    `layer(ids)` looks up embeddings; `layer(hidden, reverse=True)` returns
    `hidden @ embeddings.T` (`tie_weights=True`, the default) or `hidden @
    reverse_embeddings` (`tie_weights=False`: a separate `(output_dim,
    input_dim)` matrix), the usual tied input/output embedding of language
    models. As `keras.layers.ReversibleEmbedding`.

    Args:
        input_dim, output_dim, embeddings_initializer, embeddings_regularizer,
        embeddings_constraint, mask_zero: as `Embedding`.
        tie_weights: reuse the transposed embeddings for the reverse
            projection (else a separate `reverse_embeddings` weight).
        reverse_dtype: the dtype the reverse projection computes in (e.g.
            `"float32"` under a mixed policy); None: the compute dtype.
        logit_soft_cap: if set, logits become `tanh(logits / cap) * cap`.
        **kwargs: as `Embedding` (`name`, `trainable`, `dtype`, LoRA).

    Example:
        >>> layer = ReversibleEmbedding(10, 4)
        >>> hidden = layer(jnp.array([[1, 2, 3]]))
        >>> layer(hidden, reverse=True).shape
        (1, 3, 10)
    """

    def __init__(self, input_dim: int, output_dim: int, tie_weights: bool = True,
                 embeddings_initializer="uniform", embeddings_regularizer=None,
                 embeddings_constraint=None, mask_zero: bool = False, reverse_dtype=None,
                 logit_soft_cap=None, **kwargs):
        if kwargs.get("quantization_config") is not None or str(
                kwargs.get("dtype") or "").startswith(("int8", "int4")):
            raise NotImplementedError(
                "ReversibleEmbedding: quantization is not supported by hoarfrost; use an "
                "unquantized dtype.")
        super().__init__(input_dim, output_dim, embeddings_initializer=embeddings_initializer,
                         embeddings_regularizer=embeddings_regularizer,
                         embeddings_constraint=embeddings_constraint, mask_zero=mask_zero,
                         **kwargs)
        self.tie_weights = bool(tie_weights)
        self.reverse_dtype = reverse_dtype
        self.logit_soft_cap = logit_soft_cap
        self.reverse_embeddings = None

    def build(self, input_shape=None):
        if self.built:
            return
        super().build(input_shape)
        if not self.tie_weights:
            self.reverse_embeddings = self.add_weight(
                shape=(self.output_dim, self.input_dim), initializer=self.embeddings_initializer,
                name="reverse_embeddings")
        self.built = True

    def __call__(self, inputs, *args, **kwargs):
        if kwargs.get("reverse") or (args and args[0] is True):
            # Floating hidden states: the lookup's integer cast must not apply.
            self._maybe_build(None)
        return super().__call__(inputs, *args, **kwargs)

    def call(self, inputs, reverse: bool = False):
        if not reverse:
            return super().call(inputs)
        if self.tie_weights:
            kernel = jnp.transpose(self._adapted(self.embeddings.value))
        else:
            kernel = self.reverse_embeddings.value
        if self.reverse_dtype is not None:
            inputs = inputs.astype(self.reverse_dtype)
            kernel = kernel.astype(self.reverse_dtype)
        logits = jnp.matmul(inputs, kernel)
        if self.logit_soft_cap is not None:
            cap = self.logit_soft_cap
            logits = jnp.tanh(logits / cap) * cap
        return logits

    def compute_mask(self, inputs, mask=None):
        # Keras: the lookup's outputs carry `ids != 0` (mask_zero); logits carry none.
        if jnp.issubdtype(inputs.dtype, jnp.floating):
            return None
        return super().compute_mask(inputs, mask)

    def compute_output_shape(self, input_shape, reverse: bool = False):
        if reverse:
            return tuple(input_shape[:-1]) + (self.input_dim,)
        return super().compute_output_shape(input_shape)

    def compute_output_spec(self, inputs, reverse: bool = False, **kwargs):
        if is_keras_tensor(inputs):
            dtype = self.reverse_dtype or self.compute_dtype
            return KerasTensor(self.compute_output_shape(inputs.shape, reverse),
                               dtype if reverse else self.compute_dtype)
        return super().compute_output_spec(inputs, reverse=reverse, **kwargs)

    def get_config(self):
        return {**super().get_config(), "tie_weights": self.tie_weights,
                "reverse_dtype": self.reverse_dtype, "logit_soft_cap": self.logit_soft_cap}
