"""Port of the keras-io example "Convolutional autoencoder for image denoising"
(examples/vision/autoencoder.py).

Run on the JAX backend. Substitutions and cuts:
- MNIST is the digit sample shipped with hoarfrost, cut to 1,024 training and 256 test
  digits; the noise is drawn with a seeded NumPy generator (the guide's global
  `np.random.normal`) so both twins see the same noisy digits;
- 2 epochs instead of 50 for the plain autoencoder and 2 instead of 100 for the denoising
  one, batch size 128 as in the guide;
- the matplotlib `display` of images is dropped; the reconstruction errors are recorded.
"""

import json
import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import numpy as np
import keras
from keras import layers
from keras.models import Model
from _data import mnist_sample

keras.utils.set_random_seed(int(os.environ.get("PORT_SEED", "0")))
rng = np.random.default_rng(0)


def preprocess(array):
    """Normalizes the supplied array and reshapes it."""
    array = array.astype("float32") / 255.0
    array = np.reshape(array, (len(array), 28, 28, 1))
    return array


def noise(array):
    """Adds random noise to each image in the supplied array."""
    noise_factor = 0.4
    noisy_array = array + noise_factor * rng.normal(loc=0.0, scale=1.0, size=array.shape)
    return np.clip(noisy_array, 0.0, 1.0).astype("float32")


(train_data, _), (test_data, _) = mnist_sample()
train_data = train_data[:1024]
test_data = test_data[:256]

# Normalize and reshape the data
train_data = preprocess(train_data)
test_data = preprocess(test_data)

# Create a copy of the data with added noise
noisy_train_data = noise(train_data)
noisy_test_data = noise(test_data)

input = layers.Input(shape=(28, 28, 1))

# Encoder
x = layers.Conv2D(32, (3, 3), activation="relu", padding="same")(input)
x = layers.MaxPooling2D((2, 2), padding="same")(x)
x = layers.Conv2D(32, (3, 3), activation="relu", padding="same")(x)
x = layers.MaxPooling2D((2, 2), padding="same")(x)

# Decoder
x = layers.Conv2DTranspose(32, (3, 3), strides=2, activation="relu", padding="same")(x)
x = layers.Conv2DTranspose(32, (3, 3), strides=2, activation="relu", padding="same")(x)
x = layers.Conv2D(1, (3, 3), activation="sigmoid", padding="same")(x)

# Autoencoder
autoencoder = Model(input, x)
autoencoder.compile(optimizer="adam", loss="binary_crossentropy")
autoencoder.summary()

history = autoencoder.fit(
    x=train_data,
    y=train_data,
    epochs=2,
    batch_size=128,
    shuffle=True,
    validation_data=(test_data, test_data),
)

predictions = autoencoder.predict(test_data)
plain_mse = float(np.mean((np.asarray(predictions) - test_data) ** 2))

history_noisy = autoencoder.fit(
    x=noisy_train_data,
    y=train_data,
    epochs=2,
    batch_size=128,
    shuffle=True,
    validation_data=(noisy_test_data, test_data),
)

predictions = autoencoder.predict(noisy_test_data)
denoised_mse = float(np.mean((np.asarray(predictions) - test_data) ** 2))

metrics = {
    "params": autoencoder.count_params(),
    "output_shape": list(autoencoder.output.shape),
    "layer_names": [layer.name for layer in autoencoder.layers],
    "loss": float(history.history["loss"][-1]),
    "val_loss": float(history.history["val_loss"][-1]),
    "plain_mse": plain_mse,
    "noisy_loss": float(history_noisy.history["loss"][-1]),
    "noisy_val_loss": float(history_noisy.history["val_loss"][-1]),
    "denoised_mse": denoised_mse,
    "noisy_input_mse": float(np.mean((noisy_test_data - test_data) ** 2)),
}
print("METRICS", json.dumps(metrics))
