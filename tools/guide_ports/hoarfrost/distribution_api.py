# ON MAIN TODAY: PASS: finishes, metrics within Keras's band
"""Port of the Keras 3 guide "Distributed training with Keras" (the keras.distribution API;
keras-io guides/distribution.py), run on one device.

Run on the JAX backend with however many devices JAX sees (one CPU here): the guide picks
its mesh shape from `len(devices)`. Added: each model is compiled and fitted for one epoch
on 256 digits of the MNIST sample shipped with hoarfrost, so the distribution is exercised
by `fit`, not only constructed.
"""

import json
import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import hoarfrost as keras
from hoarfrost import layers
import numpy as np
from hoarfrost.datasets.mnist import load_sample as mnist_sample

keras.utils.set_random_seed(int(os.environ.get("PORT_SEED", "0")))

try:
    keras.distribution.initialize()
    print("Keras distribution initialized.")
except Exception as e:
    print(f"Keras distribution initialization skipped or failed: {e}")

devices = keras.distribution.list_devices()
print(f"Global devices: {devices}")

if len(devices) >= 8:
    mesh_shape = (2, 4)
else:
    mesh_shape = (len(devices), 1)

mesh = keras.distribution.DeviceMesh(
    shape=mesh_shape, axis_names=["data", "model"], devices=devices
)
print(f"DeviceMesh created with shape: {mesh_shape}")

layout_2d = keras.distribution.TensorLayout(axes=("model", "data"), device_mesh=mesh)
print(f"TensorLayout created: {layout_2d}")

# DataParallel.
data_parallel = keras.distribution.DataParallel()
keras.distribution.set_distribution(data_parallel)
print(f"Active distribution: {keras.distribution.distribution()}")

inputs = layers.Input(shape=(28, 28, 1))
y = layers.Flatten()(inputs)
y = layers.Dense(units=200, activation="relu")(y)
y = layers.Dropout(0.4)(y)
outputs = layers.Dense(units=10, activation="softmax")(y)
model = keras.Model(inputs=inputs, outputs=outputs)
model.compile(loss="mse", optimizer="adam")
model.summary()

(x_train, y_train), _ = mnist_sample()
x_train = x_train[:256, :, :, None].astype("float32") / 255
y_onehot = keras.utils.to_categorical(y_train[:256], 10)
data_parallel_history = model.fit(x_train, y_onehot, batch_size=32, epochs=1)

# ModelParallel and LayoutMap.
layout_map = keras.distribution.LayoutMap(mesh)
layout_map["d1/kernel"] = (None, "model")
layout_map["d1/bias"] = ("model",)
layout_map["d2/output"] = ("data", None)

model_parallel = keras.distribution.ModelParallel(
    layout_map=layout_map, batch_dim_name="data"
)
keras.distribution.set_distribution(model_parallel)
print(f"Active distribution: {keras.distribution.distribution()}")

model = keras.Sequential(
    [
        layers.Input(shape=(784,)),
        layers.Dense(200, activation="relu", name="d1"),
        layers.Dense(10, activation="softmax", name="d2"),
    ]
)
model.summary()
model.compile(loss="mse", optimizer="adam")
model_parallel_history = model.fit(
    x_train.reshape(-1, 784), y_onehot, batch_size=32, epochs=1
)

metrics = {
    "num_devices": len(devices),
    "mesh_shape": list(mesh.shape),
    "mesh_axis_names": list(mesh.axis_names),
    "layout_axes": list(layout_2d.axes),
    "data_parallel_loss": float(data_parallel_history.history["loss"][-1]),
    "model_parallel_loss": float(model_parallel_history.history["loss"][-1]),
}
print("METRICS", json.dumps(metrics))
