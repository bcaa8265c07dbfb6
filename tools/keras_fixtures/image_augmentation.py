"""Fixtures for the image augmentation layers: Keras's outputs at fixed draws.

A factor given as an equal pair (`(0.1, 0.1)`) makes every draw the same, so
Keras's training-mode output is deterministic and hoarfrost must reproduce it.

    KERAS_BACKEND=jax .venv-keras/bin/python tools/keras_fixtures/image_augmentation.py
"""

from __future__ import annotations

import json

import numpy as np

from common import OUT, save_fixture  # noqa: E402  (run as a script from this folder)

import keras  # noqa: E402

L = keras.layers
images = np.random.default_rng(0).random((2, 7, 9, 3)).astype("float32")

CASES = {
    "aug_rotation_quarter_nearest": (L.RandomRotation, {"factor": [0.25, 0.25],
                                                       "interpolation": "nearest"}),
    "aug_rotation_bilinear_reflect": (L.RandomRotation, {"factor": [0.1, 0.1]}),
    "aug_rotation_constant": (L.RandomRotation, {"factor": [-0.07, -0.07],
                                                 "fill_mode": "constant", "fill_value": 0.5}),
    "aug_translation_reflect": (L.RandomTranslation, {"height_factor": [0.2, 0.2],
                                                      "width_factor": [-0.15, -0.15]}),
    "aug_translation_wrap": (L.RandomTranslation, {"height_factor": [-0.3, -0.3],
                                                   "width_factor": [0.1, 0.1],
                                                   "fill_mode": "wrap"}),
    "aug_zoom_in": (L.RandomZoom, {"height_factor": [-0.2, -0.2]}),
    "aug_zoom_out_nearest_fill": (L.RandomZoom, {"height_factor": [0.3, 0.3],
                                                 "width_factor": [-0.1, -0.1],
                                                 "fill_mode": "nearest"}),
    "aug_zoom_constant_nearest": (L.RandomZoom, {"height_factor": [0.25, 0.25],
                                                 "fill_mode": "constant",
                                                 "interpolation": "nearest"}),
}

for name, (cls, kwargs) in CASES.items():
    save_fixture(name, cls, kwargs, images, training=True)
    path = OUT / f"{name}.npz"
    data = dict(np.load(path))
    data["config_keys"] = np.array(json.dumps(sorted(cls(**kwargs).get_config())))
    np.savez_compressed(path, **data)
