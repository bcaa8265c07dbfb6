"""Keras's `SwapEMAWeights` on a tiny model, for tests/callbacks/test_swap_ema_weights.py.

    cd tools/keras_fixtures && KERAS_BACKEND=jax ../../.venv-keras/bin/python swap_ema.py

A Dense(2) on fixed data and weights, SGD(0.1, use_ema=True, ema_momentum=0.5), full
batches, no shuffling. Writes tests/fixtures/keras_swap_ema.npz: the data, the initial
weights, and Keras's: evaluate loss without and with the callback after 3
`train_on_batch` steps, the weights after the evaluation (`trained_*`), the weights after `fit(epochs=3)` (`fit_*`: the averages), the weights after
`fit(epochs=3, callbacks=[SwapEMAWeights(swap_on_epoch=True)])` from the same start
(`swapped_*`), and the validation loss of each epoch of that fit.
"""

import os
from pathlib import Path

import numpy as np

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras  # noqa: E402

OUT = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "keras_swap_ema.npz"
rng = np.random.default_rng(14)
x = rng.normal(size=(8, 3)).astype("float32")
y = rng.normal(size=(8, 2)).astype("float32")
kernel = rng.normal(size=(3, 2)).astype("float32")
bias = rng.normal(size=(2,)).astype("float32")


def make():
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    model.set_weights([kernel, bias])
    # Not jitted: Keras 3.15 on JAX donates the buffers the swap then reads ("Buffer has
    # been deleted or donated") when compiled; eagerly the same updates run.
    model.compile(keras.optimizers.SGD(0.1, use_ema=True, ema_momentum=0.5), "mse",
                  jit_compile=False)
    return model


data = {"x": x, "y": y, "kernel": kernel, "bias": bias}
model = make()
for _ in range(3):  # not fit: fit ends by setting the weights to the averages
    model.train_on_batch(x, y)
data["plain_loss"] = np.array(model.evaluate(x, y, verbose=0))
data["ema_loss"] = np.array(model.evaluate(x, y, verbose=0,
                                           callbacks=[keras.callbacks.SwapEMAWeights()]))
data["trained_kernel"], data["trained_bias"] = model.get_weights()
model = make()
model.fit(x, y, epochs=3, batch_size=8, shuffle=False, verbose=0)
data["fit_kernel"], data["fit_bias"] = model.get_weights()
model = make()
history = model.fit(x, y, epochs=3, batch_size=8, shuffle=False, verbose=0,
                    validation_data=(x, y),
                    callbacks=[keras.callbacks.SwapEMAWeights(swap_on_epoch=True)])
data["swapped_kernel"], data["swapped_bias"] = model.get_weights()
data["swapped_val_loss"] = np.array(history.history["val_loss"])
for k, v in data.items():
    print(k, v.tolist() if v.size < 8 else v.shape)
np.savez_compressed(OUT, **data)
print("wrote", OUT)
