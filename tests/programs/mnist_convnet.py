"""Port of the keras-io example "Simple MNIST convnet" (examples/vision/mnist_convnet.py).

Run on the JAX backend. Substitution: MNIST is the digit sample shipped with hoarfrost, cut
to 2,000 training digits (2,000 test digits) and 3 epochs instead of 15.
With PORT_SMALL=1 (CI): 1,000 training and 500 test digits, 6 epochs (as many steps as
the full run, so it reaches the same accuracy).
"""

import json
import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import numpy as np
import hoarfrost as keras
from hoarfrost import layers
from hoarfrost.datasets.mnist import load_sample as mnist_sample

keras.utils.set_random_seed(int(os.environ.get("PORT_SEED", "0")))
SMALL = os.environ.get("PORT_SMALL") == "1"  # the cut CI runs (tests/programs)

num_classes = 10
input_shape = (28, 28, 1)

(x_train, y_train), (x_test, y_test) = mnist_sample()
num_train, num_test = (1000, 500) if SMALL else (2000, 2000)
x_train, y_train = x_train[:num_train], y_train[:num_train]
x_test, y_test = x_test[:num_test], y_test[:num_test]

x_train = x_train.astype("float32") / 255
x_test = x_test.astype("float32") / 255
x_train = np.expand_dims(x_train, -1)
x_test = np.expand_dims(x_test, -1)
print("x_train shape:", x_train.shape)
print(x_train.shape[0], "train samples")
print(x_test.shape[0], "test samples")

y_train = keras.utils.to_categorical(y_train, num_classes)
y_test = keras.utils.to_categorical(y_test, num_classes)

model = keras.Sequential(
    [
        keras.Input(shape=input_shape),
        layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Conv2D(64, kernel_size=(3, 3), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Flatten(),
        layers.Dropout(0.5),
        layers.Dense(num_classes, activation="softmax"),
    ]
)
model.summary()

batch_size = 128
epochs = 6 if SMALL else 3
model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
history = model.fit(x_train, y_train, batch_size=batch_size, epochs=epochs, validation_split=0.1)

score = model.evaluate(x_test, y_test, verbose=0)
print("Test loss:", score[0])
print("Test accuracy:", score[1])

metrics = {
    "params": model.count_params(),
    "val_accuracy": float(history.history["val_accuracy"][-1]),
    "test_loss": float(score[0]),
    "test_accuracy": float(score[1]),
}
print("METRICS", json.dumps(metrics))
