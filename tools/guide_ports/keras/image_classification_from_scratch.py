"""Port of the keras-io example "Image classification from scratch"
(examples/vision/image_classification_from_scratch.py).

Run on the JAX backend. Substitutions and cuts:
- cats vs. dogs (a download of JPEG files read by `image_dataset_from_directory`) is replaced
  by the MNIST digit sample: 1,024 training and 512 validation digits, upsampled to 32x32 and
  repeated to 3 channels, labelled 1 for an odd digit and 0 for an even one (a binary task, as
  in the guide); the data is held in `tf.data` datasets built with `from_tensor_slices`;
- image size 32x32 instead of 180x180, and the model narrowed (entry Conv2D 32 filters instead
  of 128, residual blocks [32, 64] instead of [256, 512, 728], final SeparableConv2D 128
  instead of 1024) for 2 CPU cores; 3 epochs instead of 25;
- the plotting of samples and augmented samples is dropped; the augmented batch's shape is
  recorded instead; the ModelCheckpoint callback writes into the scratch directory.
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

image_size = (32, 32)
batch_size = 64

(x_all, y_all), _ = mnist_sample()
x_all = x_all[:1536]
y_all = y_all[:1536]
x_all = np.pad(x_all, ((0, 0), (2, 2), (2, 2)))
x_all = np.repeat(x_all[..., None], 3, axis=-1).astype("float32")
y_all = (y_all % 2).astype("int64")

train_ds = tf.data.Dataset.from_tensor_slices((x_all[:1024], y_all[:1024])).shuffle(1024, seed=1).batch(batch_size)
val_ds = tf.data.Dataset.from_tensor_slices((x_all[1024:], y_all[1024:])).batch(batch_size)

data_augmentation_layers = [
    layers.RandomFlip("horizontal"),
    layers.RandomRotation(0.1),
]


def data_augmentation(images):
    for layer in data_augmentation_layers:
        images = layer(images)
    return images


for images, labels in train_ds.take(1):
    augmented = data_augmentation(images)
augmented_shape = list(np.asarray(augmented).shape)

# Apply `data_augmentation` to the training images.
train_ds = train_ds.map(
    lambda img, label: (data_augmentation(img), label),
    num_parallel_calls=tf.data.AUTOTUNE,
)
# Prefetching samples in GPU memory helps maximize GPU utilization.
train_ds = train_ds.prefetch(tf.data.AUTOTUNE)
val_ds = val_ds.prefetch(tf.data.AUTOTUNE)


def make_model(input_shape, num_classes):
    inputs = keras.Input(shape=input_shape)

    # Entry block
    x = layers.Rescaling(1.0 / 255)(inputs)
    x = layers.Conv2D(32, 3, strides=2, padding="same")(x)
    x = layers.BatchNormalization()(x)
    x = layers.Activation("relu")(x)

    previous_block_activation = x  # Set aside residual

    for size in [32, 64]:
        x = layers.Activation("relu")(x)
        x = layers.SeparableConv2D(size, 3, padding="same")(x)
        x = layers.BatchNormalization()(x)

        x = layers.Activation("relu")(x)
        x = layers.SeparableConv2D(size, 3, padding="same")(x)
        x = layers.BatchNormalization()(x)

        x = layers.MaxPooling2D(3, strides=2, padding="same")(x)

        # Project residual
        residual = layers.Conv2D(size, 1, strides=2, padding="same")(
            previous_block_activation
        )
        x = layers.add([x, residual])  # Add back residual
        previous_block_activation = x  # Set aside next residual

    x = layers.SeparableConv2D(128, 3, padding="same")(x)
    x = layers.BatchNormalization()(x)
    x = layers.Activation("relu")(x)

    x = layers.GlobalAveragePooling2D()(x)
    if num_classes == 2:
        units = 1
    else:
        units = num_classes

    x = layers.Dropout(0.25)(x)
    # We specify activation=None so as to return logits
    outputs = layers.Dense(units, activation=None)(x)
    return keras.Model(inputs, outputs)


model = make_model(input_shape=image_size + (3,), num_classes=2)

epochs = 3

callbacks = [
    keras.callbacks.ModelCheckpoint("save_at_{epoch}.keras"),
]
model.compile(
    optimizer=keras.optimizers.Adam(3e-4),
    loss=keras.losses.BinaryCrossentropy(from_logits=True),
    metrics=[keras.metrics.BinaryAccuracy(name="acc")],
)
history = model.fit(
    train_ds,
    epochs=epochs,
    callbacks=callbacks,
    validation_data=val_ds,
)

img = x_all[1024]
img_array = keras.utils.img_to_array(img)
img_array = keras.ops.expand_dims(img_array, 0)  # Create batch axis

predictions = model.predict(img_array)
score = float(keras.ops.sigmoid(predictions[0][0]))
print(f"This image is {100 * (1 - score):.2f}% even and {100 * score:.2f}% odd.")

reloaded = keras.models.load_model("save_at_3.keras")
reloaded_pred = reloaded.predict(img_array)

metrics = {
    "params": model.count_params(),
    "trainable_params": sum(int(np.prod(w.shape)) for w in model.trainable_weights),
    "num_layers": len(model.layers),
    "augmented_shape": augmented_shape,
    "loss": float(history.history["loss"][-1]),
    "acc": float(history.history["acc"][-1]),
    "val_loss": float(history.history["val_loss"][-1]),
    "val_acc": float(history.history["val_acc"][-1]),
    "checkpoint_matches": bool(np.allclose(np.asarray(reloaded_pred), np.asarray(predictions), atol=1e-5)),
    "score": score,
}
print("METRICS", json.dumps(metrics))
