"""Keras fixture for `Layer.stateless_call` (tests/layers/fixtures/stateless_call.npz).

Run from this folder: `KERAS_BACKEND=jax ../../.venv-keras/bin/python stateless_call.py`.

A model with a frozen Dense, a BatchNormalization (moving statistics among the
non-trainable variables), an L2 kernel regularizer and an activity regularizer,
called with `stateless_call(..., training=True, return_losses=True)` and with
`training=False`. Records the weights (in `get_weights()` order), the inputs, the
outputs, the new non-trainable values and the losses.
"""

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

from pathlib import Path  # noqa: E402

import keras  # noqa: E402
import numpy as np  # noqa: E402

OUT = Path(__file__).resolve().parents[2] / "tests" / "layers" / "fixtures"

rng = np.random.default_rng(0)
inputs = keras.Input((3,))
x = keras.layers.Dense(4, name="frozen")(inputs)
x = keras.layers.Dense(5, kernel_regularizer=keras.regularizers.L2(0.01),
                       activity_regularizer=keras.regularizers.L1(0.001), name="dense")(x)
x = keras.layers.BatchNormalization(momentum=0.9, name="bn")(x)
outputs = keras.layers.Dense(2, name="head")(x)
model = keras.Model(inputs, outputs)
model.get_layer("frozen").trainable = False
weights = [rng.normal(size=w.shape).astype("float32") for w in model.weights]
for i, w in enumerate(model.weights):
    if "variance" in w.path:
        weights[i] = np.abs(weights[i]) + 0.5
model.set_weights(weights)
data = rng.normal(size=(6, 3)).astype("float32")

tv = [v.value for v in model.trainable_variables]
ntv = [v.value for v in model.non_trainable_variables]
out_train, ntv_train, losses = model.stateless_call(tv, ntv, data, training=True,
                                                    return_losses=True)
out_infer, ntv_infer = model.stateless_call(tv, ntv, data, training=False)
record = {
    "x": data,
    "num_weights": np.array(len(weights)),
    "trainable_paths": np.array([v.path for v in model.trainable_variables]),
    "non_trainable_paths": np.array([v.path for v in model.non_trainable_variables]),
    "out_train": np.asarray(out_train),
    "out_infer": np.asarray(out_infer),
    "losses": np.array([float(loss) for loss in losses]),
}
for i, w in enumerate(weights):
    record[f"weight_{i}"] = w
for i, (a, b) in enumerate(zip(ntv_train, ntv_infer)):
    record[f"ntv_train_{i}"] = np.asarray(a)
    record[f"ntv_infer_{i}"] = np.asarray(b)
OUT.mkdir(parents=True, exist_ok=True)
np.savez_compressed(OUT / "stateless_call.npz", **record)
print("wrote", OUT / "stateless_call.npz", record["trainable_paths"], record["non_trainable_paths"],
      record["losses"])
