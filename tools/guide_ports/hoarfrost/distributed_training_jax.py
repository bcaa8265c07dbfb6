# ON MAIN TODAY: finishes (no Keras reference yet)
"""Port of the Keras 3 guide "Multi-GPU distributed training with JAX"
(keras-io guides/distributed_training_with_jax.py), run on however many devices JAX sees.

Run on the JAX backend. Substitutions: MNIST is the digit sample shipped with hoarfrost, cut
to 2,048 training digits; `tf.data` is hoarfrost's `hoarfrost.data` in the twin and batches
are read with `np.asarray(t)` instead of `t.numpy()`. Omitted: the
`jax.debug.visualize_array_sharding` display (needs `rich` in the Keras environment).
Added: test accuracy after the written-back state, the guide's last step.
"""

import json
import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import jax
import numpy as np
import hoarfrost as tf  # tf.data only
import hoarfrost as keras
from hoarfrost.datasets.mnist import load_sample as mnist_sample

from jax.experimental import mesh_utils
from jax.sharding import Mesh
from jax.sharding import NamedSharding
from jax.sharding import PartitionSpec as P

keras.utils.set_random_seed(int(os.environ.get("PORT_SEED", "0")))


def get_model():
    inputs = keras.Input(shape=(28, 28, 1))
    x = keras.layers.Rescaling(1.0 / 255.0)(inputs)
    x = keras.layers.Conv2D(filters=12, kernel_size=3, padding="same", use_bias=False)(
        x
    )
    x = keras.layers.BatchNormalization(scale=False, center=True)(x)
    x = keras.layers.ReLU()(x)
    x = keras.layers.Conv2D(
        filters=24,
        kernel_size=6,
        use_bias=False,
        strides=2,
    )(x)
    x = keras.layers.BatchNormalization(scale=False, center=True)(x)
    x = keras.layers.ReLU()(x)
    x = keras.layers.Conv2D(
        filters=32,
        kernel_size=6,
        padding="same",
        strides=2,
        name="large_k",
    )(x)
    x = keras.layers.BatchNormalization(scale=False, center=True)(x)
    x = keras.layers.ReLU()(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    x = keras.layers.Dense(256, activation="relu")(x)
    x = keras.layers.Dropout(0.5)(x)
    outputs = keras.layers.Dense(10)(x)
    model = keras.Model(inputs, outputs)
    return model


def get_datasets():
    (x_train, y_train), (x_test, y_test) = mnist_sample()
    x_train, y_train = x_train[:2048], y_train[:2048]
    x_train = x_train.astype("float32")
    x_test = x_test.astype("float32")
    x_train = np.expand_dims(x_train, -1)
    x_test = np.expand_dims(x_test, -1)
    print("x_train shape:", x_train.shape)
    print(x_train.shape[0], "train samples")
    print(x_test.shape[0], "test samples")
    train_data = tf.data.Dataset.from_tensor_slices((x_train, y_train))
    eval_data = tf.data.Dataset.from_tensor_slices((x_test, y_test))
    return train_data, eval_data


num_epochs = 2
batch_size = 64

train_data, eval_data = get_datasets()
train_data = train_data.batch(batch_size, drop_remainder=True)

model = get_model()
optimizer = keras.optimizers.Adam(1e-3)
loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)

(one_batch, one_batch_labels) = next(iter(train_data))
model.build(one_batch)
optimizer.build(model.trainable_variables)


def compute_loss(trainable_variables, non_trainable_variables, x, y):
    y_pred, updated_non_trainable_variables = model.stateless_call(
        trainable_variables, non_trainable_variables, x
    )
    loss_value = loss(y, y_pred)
    return loss_value, updated_non_trainable_variables


compute_gradients = jax.value_and_grad(compute_loss, has_aux=True)


@jax.jit
def train_step(train_state, x, y):
    trainable_variables, non_trainable_variables, optimizer_variables = train_state
    (loss_value, non_trainable_variables), grads = compute_gradients(
        trainable_variables, non_trainable_variables, x, y
    )
    trainable_variables, optimizer_variables = optimizer.stateless_apply(
        optimizer_variables, grads, trainable_variables
    )
    return loss_value, (
        trainable_variables,
        non_trainable_variables,
        optimizer_variables,
    )


def get_replicated_train_state(devices):
    var_mesh = Mesh(devices, axis_names=("_"))
    var_replication = NamedSharding(var_mesh, P())
    trainable_variables = jax.device_put(model.trainable_variables, var_replication)
    non_trainable_variables = jax.device_put(
        model.non_trainable_variables, var_replication
    )
    optimizer_variables = jax.device_put(optimizer.variables, var_replication)
    return (trainable_variables, non_trainable_variables, optimizer_variables)


num_devices = len(jax.local_devices())
print(f"Running on {num_devices} devices: {jax.local_devices()}")
devices = mesh_utils.create_device_mesh((num_devices,))

data_mesh = Mesh(devices, axis_names=("batch",))
data_sharding = NamedSharding(
    data_mesh,
    P(
        "batch",
    ),
)

x, y = next(iter(train_data))
sharded_x = jax.device_put(np.asarray(x), data_sharding)

train_state = get_replicated_train_state(devices)

for epoch in range(num_epochs):
    data_iter = iter(train_data)
    for data in data_iter:
        x, y = data
        sharded_x = jax.device_put(np.asarray(x), data_sharding)
        loss_value, train_state = train_step(train_state, sharded_x, np.asarray(y))
    print("Epoch", epoch, "loss:", loss_value)

trainable_variables, non_trainable_variables, optimizer_variables = train_state
for variable, value in zip(model.trainable_variables, trainable_variables):
    variable.assign(value)
for variable, value in zip(model.non_trainable_variables, non_trainable_variables):
    variable.assign(value)

(_, _), (x_test, y_test) = mnist_sample()
logits = model.predict(np.expand_dims(x_test, -1).astype("float32"), batch_size=256)
test_accuracy = float(np.mean(np.argmax(logits, axis=-1) == y_test))

metrics = {
    "num_devices": num_devices,
    "final_batch_loss": float(loss_value),
    "test_accuracy": test_accuracy,
}
print("METRICS", json.dumps(metrics))
