# ON MAIN TODAY: finishes, differs from Keras: multi_output_history_keys = ['class_output_loss',
#   'loss', 'score_output_loss'], Keras ['class_output_categorical_accuracy',
#   'class_output_loss', 'loss', 'score_output_loss', 'score_output_mean_absolute_error',
#   'score_output_mean_absolute_percentage_error']
"""Port of the Keras 3 guide "Training & evaluation with the built-in methods", part 2:
tf.data Datasets, PyDataset, class and sample weights, multi-input multi-output models
(keras-io guides/training_with_built_in_methods.py).

Run on the JAX backend. Substitutions: MNIST is the 8,000/2,000-digit sample shipped with
hoarfrost (2,000 held out for validation); `steps_per_epoch=20` instead of 100 (the sample
has 94 batches per epoch); the multi-output model trains on 100 dummy rows as in the guide.
`tf.data` is hoarfrost's `hoarfrost.data` in the twin. Omitted: the PyTorch DataLoader cell
(no torch in the reference environment).
"""

import json
import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import numpy as np
import hoarfrost as tf  # tf.data only
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


# Training & evaluation using tf.data Datasets.
model = get_compiled_model()
train_dataset = tf.data.Dataset.from_tensor_slices((x_train, y_train))
train_dataset = train_dataset.shuffle(buffer_size=1024).batch(64)
test_dataset = tf.data.Dataset.from_tensor_slices((x_test, y_test))
test_dataset = test_dataset.batch(64)
model.fit(train_dataset, epochs=3)
print("Evaluate")
result = model.evaluate(test_dataset)
dataset_eval = dict(zip(model.metrics_names, result))
print(dataset_eval)

model = get_compiled_model()
train_dataset = tf.data.Dataset.from_tensor_slices((x_train, y_train))
train_dataset = train_dataset.shuffle(buffer_size=1024).batch(64)
steps_history = model.fit(train_dataset, epochs=3, steps_per_epoch=20)

model = get_compiled_model()
train_dataset = tf.data.Dataset.from_tensor_slices((x_train, y_train))
train_dataset = train_dataset.shuffle(buffer_size=1024).batch(64)
val_dataset = tf.data.Dataset.from_tensor_slices((x_val, y_val))
val_dataset = val_dataset.batch(64)
model.fit(train_dataset, epochs=1, validation_data=val_dataset)

model = get_compiled_model()
train_dataset = tf.data.Dataset.from_tensor_slices((x_train, y_train))
train_dataset = train_dataset.shuffle(buffer_size=1024).batch(64)
val_dataset = tf.data.Dataset.from_tensor_slices((x_val, y_val))
val_dataset = val_dataset.batch(64)
val_steps_history = model.fit(
    train_dataset,
    epochs=1,
    validation_data=val_dataset,
    validation_steps=10,
)


# Training & evaluation using PyDataset instances.
class ExamplePyDataset(keras.utils.PyDataset):
    def __init__(self, x, y, batch_size, **kwargs):
        super().__init__(**kwargs)
        self.x = x
        self.y = y
        self.batch_size = batch_size

    def __len__(self):
        return int(np.ceil(len(self.x) / float(self.batch_size)))

    def __getitem__(self, idx):
        batch_x = self.x[idx * self.batch_size : (idx + 1) * self.batch_size]
        batch_y = self.y[idx * self.batch_size : (idx + 1) * self.batch_size]
        return batch_x, batch_y


train_py_dataset = ExamplePyDataset(x_train, y_train, batch_size=32)
val_py_dataset = ExamplePyDataset(x_val, y_val, batch_size=32)
model = get_compiled_model()
model.fit(train_py_dataset, batch_size=64, validation_data=val_py_dataset, epochs=1)
py_dataset_eval = model.evaluate(val_py_dataset)

train_py_dataset = ExamplePyDataset(x_train, y_train, batch_size=32, workers=4)
val_py_dataset = ExamplePyDataset(x_val, y_val, batch_size=32, workers=4)
model = get_compiled_model()
workers_history = model.fit(
    train_py_dataset, batch_size=64, validation_data=val_py_dataset, epochs=1
)

# Class weights and sample weights.
class_weight = {
    0: 1.0,
    1: 1.0,
    2: 1.0,
    3: 1.0,
    4: 1.0,
    5: 2.0,
    6: 1.0,
    7: 1.0,
    8: 1.0,
    9: 1.0,
}
print("Fit with class weight")
model = get_compiled_model()
class_weight_history = model.fit(
    x_train, y_train, class_weight=class_weight, batch_size=64, epochs=1
)

sample_weight = np.ones(shape=(len(y_train),))
sample_weight[y_train == 5] = 2.0
print("Fit with sample weight")
model = get_compiled_model()
sample_weight_history = model.fit(
    x_train, y_train, sample_weight=sample_weight, batch_size=64, epochs=1
)

sample_weight = np.ones(shape=(len(y_train),))
sample_weight[y_train == 5] = 2.0
train_dataset = tf.data.Dataset.from_tensor_slices((x_train, y_train, sample_weight))
train_dataset = train_dataset.shuffle(buffer_size=1024).batch(64)
model = get_compiled_model()
dataset_weight_history = model.fit(train_dataset, epochs=1)

