"""Port of the Keras guide "Working with preprocessing layers" (guides/preprocessing_layers.py).

Run on the JAX backend. Substitutions and cuts:
- `tf.constant(...)` inputs are NumPy arrays, and outputs are read with `np.asarray(t)`
  instead of `t.numpy()` (the JAX backend's tensors have no `.numpy()`);
- the CIFAR-10 normalization and ResNet50 augmentation examples use the MNIST digit sample
  (1,024 training and 512 test digits, 3 epochs) and a small convnet instead of ResNet50;
  the augmentation adds RandomZoom as the guide does;
- a Discretization example is added (the guide lists the layer without an example), and the
  text examples train for 3 epochs instead of 1 on the guide's two sentences;
- the guide's end-to-end models taking `keras.Input(dtype="string")` fail on Keras's JAX
  backend ("data type 'string' not understood"), so the vectorizer is applied before the
  trained model instead;
- the multi-hot and TF-IDF models (a Dense(1) on two sentences) record whether their loss
  fell, not its value: that value is set by the initial weights (0.02 to 3.4 over seeds, on
  Keras as on hoarfrost), too wide for a band of three seeds;
- printing is kept where cheap; every printed value is recorded in `metrics`.
"""

import json
import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import numpy as np
import keras
from keras import layers
import tensorflow as tf  # tf.data only
from _data import mnist_sample

keras.utils.set_random_seed(int(os.environ.get("PORT_SEED", "0")))
metrics = {}

# The adapt() method
data = np.array([[0.1, 0.2, 0.3], [0.8, 0.9, 1.0], [1.5, 1.6, 1.7]])
layer = layers.Normalization()
layer.adapt(data)
normalized_data = layer(data)

print("Features mean: %.2f" % (np.asarray(normalized_data).mean()))
print("Features std: %.2f" % (np.asarray(normalized_data).std()))
metrics["norm_mean"] = round(float(np.asarray(normalized_data).mean()), 4)
metrics["norm_std"] = round(float(np.asarray(normalized_data).std()), 4)

data = [
    "ξεῖν᾽, ἦ τοι μὲν ὄνειροι ἀμήχανοι ἀκριτόμυθοι",
    "γίγνοντ᾽, οὐδέ τι πάντα τελείεται ἀνθρώποισι.",
    "δοιαὶ γάρ τε πύλαι ἀμενηνῶν εἰσὶν ὀνείρων:",
    "αἱ μὲν γὰρ κεράεσσι τετεύχαται, αἱ δ᾽ ἐλέφαντι:",
    "τῶν οἳ μέν κ᾽ ἔλθωσι διὰ πριστοῦ ἐλέφαντος,",
    "οἵ ῥ᾽ ἐλεφαίρονται, ἔπε᾽ ἀκράαντα φέροντες:",
    "οἱ δὲ διὰ ξεστῶν κεράων ἔλθωσι θύραζε,",
    "οἵ ῥ᾽ ἔτυμα κραίνουσι, βροτῶν ὅτε κέν τις ἴδηται.",
]
layer = layers.TextVectorization()
layer.adapt(data)
vectorized_text = layer(data)
print(vectorized_text)
metrics["greek_vocab_size"] = layer.vocabulary_size()
metrics["greek_vocab_head"] = layer.get_vocabulary()[:6]
metrics["greek_vectorized"] = np.asarray(vectorized_text).tolist()

vocab = ["a", "b", "c", "d"]
data = np.array([["a", "c", "d"], ["d", "z", "b"]])
layer = layers.StringLookup(vocabulary=vocab)
vectorized_data = layer(data)
print(vectorized_data)
metrics["string_lookup"] = np.asarray(vectorized_data).tolist()

# Preprocessing data before the model or inside the model: augmentation inside the model
(x_train, y_train), (x_test, y_test) = mnist_sample()
x_train = x_train[:1024, :, :, None].astype("float32")
y_train = y_train[:1024]
x_test = x_test[:512, :, :, None].astype("float32")
y_test = y_test[:512]

