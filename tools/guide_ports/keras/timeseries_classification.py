"""Port of the keras-io example "Timeseries classification from scratch"
(examples/timeseries/timeseries_classification_from_scratch.py).

Run on the JAX backend. Substitution: FordA (a download) is replaced by synthetic series in
its format (labels -1 / 1, one value per timestep): class 1 is a noisy sine of one period
range, class -1 of another, 400 training and 200 test series of 128 steps instead of 3,601 /
1,320 of 500. Cut: 8 epochs instead of 500 (the callbacks are the example's). Omitted: the
matplotlib displays and `plot_model`.
With PORT_SMALL=1 (CI): 160 training and 100 test series, 4 epochs.
"""

import json
import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras
import numpy as np

keras.utils.set_random_seed(int(os.environ.get("PORT_SEED", "0")))
SMALL = os.environ.get("PORT_SMALL") == "1"  # the cut CI runs (tests/programs)


def synthetic_forda(num_series, length=128, seed=0):
    """(x, y) in readucr's layout: x of shape (num_series, length), y in {-1, 1}."""
    rng = np.random.default_rng(seed)
    y = rng.choice([-1, 1], size=num_series)
    t = np.arange(length)
    period = np.where(y == 1, rng.uniform(20, 28, num_series), rng.uniform(12, 18, num_series))
    phase = rng.uniform(0, 2 * np.pi, num_series)
    x = np.sin(2 * np.pi * t[None, :] / period[:, None] + phase[:, None])
    x += rng.normal(0, 0.8, size=x.shape)
    return x.astype("float64"), y.astype(int)


x_train, y_train = synthetic_forda(160 if SMALL else 400, seed=1)
x_test, y_test = synthetic_forda(100 if SMALL else 200, seed=2)

classes = np.unique(np.concatenate((y_train, y_test), axis=0))

x_train = x_train.reshape((x_train.shape[0], x_train.shape[1], 1))
x_test = x_test.reshape((x_test.shape[0], x_test.shape[1], 1))

num_classes = len(np.unique(y_train))

idx = np.random.permutation(len(x_train))
x_train = x_train[idx]
y_train = y_train[idx]

y_train[y_train == -1] = 0
y_test[y_test == -1] = 0


def make_model(input_shape):
    input_layer = keras.layers.Input(input_shape)

    conv1 = keras.layers.Conv1D(filters=64, kernel_size=3, padding="same")(input_layer)
    conv1 = keras.layers.BatchNormalization()(conv1)
    conv1 = keras.layers.ReLU()(conv1)

    conv2 = keras.layers.Conv1D(filters=64, kernel_size=3, padding="same")(conv1)
    conv2 = keras.layers.BatchNormalization()(conv2)
    conv2 = keras.layers.ReLU()(conv2)

    conv3 = keras.layers.Conv1D(filters=64, kernel_size=3, padding="same")(conv2)
    conv3 = keras.layers.BatchNormalization()(conv3)
    conv3 = keras.layers.ReLU()(conv3)

    gap = keras.layers.GlobalAveragePooling1D()(conv3)

    output_layer = keras.layers.Dense(num_classes, activation="softmax")(gap)

    return keras.models.Model(inputs=input_layer, outputs=output_layer)


model = make_model(input_shape=x_train.shape[1:])

epochs = 4 if SMALL else 8
batch_size = 32

callbacks = [
    keras.callbacks.ModelCheckpoint(
        "best_model.keras", save_best_only=True, monitor="val_loss"
    ),
    keras.callbacks.ReduceLROnPlateau(
        monitor="val_loss", factor=0.5, patience=20, min_lr=0.0001
    ),
    keras.callbacks.EarlyStopping(monitor="val_loss", patience=50, verbose=1),
]
model.compile(
    optimizer="adam",
    loss="sparse_categorical_crossentropy",
    metrics=["sparse_categorical_accuracy"],
)
history = model.fit(
    x_train,
    y_train,
    batch_size=batch_size,
    epochs=epochs,
    callbacks=callbacks,
    validation_split=0.2,
    verbose=1,
)

model = keras.models.load_model("best_model.keras")

test_loss, test_acc = model.evaluate(x_test, y_test)

print("Test accuracy", test_acc)
print("Test loss", test_loss)

metrics = {
    "train_accuracy": float(history.history["sparse_categorical_accuracy"][-1]),
    "best_val_loss": float(min(history.history["val_loss"])),
    "test_loss": float(test_loss),
    "test_accuracy": float(test_acc),
}
print("METRICS", json.dumps(metrics))