# Passing data to multi-input, multi-output models.
image_input = keras.Input(shape=(32, 32, 3), name="img_input")
timeseries_input = keras.Input(shape=(None, 10), name="ts_input")
x1 = layers.Conv2D(3, 3)(image_input)
x1 = layers.GlobalMaxPooling2D()(x1)
x2 = layers.Conv1D(3, 3)(timeseries_input)
x2 = layers.GlobalMaxPooling1D()(x2)
x = layers.concatenate([x1, x2])
score_output = layers.Dense(1, name="score_output")(x)
class_output = layers.Dense(5, name="class_output")(x)
model = keras.Model(
    inputs=[image_input, timeseries_input], outputs=[score_output, class_output]
)

model.compile(
    optimizer=keras.optimizers.RMSprop(1e-3),
    loss=[
        keras.losses.MeanSquaredError(),
        keras.losses.CategoricalCrossentropy(),
    ],
)
model.compile(
    optimizer=keras.optimizers.RMSprop(1e-3),
    loss=[
        keras.losses.MeanSquaredError(),
        keras.losses.CategoricalCrossentropy(),
    ],
    metrics=[
        [
            keras.metrics.MeanAbsolutePercentageError(),
            keras.metrics.MeanAbsoluteError(),
        ],
        [keras.metrics.CategoricalAccuracy()],
    ],
)
model.compile(
    optimizer=keras.optimizers.RMSprop(1e-3),
    loss={
        "score_output": keras.losses.MeanSquaredError(),
        "class_output": keras.losses.CategoricalCrossentropy(),
    },
    metrics={
        "score_output": [
            keras.metrics.MeanAbsolutePercentageError(),
            keras.metrics.MeanAbsoluteError(),
        ],
        "class_output": [keras.metrics.CategoricalAccuracy()],
    },
)
model.compile(
    optimizer=keras.optimizers.RMSprop(1e-3),
    loss={
        "score_output": keras.losses.MeanSquaredError(),
        "class_output": keras.losses.CategoricalCrossentropy(),
    },
    metrics={
        "score_output": [
            keras.metrics.MeanAbsolutePercentageError(),
            keras.metrics.MeanAbsoluteError(),
        ],
        "class_output": [keras.metrics.CategoricalAccuracy()],
    },
    loss_weights={"score_output": 2.0, "class_output": 1.0},
)
model.compile(
    optimizer=keras.optimizers.RMSprop(1e-3),
    loss=[None, keras.losses.CategoricalCrossentropy()],
)
model.compile(
    optimizer=keras.optimizers.RMSprop(1e-3),
    loss={"class_output": keras.losses.CategoricalCrossentropy()},
)

model.compile(
    optimizer=keras.optimizers.RMSprop(1e-3),
    loss=[
        keras.losses.MeanSquaredError(),
        keras.losses.CategoricalCrossentropy(),
    ],
)
img_data = np.random.random_sample(size=(100, 32, 32, 3))
ts_data = np.random.random_sample(size=(100, 20, 10))
score_targets = np.random.random_sample(size=(100, 1))
class_targets = np.random.random_sample(size=(100, 5))
list_history = model.fit(
    [img_data, ts_data], [score_targets, class_targets], batch_size=32, epochs=1
)
dict_history = model.fit(
    {"img_input": img_data, "ts_input": ts_data},
    {"score_output": score_targets, "class_output": class_targets},
    batch_size=32,
    epochs=1,
)
train_dataset = tf.data.Dataset.from_tensor_slices(
    (
        {"img_input": img_data, "ts_input": ts_data},
        {"score_output": score_targets, "class_output": class_targets},
    )
)
train_dataset = train_dataset.shuffle(buffer_size=1024).batch(64)
multi_dataset_history = model.fit(train_dataset, epochs=1)

metrics = {
    "dataset_test_loss": float(result[0]),
    "dataset_test_accuracy": float(result[1]),
    "dataset_eval_keys": sorted(dataset_eval),
    "steps_per_epoch_accuracy": float(steps_history.history["sparse_categorical_accuracy"][-1]),
    "validation_steps_val_accuracy": float(
        val_steps_history.history["val_sparse_categorical_accuracy"][-1]),
    "py_dataset_val_accuracy": float(py_dataset_eval[1]),
    "workers_accuracy": float(workers_history.history["sparse_categorical_accuracy"][-1]),
    "class_weight_loss": float(class_weight_history.history["loss"][-1]),
    "sample_weight_loss": float(sample_weight_history.history["loss"][-1]),
    "dataset_weight_loss": float(dataset_weight_history.history["loss"][-1]),
    "multi_output_history_keys": sorted(list_history.history),
    "multi_output_list_loss": float(list_history.history["loss"][-1]),
    "multi_output_dict_loss": float(dict_history.history["loss"][-1]),
    "multi_output_dataset_loss": float(multi_dataset_history.history["loss"][-1]),
}
print("METRICS", json.dumps(metrics))