data_augmentation = keras.Sequential(
    [
        layers.RandomFlip("horizontal"),
        layers.RandomRotation(0.1),
        layers.RandomZoom(0.1),
    ]
)
input_shape = x_train.shape[1:]
classes = 10

inputs = keras.Input(shape=input_shape)
x = data_augmentation(inputs)
x = layers.Rescaling(1.0 / 255)(x)
x = layers.Conv2D(16, 3, activation="relu")(x)
x = layers.MaxPooling2D()(x)
x = layers.Conv2D(32, 3, activation="relu")(x)
x = layers.GlobalAveragePooling2D()(x)
outputs = layers.Dense(classes, activation="softmax")(x)
model = keras.Model(inputs, outputs)
model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
history = model.fit(x_train, y_train, epochs=3, batch_size=64, verbose=2)
metrics["augment_loss"] = float(history.history["loss"][-1])
metrics["augment_params"] = model.count_params()

# Normalizing numerical features
normalizer = layers.Normalization()
normalizer.adapt(x_train)
metrics["mnist_mean"] = round(float(np.asarray(normalizer.mean).reshape(())), 2)

inputs = keras.Input(shape=input_shape)
x = normalizer(inputs)
x = layers.Flatten()(x)
x = layers.Dense(32, activation="relu")(x)
outputs = layers.Dense(classes, activation="softmax")(x)
model = keras.Model(inputs, outputs)
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
history = model.fit(x_train, y_train, epochs=3, batch_size=64, verbose=2)
metrics["normalized_loss"] = float(history.history["loss"][-1])
metrics["normalized_test_acc"] = float(model.evaluate(x_test, y_test, verbose=0)[1])

# Encoding string categorical features via one-hot encoding
vocab = np.array(["a", "b", "c", "a", "d", "a", "b"])
lookup = layers.StringLookup(output_mode="one_hot")
lookup.adapt(vocab)
test_data = np.array(["a", "b", "c", "d", "e", ""])
encoded_data = lookup(test_data)
print(encoded_data)
metrics["string_one_hot"] = np.asarray(encoded_data).tolist()
metrics["string_vocab"] = lookup.get_vocabulary()

# Encoding integer categorical features via one-hot encoding
data = np.array([10, 20, 20, 10, 30, 0])
lookup = layers.IntegerLookup(output_mode="one_hot")
lookup.adapt(data)
test_data = np.array([10, 10, 20, 50, 60, 0])
encoded_data = lookup(test_data)
print(encoded_data)
metrics["integer_one_hot"] = np.asarray(encoded_data).tolist()
metrics["integer_vocab"] = [int(v) for v in lookup.get_vocabulary()]

# Applying the hashing trick to an integer categorical feature
data = np.random.randint(0, 100000, size=(10000, 1))
hasher = layers.Hashing(num_bins=64, salt=1337)
encoder = layers.CategoryEncoding(num_tokens=64, output_mode="multi_hot")
encoded_data = encoder(hasher(data))
print(encoded_data.shape)
metrics["hashed_shape"] = list(encoded_data.shape)
fixed = np.array([[0], [1], [99999], [12345]])
metrics["hashed_fixed"] = np.asarray(hasher(fixed)).tolist()

# Discretization (listed in the guide)
disc = layers.Discretization(num_bins=4, epsilon=0.01)
disc.adapt(np.arange(100, dtype="float32"))
metrics["discretized"] = np.asarray(disc(np.array([[-1.0, 10.0, 30.0, 60.0, 99.0]]))).tolist()
disc2 = layers.Discretization(bin_boundaries=[0.0, 1.0, 2.0], output_mode="one_hot")
metrics["discretized_one_hot"] = np.asarray(disc2(np.array([-0.5, 0.5, 1.5, 2.5]))).tolist()

