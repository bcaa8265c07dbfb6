# ON MAIN TODAY: PASS: finishes, metrics within Keras's band
"""Port of the Keras 3 guide "Understanding masking & padding"
(keras-io guides/understanding_masking_and_padding.py).

Run on the JAX backend. No data or training; the metrics are the masks and shapes the guide
prints (NumPy's seeded generator draws the random token ids, the same in both twins).
"""

import json
import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import numpy as np
import hoarfrost as keras
from hoarfrost import ops
from hoarfrost import layers

keras.utils.set_random_seed(int(os.environ.get("PORT_SEED", "0")))

raw_inputs = [
    [711, 632, 71],
    [73, 8, 3215, 55, 927],
    [83, 91, 1, 645, 1253, 927],
]
padded_inputs = keras.utils.pad_sequences(raw_inputs, padding="post")
print(padded_inputs)

# Mask-generating layers: Embedding and Masking.
embedding = layers.Embedding(input_dim=5000, output_dim=16, mask_zero=True)
masked_output = embedding(padded_inputs)
print(masked_output._keras_mask)
embedding_mask = np.asarray(masked_output._keras_mask).tolist()

masking_layer = layers.Masking()
unmasked_embedding = ops.cast(
    ops.tile(ops.expand_dims(padded_inputs, axis=-1), [1, 1, 10]),
    dtype="float32",
)
masked_embedding = masking_layer(unmasked_embedding)
print(masked_embedding._keras_mask)
masking_mask = np.asarray(masked_embedding._keras_mask).tolist()

# Mask propagation in the Functional API and Sequential API.
model = keras.Sequential(
    [
        layers.Embedding(input_dim=5000, output_dim=16, mask_zero=True),
        layers.LSTM(32),
    ]
)
inputs = keras.Input(shape=(None,), dtype="int32")
x = layers.Embedding(input_dim=5000, output_dim=16, mask_zero=True)(inputs)
outputs = layers.LSTM(32)(x)
model = keras.Model(inputs, outputs)


# Passing mask tensors directly to layers.
class MyLayer(layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.embedding = layers.Embedding(input_dim=5000, output_dim=16, mask_zero=True)
        self.lstm = layers.LSTM(32)

    def call(self, inputs):
        x = self.embedding(inputs)
        mask = self.embedding.compute_mask(inputs)
        output = self.lstm(x, mask=mask)
        return output


layer = MyLayer()
x = np.random.random((32, 10)) * 100
x = x.astype("int32")
my_layer_output_shape = list(layer(x).shape)


# Supporting masking in your custom layers.
class TemporalSplit(keras.layers.Layer):
    """Split the input tensor into 2 tensors along the time dimension."""

    def call(self, inputs):
        return ops.split(inputs, 2, axis=1)

    def compute_mask(self, inputs, mask=None):
        if mask is None:
            return None
        return ops.split(mask, 2, axis=1)


first_half, second_half = TemporalSplit()(masked_embedding)
print(first_half._keras_mask)
print(second_half._keras_mask)
split_masks = [np.asarray(first_half._keras_mask).tolist(),
               np.asarray(second_half._keras_mask).tolist()]


class CustomEmbedding(keras.layers.Layer):
    def __init__(self, input_dim, output_dim, mask_zero=False, **kwargs):
        super().__init__(**kwargs)
        self.input_dim = input_dim
        self.output_dim = output_dim
        self.mask_zero = mask_zero

    def build(self, input_shape):
        self.embeddings = self.add_weight(
            shape=(self.input_dim, self.output_dim),
            initializer="random_normal",
            dtype="float32",
        )

    def call(self, inputs):
        inputs = ops.cast(inputs, "int32")
        return ops.take(self.embeddings, inputs)

    def compute_mask(self, inputs, mask=None):
        if not self.mask_zero:
            return None
        return ops.not_equal(inputs, 0)


layer = CustomEmbedding(10, 32, mask_zero=True)
x = np.random.random((3, 10)) * 9
x = x.astype("int32")
y = layer(x)
mask = layer.compute_mask(x)
print(mask)
custom_embedding_mask_matches = bool(np.array_equal(np.asarray(mask), x != 0))
custom_embedding_output_mask = (
    np.asarray(y._keras_mask).tolist() if getattr(y, "_keras_mask", None) is not None else None
)


# Opting-in to mask propagation on compatible layers.
class MyActivation(keras.layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, inputs):
        return ops.relu(inputs)


inputs = keras.Input(shape=(None,), dtype="int32")
x = layers.Embedding(input_dim=5000, output_dim=16, mask_zero=True)(inputs)
x = MyActivation()(x)
print("Mask found:", x._keras_mask)
symbolic_mask_found = x._keras_mask is not None
outputs = layers.LSTM(32)(x)
model = keras.Model(inputs, outputs)
y = model(np.random.randint(0, 5000, size=(32, 100)))
propagation_output_shape = list(y.shape)


# Writing layers that need mask information.
class TemporalSoftmax(keras.layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, inputs, mask=None):
        assert mask is not None
        broadcast_float_mask = ops.expand_dims(ops.cast(mask, "float32"), -1)
        inputs_exp = ops.exp(inputs) * broadcast_float_mask
        inputs_sum = ops.sum(inputs_exp * broadcast_float_mask, axis=-1, keepdims=True)
        return inputs_exp / inputs_sum


inputs = keras.Input(shape=(None,), dtype="int32")
x = layers.Embedding(input_dim=10, output_dim=32, mask_zero=True)(inputs)
x = layers.Dense(1)(x)
outputs = TemporalSoftmax()(x)
model = keras.Model(inputs, outputs)
token_ids = np.random.randint(0, 10, size=(32, 100))
y = model(token_ids)
softmax_zero_where_masked = bool(np.all(np.asarray(y)[token_ids == 0] == 0))

metrics = {
    "padded_inputs": np.asarray(padded_inputs).tolist(),
    "embedding_mask": embedding_mask,
    "masking_mask": masking_mask,
    "my_layer_output_shape": my_layer_output_shape,
    "split_masks": split_masks,
    "custom_embedding_mask_matches": custom_embedding_mask_matches,
    "custom_embedding_output_mask": custom_embedding_output_mask,
    "symbolic_mask_found": symbolic_mask_found,
    "propagation_output_shape": propagation_output_shape,
    "temporal_softmax_shape": list(y.shape),
    "softmax_zero_where_masked": softmax_zero_where_masked,
}
print("METRICS", json.dumps(metrics))
