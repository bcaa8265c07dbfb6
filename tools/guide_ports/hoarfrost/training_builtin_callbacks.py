# ON MAIN TODAY: PASS: finishes, metrics within Keras's band
"""Port of the Keras 3 guide "Training & evaluation with the built-in methods", part 3:
callbacks, checkpointing, learning-rate schedules, TensorBoard
(keras-io guides/training_with_built_in_methods.py).

Run on the JAX backend. Substitutions: MNIST is the 8,000/2,000-digit sample shipped with
hoarfrost (2,000 held out); the EarlyStopping run is capped at 8 epochs instead of 20 and
`save_freq=20` batches instead of 100.
"""

import json
import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import numpy as np
import hoarfrost as keras
from hoarfrost import layers
from hoarfrost.datasets.mnist import load_sample as mnist_sample

keras.utils.set_random_seed(int(os.environ.get("PORT_SEED", "0")))

(x_train, y_train), (x_test, y_test) = mnist_sample()
x_train = x_train.reshape(-1, 784).astype("float32") / 255
x_test = x_test.reshape(-1, 784).astype("float32") / 255
y_train = y_train.astype("float32")
y_test = y_test.astype("float32")
x_val = x_train[-2000:]
y_val = y_train[-2000:]
x_train = x_train[:-2000]
y_train = y_train[:-2000]


def get_uncompiled_model():
    inputs = keras.Input(shape=(784,), name="digits")
    x = layers.Dense(64, activation="relu", name="dense_1")(inputs)
    x = layers.Dense(64, activation="relu", name="dense_2")(x)
    outputs = layers.Dense(10, activation="softmax", name="predictions")(x)
    model = keras.Model(inputs=inputs, outputs=outputs)
    return model


def get_compiled_model():
    model = get_uncompiled_model()
    model.compile(
        optimizer="rmsprop",
        loss="sparse_categorical_crossentropy",
        metrics=["sparse_categorical_accuracy"],
    )
    return model


# Using callbacks.
model = get_compiled_model()
callbacks = [
    keras.callbacks.EarlyStopping(
        monitor="val_loss",
        min_delta=1e-2,
        patience=2,
        verbose=1,
    )
]
early_history = model.fit(
    x_train,
    y_train,
    epochs=8,
    batch_size=64,
    callbacks=callbacks,
    validation_split=0.2,
)


class LossHistory(keras.callbacks.Callback):
    def on_train_begin(self, logs):
        self.per_batch_losses = []

    def on_batch_end(self, batch, logs):
        self.per_batch_losses.append(logs.get("loss"))


loss_history = LossHistory()
model = get_compiled_model()
model.fit(x_train, y_train, batch_size=64, epochs=1, callbacks=[loss_history])

# Checkpointing models.
model = get_compiled_model()
callbacks = [
    keras.callbacks.ModelCheckpoint(
        filepath="mymodel_{epoch}.keras",
        save_best_only=True,
        monitor="val_loss",
        verbose=1,
    )
]
model.fit(
    x_train,
    y_train,
    epochs=2,
    batch_size=64,
    callbacks=callbacks,
    validation_split=0.2,
)
checkpoints_written = sorted(name for name in os.listdir(".") if name.startswith("mymodel_"))

checkpoint_dir = "./ckpt"
if not os.path.exists(checkpoint_dir):
    os.makedirs(checkpoint_dir)


def make_or_restore_model():
    checkpoints = [checkpoint_dir + "/" + name for name in os.listdir(checkpoint_dir)]
    if checkpoints:
        latest_checkpoint = max(checkpoints, key=os.path.getctime)
        print("Restoring from", latest_checkpoint)
        return keras.models.load_model(latest_checkpoint)
    print("Creating a new model")
    return get_compiled_model()


model = make_or_restore_model()
callbacks = [
    keras.callbacks.ModelCheckpoint(
        filepath=checkpoint_dir + "/model-loss={loss:.2f}.keras", save_freq=20
    )
]
model.fit(x_train, y_train, epochs=1, callbacks=callbacks)
restored = make_or_restore_model()
restored_accuracy = restored.evaluate(x_test, y_test, verbose=0)[1]

# Learning rate schedules.
initial_learning_rate = 0.1
lr_schedule = keras.optimizers.schedules.ExponentialDecay(
    initial_learning_rate, decay_steps=100000, decay_rate=0.96, staircase=True
)
optimizer = keras.optimizers.RMSprop(learning_rate=lr_schedule)

# TensorBoard.
keras.callbacks.TensorBoard(
    log_dir="/full_path_to_your_logs",
    histogram_freq=0,
    embeddings_freq=0,
    update_freq="epoch",
)

metrics = {
    "early_stopping_epochs_run": len(early_history.history["loss"]),
    "early_stopping_final_val_loss": float(early_history.history["val_loss"][-1]),
    "per_batch_losses": len(loss_history.per_batch_losses),
    "last_batch_loss": float(loss_history.per_batch_losses[-1]),
    "best_only_checkpoints": len(checkpoints_written),
    "periodic_checkpoints": len(os.listdir(checkpoint_dir)),
    "restored_test_accuracy": float(restored_accuracy),
}
print("METRICS", json.dumps(metrics))
