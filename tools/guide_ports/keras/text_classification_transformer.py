"""Port of the keras-io example "Text classification with Transformer"
(examples/nlp/text_classification_with_transformer.py).

Run on the JAX backend. Substitution: IMDB (a download) is replaced by synthetic reviews in
IMDB's format (lists of word ids, 1 = positive), 2,000 for training and 500 for validation:
filler words plus a few "positive" or "negative" sentiment words, so the task is learnable
from word content as IMDB's is. `maxlen` is 100 instead of 200 (reviews here are 20-120
words).
With PORT_SMALL=1 (CI): 600 training and 200 validation reviews, 4 epochs (about as many
steps as the full run, so it reaches the same regime).
"""

import json
import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import numpy as np
import keras
from keras import ops
from keras import layers

keras.utils.set_random_seed(int(os.environ.get("PORT_SEED", "0")))
SMALL = os.environ.get("PORT_SMALL") == "1"  # the cut CI runs (tests/programs)


class TransformerBlock(layers.Layer):
    def __init__(self, embed_dim, num_heads, ff_dim, rate=0.1):
        super().__init__()
        self.att = layers.MultiHeadAttention(num_heads=num_heads, key_dim=embed_dim)
        self.ffn = keras.Sequential(
            [
                layers.Dense(ff_dim, activation="relu"),
                layers.Dense(embed_dim),
            ]
        )
        self.layernorm1 = layers.LayerNormalization(epsilon=1e-6)
        self.layernorm2 = layers.LayerNormalization(epsilon=1e-6)
        self.dropout1 = layers.Dropout(rate)
        self.dropout2 = layers.Dropout(rate)

    def call(self, inputs):
        attn_output = self.att(inputs, inputs)
        attn_output = self.dropout1(attn_output)
        out1 = self.layernorm1(inputs + attn_output)
        ffn_output = self.ffn(out1)
        ffn_output = self.dropout2(ffn_output)
        return self.layernorm2(out1 + ffn_output)


class TokenAndPositionEmbedding(layers.Layer):
    def __init__(self, maxlen, vocab_size, embed_dim):
        super().__init__()
        self.token_emb = layers.Embedding(input_dim=vocab_size, output_dim=embed_dim)
        self.pos_emb = layers.Embedding(input_dim=maxlen, output_dim=embed_dim)

    def call(self, x):
        maxlen = ops.shape(x)[-1]
        positions = ops.arange(start=0, stop=maxlen, step=1)
        positions = self.pos_emb(positions)
        x = self.token_emb(x)
        return x + positions


def synthetic_imdb(num_words, num_train=2000, num_test=500, seed=0):
    """IMDB-shaped data: lists of word ids (1 = start token, as in IMDB) and 0/1 labels."""
    rng = np.random.default_rng(seed)
    positive_words = np.arange(10, 60)
    negative_words = np.arange(60, 110)

    def review(label):
        filler = rng.integers(110, num_words, size=rng.integers(20, 121)).tolist()
        own, other = (positive_words, negative_words) if label else (negative_words, positive_words)
        for word in rng.choice(own, size=rng.integers(3, 9)).tolist():
            filler.insert(rng.integers(0, len(filler) + 1), word)
        for word in rng.choice(other, size=rng.integers(0, 3)).tolist():
            filler.insert(rng.integers(0, len(filler) + 1), word)
        return [1] + filler

    labels = rng.integers(0, 2, size=num_train + num_test)
    reviews = [review(label) for label in labels]
    return ((reviews[:num_train], labels[:num_train]),
            (reviews[num_train:], labels[num_train:]))


vocab_size = 20000
maxlen = 100
(x_train, y_train), (x_val, y_val) = synthetic_imdb(
    num_words=vocab_size, num_train=600 if SMALL else 2000, num_test=200 if SMALL else 500
)
print(len(x_train), "Training sequences")
print(len(x_val), "Validation sequences")
x_train = keras.utils.pad_sequences(x_train, maxlen=maxlen)
x_val = keras.utils.pad_sequences(x_val, maxlen=maxlen)

embed_dim = 32
num_heads = 2
ff_dim = 32

inputs = layers.Input(shape=(maxlen,))
embedding_layer = TokenAndPositionEmbedding(maxlen, vocab_size, embed_dim)
x = embedding_layer(inputs)
transformer_block = TransformerBlock(embed_dim, num_heads, ff_dim)
x = transformer_block(x)
x = layers.GlobalAveragePooling1D()(x)
x = layers.Dropout(0.1)(x)
x = layers.Dense(20, activation="relu")(x)
x = layers.Dropout(0.1)(x)
outputs = layers.Dense(2, activation="softmax")(x)

model = keras.Model(inputs=inputs, outputs=outputs)

model.compile(
    optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"]
)
history = model.fit(
    x_train, y_train, batch_size=32, epochs=4 if SMALL else 2, validation_data=(x_val, y_val)
)

metrics = {
    "params": model.count_params(),
    "train_accuracy": float(history.history["accuracy"][-1]),
    "val_loss": float(history.history["val_loss"][-1]),
    "val_accuracy": float(history.history["val_accuracy"][-1]),
}
print("METRICS", json.dumps(metrics))
