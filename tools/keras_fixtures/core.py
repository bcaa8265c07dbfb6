"""Keras fixtures for the core layers (Dense, Activation, Flatten, Reshape)."""

import numpy as np

from common import save_fixture  # noqa: E402  (run as a script from this folder)

import keras  # noqa: E402

rng = np.random.default_rng(0)
x = rng.normal(size=(4, 5)).astype("float32")
save_fixture("dense_relu", keras.layers.Dense, {"units": 3, "activation": "relu"}, x)
save_fixture("dense_no_bias_rank3", keras.layers.Dense, {"units": 2, "use_bias": False},
             rng.normal(size=(2, 3, 5)).astype("float32"))
save_fixture("activation_softmax", keras.layers.Activation, {"activation": "softmax"}, x)
save_fixture("flatten", keras.layers.Flatten, {}, rng.normal(size=(2, 3, 4)).astype("float32"))
save_fixture("reshape", keras.layers.Reshape, {"target_shape": [2, -1]},
             rng.normal(size=(2, 3, 4)).astype("float32"))
