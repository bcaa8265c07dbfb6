"""Fixtures for the image preprocessing layers: Keras's outputs, random ones at fixed draws.

A factor given as an equal pair (`(0.1, 0.1)`; for RandomContrast `(-f, f)`)
makes every draw the same, so Keras's training-mode output is deterministic
and hoarfrost must reproduce it.

    KERAS_BACKEND=jax .venv-keras/bin/python tools/keras_fixtures/image_preprocessing.py
"""

from __future__ import annotations

import json

import numpy as np

from common import OUT, save_fixture  # noqa: E402  (run as a script from this folder)

import keras  # noqa: E402

L = keras.layers
images = np.random.default_rng(0).random((2, 7, 9, 3)).astype("float32")
pixels = images * 255  # RandomContrast clips to its value range, (0, 255) by default

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
    "aug_contrast": (L.RandomContrast, {"factor": [-0.2, 0.2]}),
    "aug_contrast_range": (L.RandomContrast, {"factor": [-0.5, 0.5], "value_range": [0, 100]}),
    "aug_brightness": (L.RandomBrightness, {"factor": [0.1, 0.1]}),
    "aug_brightness_range": (L.RandomBrightness, {"factor": [-0.3, -0.3],
                                                  "value_range": [0, 1]}),
    "pre_resizing_bilinear": (L.Resizing, {"height": 5, "width": 4}),
    "pre_resizing_nearest_up": (L.Resizing, {"height": 12, "width": 10,
                                             "interpolation": "nearest"}),
    "pre_resizing_crop_aspect": (L.Resizing, {"height": 6, "width": 6,
                                              "crop_to_aspect_ratio": True}),
    "pre_resizing_pad_aspect": (L.Resizing, {"height": 4, "width": 8,
                                             "pad_to_aspect_ratio": True, "fill_value": 1.0}),
    "pre_resizing_bicubic_antialias": (L.Resizing, {"height": 3, "width": 4,
                                                    "interpolation": "bicubic",
                                                    "antialias": True}),
    "pre_center_crop": (L.CenterCrop, {"height": 5, "width": 4}),
    "pre_center_crop_smaller": (L.CenterCrop, {"height": 10, "width": 6}),
}

for name, (cls, kwargs) in CASES.items():
    save_fixture(name, cls, kwargs, pixels if "contrast" in name or name == "aug_brightness" else images, training=True)
    path = OUT / f"{name}.npz"
    data = dict(np.load(path))
    data["config_keys"] = np.array(json.dumps(sorted(cls(**kwargs).get_config())))
    np.savez_compressed(path, **data)
