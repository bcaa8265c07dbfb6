"""Keras's regularizer values and configs, for tests/test_regularizers.py.

    cd tools/keras_fixtures && KERAS_BACKEND=jax ../../.venv-keras/bin/python regularizers.py

Writes tests/fixtures/keras_regularizers.npz: a fixed weight matrix `x` (5, 3), and
per case (`Class|kwargs-json`) Keras's penalty of it and its `serialize` config.
"""

import json
import os
from pathlib import Path

import numpy as np

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras  # noqa: E402

OUT = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "keras_regularizers.npz"
x = np.random.default_rng(14).normal(size=(5, 3)).astype("float32")
CASES = [("OrthogonalRegularizer", {}), ("OrthogonalRegularizer", {"factor": 0.3}),
         ("OrthogonalRegularizer", {"factor": 0.2, "mode": "columns"}),
         ("L1L2", {"l1": 0.1, "l2": 0.05}), ("L1", {"l1": 0.2}), ("L2", {"l2": 0.3})]
data = {"x": x}
configs = {}
for name, kwargs in CASES:
    key = f"{name}|{json.dumps(kwargs, sort_keys=True)}"
    regularizer = getattr(keras.regularizers, name)(**kwargs)
    data[key] = np.asarray(regularizer(keras.ops.convert_to_tensor(x)))  # a weight, as in fit
    configs[key] = keras.regularizers.serialize(regularizer)
    print(key, data[key], configs[key])
data["configs"] = np.array(json.dumps(configs))
np.savez_compressed(OUT, **data)
print("wrote", OUT)
