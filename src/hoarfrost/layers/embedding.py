"""`Embedding`: integer indices to dense vectors."""

from __future__ import annotations

import jax.numpy as jnp

from hoarfrost import constraints, initializers, regularizers
from hoarfrost.layers.layer import Layer
from hoarfrost.symbolic import KerasTensor, is_keras_tensor


def _get_initializer(identifier):
    # Keras also accepts "uniform" / "normal" as short names of RandomUniform /
    # RandomNormal (Embedding's default is "uniform": U(-0.05, 0.05)).
    if isinstance(identifier, str) and identifier.lower() in ("uniform", "normal"):
        identifier = {"uniform": "random_uniform", "normal": "random_normal"}[identifier.lower()]
    return initializers.get(identifier)


class Embedding(Layer):
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
        if lora_rank or quantization_config is not None:
            raise NotImplementedError(
                "Embedding: LoRA (`lora_rank`) and quantization are not supported by hoarfrost."
            )
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
        if weights is not None:
            self.build(None)
            if not (isinstance(weights, (list, tuple)) and len(weights) == 1):
                weights = [weights]
            self.set_weights(weights)

    def build(self, input_shape=None):
        if self.built:
            return
        self.embeddings = self.add_weight(
            shape=(self.input_dim, self.output_dim), initializer=self.embeddings_initializer,
            regularizer=self.embeddings_regularizer, constraint=self.embeddings_constraint,
            name="embeddings")
        self.built = True

    def call(self, inputs):
        if inputs.dtype not in (jnp.int32, jnp.int64):
            inputs = inputs.astype(jnp.int32)
        outputs = jnp.take(self.embeddings.value, inputs, axis=0)
        if self.activity_regularizer is not None:
            self.add_loss(self.activity_regularizer(outputs) / outputs.shape[0])
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
            return KerasTensor(self.compute_output_shape(inputs.shape), self.dtype)
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
        }