# Encoding text as a sequence of token indices
adapt_data = np.array(
    [
        "The Brain is wider than the Sky",
        "For put them side by side",
        "The one the other will contain",
        "With ease and You beside",
    ]
)
text_vectorizer = layers.TextVectorization(output_mode="int")
text_vectorizer.adapt(adapt_data)
print("Encoded text:\n", np.asarray(text_vectorizer(["The Brain is deeper than the sea"])))
metrics["int_encoded"] = np.asarray(text_vectorizer(["The Brain is deeper than the sea"])).tolist()

inputs = keras.Input(shape=(None,), dtype="int64")
x = layers.Embedding(input_dim=text_vectorizer.vocabulary_size(), output_dim=16)(inputs)
x = layers.GRU(8)(x)
outputs = layers.Dense(1)(x)
model = keras.Model(inputs, outputs)

train_dataset = tf.data.Dataset.from_tensor_slices(
    (["The Brain is deeper than the sea", "for if they are held Blue to Blue"], [1, 0])
)
train_dataset = train_dataset.batch(2).map(lambda x, y: (text_vectorizer(x), y))
model.compile(optimizer="rmsprop", loss="mse")
history = model.fit(train_dataset, epochs=3, verbose=2)
metrics["int_model_loss"] = float(history.history["loss"][-1])

pred = model(text_vectorizer(np.array(["The one the other will absorb"])))
print("Model output:", pred)
metrics["int_end_to_end_shape"] = list(pred.shape)

# Encoding text as a dense matrix of N-grams with multi-hot encoding
text_vectorizer = layers.TextVectorization(output_mode="multi_hot", ngrams=2)
text_vectorizer.adapt(adapt_data)
encoded = text_vectorizer(["The Brain is deeper than the sea"])
print("Encoded text:\n", np.asarray(encoded))
metrics["multi_hot_encoded"] = np.asarray(encoded).tolist()
metrics["multi_hot_vocab_size"] = text_vectorizer.vocabulary_size()

inputs = keras.Input(shape=(text_vectorizer.vocabulary_size(),))
outputs = layers.Dense(1)(inputs)
model = keras.Model(inputs, outputs)
train_dataset = tf.data.Dataset.from_tensor_slices(
    (["The Brain is deeper than the sea", "for if they are held Blue to Blue"], [1, 0])
)
train_dataset = train_dataset.batch(2).map(lambda x, y: (text_vectorizer(x), y))
model.compile(optimizer="rmsprop", loss="mse")
history = model.fit(train_dataset, epochs=3, verbose=2)
metrics["multi_hot_model_loss_decreased"] = bool(history.history["loss"][-1] < history.history["loss"][0])

# Encoding text as a dense matrix of N-grams with TF-IDF weighting
text_vectorizer = layers.TextVectorization(output_mode="tf_idf", ngrams=2)
text_vectorizer.adapt(adapt_data)
encoded = text_vectorizer(["The Brain is deeper than the sea"])
print("Encoded text:\n", np.asarray(encoded))
metrics["tf_idf_encoded"] = [round(float(v), 4) for v in np.asarray(encoded)[0]]
metrics["tf_idf_vocab_head"] = text_vectorizer.get_vocabulary()[:8]

inputs = keras.Input(shape=(text_vectorizer.vocabulary_size(),))
outputs = layers.Dense(1)(inputs)
model = keras.Model(inputs, outputs)
train_dataset = tf.data.Dataset.from_tensor_slices(
    (["The Brain is deeper than the sea", "for if they are held Blue to Blue"], [1, 0])
)
train_dataset = train_dataset.batch(2).map(lambda x, y: (text_vectorizer(x), y))
model.compile(optimizer="rmsprop", loss="mse")
history = model.fit(train_dataset, epochs=3, verbose=2)
metrics["tf_idf_model_loss_decreased"] = bool(history.history["loss"][-1] < history.history["loss"][0])

pred = model(text_vectorizer(np.array(["The one the other will absorb"])))
metrics["tf_idf_end_to_end_shape"] = list(pred.shape)

print("METRICS", json.dumps(metrics, ensure_ascii=False))
