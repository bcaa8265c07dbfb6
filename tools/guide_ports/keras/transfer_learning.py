"""Port of the Keras 3 guide "Transfer learning & fine-tuning"
(keras-io guides/transfer_learning.py).

Run on the JAX backend. Substitutions: the guide's backbone is Xception with ImageNet
weights and its data cats-vs-dogs from TFDS; here the backbone is a small convnet (with
BatchNormalization, like Xception) pretrained in this program on 10-class digits, and the
new task is "odd or even digit" on other digits of the sample shipped with hoarfrost (1,000
training, 300 validation, 300 test images, grey repeated to RGB, 0-255, resized to 32x32
instead of 150x150). `tf.data.Dataset.from_tensor_slices` stands in for `tfds.load`; the
twin uses `hoarfrost.data`. Omitted: the matplotlib displays.
"""

import json
import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import numpy as np
import tensorflow as tf  # tf.data only
from tensorflow import data as tf_data
import keras
from keras import layers
from _data import mnist_sample

keras.utils.set_random_seed(int(os.environ.get("PORT_SEED", "0")))

# Freezing layers: understanding the `trainable` attribute.
layer = keras.layers.Dense(3)
layer.build((None, 4))
print("weights:", len(layer.weights))
print("trainable_weights:", len(layer.trainable_weights))
print("non_trainable_weights:", len(layer.non_trainable_weights))
dense_counts = [len(layer.weights), len(layer.trainable_weights), len(layer.non_trainable_weights)]

layer = keras.layers.BatchNormalization()
layer.build((None, 4))
print("weights:", len(layer.weights))
print("trainable_weights:", len(layer.trainable_weights))
print("non_trainable_weights:", len(layer.non_trainable_weights))
bn_counts = [len(layer.weights), len(layer.trainable_weights), len(layer.non_trainable_weights)]

layer = keras.layers.Dense(3)
layer.build((None, 4))
layer.trainable = False
print("weights:", len(layer.weights))
print("trainable_weights:", len(layer.trainable_weights))
print("non_trainable_weights:", len(layer.non_trainable_weights))
frozen_counts = [len(layer.weights), len(layer.trainable_weights),
                 len(layer.non_trainable_weights)]

layer1 = keras.layers.Dense(3, activation="relu")
layer2 = keras.layers.Dense(3, activation="sigmoid")
model = keras.Sequential([keras.Input(shape=(3,)), layer1, layer2])
layer1.trainable = False
initial_layer1_weights_values = layer1.get_weights()
model.compile(optimizer="adam", loss="mse")
model.fit(np.random.random((2, 3)), np.random.random((2, 3)))
final_layer1_weights_values = layer1.get_weights()
np.testing.assert_allclose(
    initial_layer1_weights_values[0], final_layer1_weights_values[0]
)
np.testing.assert_allclose(
    initial_layer1_weights_values[1], final_layer1_weights_values[1]
)

# Recursive setting of the `trainable` attribute.
inner_model = keras.Sequential(
    [
        keras.Input(shape=(3,)),
        keras.layers.Dense(3, activation="relu"),
        keras.layers.Dense(3, activation="relu"),
    ]
)
model = keras.Sequential(
    [
        keras.Input(shape=(3,)),
        inner_model,
        keras.layers.Dense(3, activation="sigmoid"),
    ]
)
model.trainable = False
assert inner_model.trainable == False
assert inner_model.layers[0].trainable == False

# Substitute for keras.applications.Xception(weights="imagenet"): a small convnet
# pretrained here on 10-class digits.
(x_digits, y_digits), (x_other, y_other) = mnist_sample()
x_digits = np.repeat(x_digits[..., None], 3, axis=-1).astype("float32")
x_other = np.repeat(x_other[..., None], 3, axis=-1).astype("float32")

pretrain_inputs = keras.Input(shape=(32, 32, 3))
x = keras.layers.Rescaling(scale=1 / 127.5, offset=-1)(pretrain_inputs)
backbone_input = keras.Input(shape=(32, 32, 3))
y = keras.layers.Conv2D(32, 3, use_bias=False)(backbone_input)
y = keras.layers.BatchNormalization()(y)
y = keras.layers.ReLU()(y)
y = keras.layers.MaxPooling2D(2)(y)
y = keras.layers.Conv2D(64, 3, use_bias=False)(y)
y = keras.layers.BatchNormalization()(y)
y = keras.layers.ReLU()(y)
y = keras.layers.MaxPooling2D(2)(y)
pretrained_backbone = keras.Model(backbone_input, y, name="backbone")
x = pretrained_backbone(x)
x = keras.layers.GlobalAveragePooling2D()(x)
pretrain_outputs = keras.layers.Dense(10)(x)
pretrain_model = keras.Model(pretrain_inputs, pretrain_outputs)
pretrain_model.compile(
    optimizer="adam",
    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    metrics=["accuracy"],
)
x_pretrain = keras.layers.Resizing(32, 32)(x_digits[:4000])
pretrain_history = pretrain_model.fit(x_pretrain, y_digits[:4000], epochs=2, batch_size=64)
pretrained_backbone.save_weights("backbone.weights.h5")

