"""Port of the keras-io example "Text classification from scratch"
(examples/nlp/text_classification_from_scratch.py).

Run on the JAX backend. Substitutions and cuts:
- the IMDB archive (a download) is replaced by synthetic reviews written as text files in
  IMDB's layout (`aclImdb/{train,test}/{pos,neg}/*.txt`, 400 training and 200 test files,
  with "<br />" tags and punctuation), read with `keras.utils.text_dataset_from_directory`
  as in the guide (validation_split=0.2, seed=1337);
- the guide's `custom_standardization` uses `tf.strings` ops, which are TensorFlow, not
  Keras; the default `standardize="lower_and_strip_punctuation"` is used instead;
- `vectorize_text` passes the batch of strings to the layer without `tf.expand_dims`
  (TextVectorization takes a rank-1 batch), and the end-to-end model with a string `Input`
  is dropped (it fails on Keras's JAX backend: "data type 'string' not understood");
- max_features 2,000, embedding_dim 32, sequence_length 100, Conv1D 32 filters and Dense 32
  instead of 20,000 / 128 / 500 / 128 / 128; 3 epochs as in the guide.
"""

import json
import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(int(os.environ.get("PORT_SEED", "0")))

# Synthetic reviews in the layout of the IMDB archive.
rng = np.random.default_rng(0)
filler = ["the", "movie", "film", "a", "was", "and", "it", "of", "plot", "actor", "scene",
          "story", "this", "with", "that", "director", "ending", "music", "cast", "time"]
positive = ["great", "wonderful", "loved", "superb", "brilliant", "moving"]
negative = ["awful", "boring", "hated", "terrible", "dull", "worst"]
for split, count in (("train", 200), ("test", 100)):
    for label, words in (("pos", positive), ("neg", negative)):
        os.makedirs(os.path.join("aclImdb", split, label), exist_ok=True)
        for i in range(count):
            tokens = list(rng.choice(filler, size=int(rng.integers(15, 60))))
            for _ in range(int(rng.integers(4, 10))):
                tokens.insert(int(rng.integers(0, len(tokens))), str(rng.choice(words)))
            text = " ".join(tokens).capitalize() + ". <br /><br />" + " ".join(
                rng.choice(filler, size=8)) + "!"
            with open(os.path.join("aclImdb", split, label, f"{i}_7.txt"), "w") as f:
                f.write(text)

batch_size = 32
raw_train_ds = keras.utils.text_dataset_from_directory(
    "aclImdb/train",
    batch_size=batch_size,
    validation_split=0.2,
    subset="training",
    seed=1337,
)
raw_val_ds = keras.utils.text_dataset_from_directory(
    "aclImdb/train",
    batch_size=batch_size,
    validation_split=0.2,
    subset="validation",
    seed=1337,
)
raw_test_ds = keras.utils.text_dataset_from_directory(
    "aclImdb/test", batch_size=batch_size
)

print(f"Number of batches in raw_train_ds: {raw_train_ds.cardinality()}")
print(f"Number of batches in raw_val_ds: {raw_val_ds.cardinality()}")
print(f"Number of batches in raw_test_ds: {raw_test_ds.cardinality()}")

for text_batch, label_batch in raw_train_ds.take(1):
    for i in range(5):
        print(np.asarray(text_batch)[i])
        print(np.asarray(label_batch)[i])
first_batch_shapes = [list(np.asarray(text_batch).shape), list(np.asarray(label_batch).shape)]

# Model constants.
max_features = 2000
embedding_dim = 32
sequence_length = 100

vectorize_layer = keras.layers.TextVectorization(
    max_tokens=max_features,
    output_mode="int",
    output_sequence_length=sequence_length,
)

# Let's make a text-only dataset (no labels):
text_ds = raw_train_ds.map(lambda x, y: x)
# Let's call `adapt`:
vectorize_layer.adapt(text_ds)


def vectorize_text(text, label):
    return vectorize_layer(text), label


# Vectorize the data.
train_ds = raw_train_ds.map(vectorize_text)
val_ds = raw_val_ds.map(vectorize_text)
test_ds = raw_test_ds.map(vectorize_text)

# Do async prefetching / buffering of the data for best performance on GPU.
train_ds = train_ds.cache().prefetch(buffer_size=10)
val_ds = val_ds.cache().prefetch(buffer_size=10)
test_ds = test_ds.cache().prefetch(buffer_size=10)

# A integer input for vocab indices.
inputs = keras.Input(shape=(None,), dtype="int64")

x = layers.Embedding(max_features, embedding_dim)(inputs)
x = layers.Dropout(0.5)(x)

# Conv1D + global max pooling
x = layers.Conv1D(32, 7, padding="valid", activation="relu", strides=3)(x)
x = layers.Conv1D(32, 7, padding="valid", activation="relu", strides=3)(x)
x = layers.GlobalMaxPooling1D()(x)

# We add a vanilla hidden layer:
x = layers.Dense(32, activation="relu")(x)
x = layers.Dropout(0.5)(x)

# We project onto a single unit output layer, and squash it with a sigmoid:
predictions = layers.Dense(1, activation="sigmoid", name="predictions")(x)

model = keras.Model(inputs, predictions)

# Compile the model with binary crossentropy loss and an adam optimizer.
model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])

epochs = 3

# Fit the model using the train and test datasets.
history = model.fit(train_ds, validation_data=val_ds, epochs=epochs)

test_loss, test_acc = model.evaluate(test_ds)

metrics = {
    "train_batches": int(raw_train_ds.cardinality()),
    "val_batches": int(raw_val_ds.cardinality()),
    "test_batches": int(raw_test_ds.cardinality()),
    "class_names": raw_train_ds.class_names,
    "first_batch_shapes": first_batch_shapes,
    "vocab_size": vectorize_layer.vocabulary_size(),
    "vocab_head": vectorize_layer.get_vocabulary()[:5],
    "params": model.count_params(),
    "loss": float(history.history["loss"][-1]),
    "accuracy": float(history.history["accuracy"][-1]),
    "val_accuracy": float(history.history["val_accuracy"][-1]),
    "test_loss": float(test_loss),
    "test_accuracy": float(test_acc),
}
print("METRICS", json.dumps(metrics))
