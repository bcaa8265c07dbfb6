"""Keras's `fit` of the MNIST-convnet guide's model from fixed weights, for
tests/engine/test_trainer.py (the numbers the guide port compares, without seed noise).

    cd tools/keras_fixtures && KERAS_BACKEND=jax ../../.venv-keras/bin/python convnet_fit.py

The guide's Conv2D/MaxPooling2D/Dense model without its Dropout (whose masks differ between
libraries by construction), weights drawn with NumPy (`default_rng(12)`, the same draw the
test makes), the first 256 digits of the sample shipped with hoarfrost, `compile(loss=
"categorical_crossentropy", optimizer="adam", metrics=["accuracy"])`, `fit(batch_size=64,
epochs=2, validation_split=0.25, shuffle=False)` and `evaluate` on the next 128 digits.
Writes tests/fixtures/keras_convnet_fit.json: the history and the evaluation.
"""

import json
import os
from pathlib import Path

import numpy as np

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras  # noqa: E402
from keras import layers  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "tests" / "fixtures" / "keras_convnet_fit.json"
with np.load(ROOT / "src" / "hoarfrost" / "datasets" / "data" / "mnist_sample.npz") as f:
    digits, labels = f["x_train"][:384], f["y_train"][:384]
x = digits[..., None].astype("float32") / 255
y = np.eye(10, dtype="float32")[labels]

model = keras.Sequential([
    keras.Input((28, 28, 1)),
    layers.Conv2D(32, (3, 3), activation="relu"), layers.MaxPooling2D((2, 2)),
    layers.Conv2D(64, (3, 3), activation="relu"), layers.MaxPooling2D((2, 2)),
    layers.Flatten(), layers.Dense(10, activation="softmax")])
rng = np.random.default_rng(12)
model.set_weights([rng.uniform(-0.1, 0.1, w.shape).astype("float32") for w in model.get_weights()])
model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
history = model.fit(x[:256], y[:256], batch_size=64, epochs=2, validation_split=0.25,
                    shuffle=False, verbose=0)
result = {"history": {k: [float(v) for v in vs] for k, vs in history.history.items()},
          "evaluate": [float(v) for v in model.evaluate(x[256:], y[256:], verbose=0)]}
print(result)
OUT.write_text(json.dumps(result, indent=1, sort_keys=True) + "\n")
print("wrote", OUT)