# The new task: is the digit odd? (stands in for cats vs. dogs)
train_ds = tf.data.Dataset.from_tensor_slices((x_digits[4000:5000], y_digits[4000:5000] % 2))
validation_ds = tf.data.Dataset.from_tensor_slices((x_other[:300], y_other[:300] % 2))
test_ds = tf.data.Dataset.from_tensor_slices((x_other[300:600], y_other[300:600] % 2))
print(f"Number of training samples: {train_ds.cardinality()}")
print(f"Number of validation samples: {validation_ds.cardinality()}")
print(f"Number of test samples: {test_ds.cardinality()}")

resize_fn = keras.layers.Resizing(32, 32)
train_ds = train_ds.map(lambda x, y: (resize_fn(x), y))
validation_ds = validation_ds.map(lambda x, y: (resize_fn(x), y))
test_ds = test_ds.map(lambda x, y: (resize_fn(x), y))

augmentation_layers = [
    layers.RandomFlip("horizontal"),
    layers.RandomRotation(0.1),
]


def data_augmentation(x):
    for layer in augmentation_layers:
        x = layer(x)
    return x


train_ds = train_ds.map(lambda x, y: (data_augmentation(x), y))

batch_size = 64
train_ds = train_ds.batch(batch_size).prefetch(tf_data.AUTOTUNE).cache()
validation_ds = validation_ds.batch(batch_size).prefetch(tf_data.AUTOTUNE).cache()
test_ds = test_ds.batch(batch_size).prefetch(tf_data.AUTOTUNE).cache()

# Build a model.
backbone_input = keras.Input(shape=(32, 32, 3))
y = keras.layers.Conv2D(32, 3, use_bias=False)(backbone_input)
y = keras.layers.BatchNormalization()(y)
y = keras.layers.ReLU()(y)
y = keras.layers.MaxPooling2D(2)(y)
y = keras.layers.Conv2D(64, 3, use_bias=False)(y)
y = keras.layers.BatchNormalization()(y)
y = keras.layers.ReLU()(y)
y = keras.layers.MaxPooling2D(2)(y)
base_model = keras.Model(backbone_input, y, name="backbone")
base_model.load_weights("backbone.weights.h5")

base_model.trainable = False
inputs = keras.Input(shape=(32, 32, 3))
scale_layer = keras.layers.Rescaling(scale=1 / 127.5, offset=-1)
x = scale_layer(inputs)
x = base_model(x, training=False)
x = keras.layers.GlobalAveragePooling2D()(x)
x = keras.layers.Dropout(0.2)(x)
outputs = keras.layers.Dense(1)(x)
model = keras.Model(inputs, outputs)
model.summary(show_trainable=True)
frozen_trainable_count = len(model.trainable_weights)
frozen_base_before = [w.copy() for w in base_model.get_weights()]

# Train the top layer.
model.compile(
    optimizer=keras.optimizers.Adam(),
    loss=keras.losses.BinaryCrossentropy(from_logits=True),
    metrics=[keras.metrics.BinaryAccuracy()],
)
epochs = 2
print("Fitting the top layer of the model")
top_history = model.fit(train_ds, epochs=epochs, validation_data=validation_ds)
base_unchanged = all(
    np.array_equal(a, b) for a, b in zip(frozen_base_before, base_model.get_weights())
)

# Do a round of fine-tuning of the entire model.
base_model.trainable = True
model.summary(show_trainable=True)
model.compile(
    optimizer=keras.optimizers.Adam(1e-5),
    loss=keras.losses.BinaryCrossentropy(from_logits=True),
    metrics=[keras.metrics.BinaryAccuracy()],
)
epochs = 1
print("Fitting the end-to-end model")
fine_history = model.fit(train_ds, epochs=epochs, validation_data=validation_ds)
bn = base_model.layers[2]
moving_mean_unchanged = bool(np.array_equal(frozen_base_before[3], bn.get_weights()[2]))
print("Test dataset evaluation")
test_results = model.evaluate(test_ds)

metrics = {
    "dense_counts": dense_counts,
    "bn_counts": bn_counts,
    "frozen_counts": frozen_counts,
    "pretrain_accuracy": float(pretrain_history.history["accuracy"][-1]),
    "frozen_trainable_count": frozen_trainable_count,
    "base_unchanged_while_frozen": base_unchanged,
    "bn_moving_mean_unchanged_in_inference_mode": moving_mean_unchanged,
    "top_val_accuracy": float(top_history.history["val_binary_accuracy"][-1]),
    "fine_tune_val_accuracy": float(fine_history.history["val_binary_accuracy"][-1]),
    "test_loss": float(test_results[0]),
    "test_accuracy": float(test_results[1]),
}
print("METRICS", json.dumps(metrics))
