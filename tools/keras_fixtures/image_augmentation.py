"""Keras fixtures for the colour and mixing augmentations (prefix `imgaug_`).

Each case stores the layer's kwargs, the images, the parameters of one
random draw (`param_<name>`, chosen here) and what Keras's
`transform_images(images, params, training=True)` returns for them, the
inference output (`layer(images, training=False)`) and the config keys, so
hoarfrost's `_transform(images, params)` is checked deterministically.

    cd tools/keras_fixtures && KERAS_BACKEND=jax ../../.venv-keras/bin/python image_augmentation.py
"""

import json

import numpy as np

from common import OUT  # noqa: E402  (run as a script from this folder)

import keras  # noqa: E402

L = keras.layers
rng = np.random.default_rng(0)
images = (rng.random((2, 5, 6, 3)) * 255).astype("float32")
unit = images / 255.0


def case(name, cls, kwargs, x, params, labels=None):
    layer = cls(**kwargs)
    data = {"class_name": np.array(cls.__name__), "kwargs": np.array(json.dumps(kwargs)),
            "images": x, "config_keys": np.array(json.dumps(sorted(layer.get_config())))}
    transformation = {k: keras.ops.convert_to_tensor(v) for k, v in params.items()}
    for k, v in params.items():
        data[f"param_{k}"] = np.asarray(v)
    out = layer.transform_images(keras.ops.convert_to_tensor(x), transformation, training=True)
    data["transformed"] = np.asarray(out)
    data["inference"] = np.asarray(layer(x, training=False))
    if labels is not None:
        data["labels"] = labels
        data["transformed_labels"] = np.asarray(
            layer.transform_labels(keras.ops.convert_to_tensor(labels), transformation))
    np.savez_compressed(OUT / f"{name}.npz", **data)
    print("wrote", name)


batch = (2, 1, 1, 1)
case("imgaug_solarization", L.Solarization, {"addition_factor": 0.3, "threshold_factor": 0.5},
     images, {"additions": np.array([10.0, 40.0]).reshape(batch),
              "thresholds": np.array([100.0, 180.0]).reshape(batch)})
case("imgaug_solarization_unit", L.Solarization, {"value_range": [0, 1]}, unit,
     {"additions": np.zeros(batch), "thresholds": np.full(batch, 128.0)})
case("imgaug_invert", L.RandomInvert, {"factor": 0.5}, images,
     {"apply_inversion": np.array([True, False])})
case("imgaug_posterization", L.RandomPosterization, {"factor": [2, 5], "value_range": [0, 1]},
     unit, {"shift_factor": np.array([6, 3], "uint8")})
case("imgaug_auto_contrast", L.AutoContrast, {}, images * 0.5 + 20, {})
case("imgaug_auto_contrast_unit", L.AutoContrast, {"value_range": [0, 1]}, unit * 0.3 + 0.1,
     {})
case("imgaug_equalization", L.Equalization, {}, np.round(images * 0.4), {})
case("imgaug_equalization_bins", L.Equalization, {"bins": 16, "value_range": [0, 1]}, unit, {})
case("imgaug_color_degeneration", L.RandomColorDegeneration, {"factor": 0.8}, images,
     {"factor": np.array([0.2, 0.7], "float32").reshape(batch)})
case("imgaug_saturation", L.RandomSaturation, {"factor": [0.2, 0.9], "value_range": [0, 1]},
     unit, {"factor": np.array([0.3, 2.5], "float32")})
case("imgaug_hue", L.RandomHue, {"factor": 0.6}, images,
     {"factor": np.array([0.2, -0.15], "float32")})
case("imgaug_sharpness", L.RandomSharpness, {"factor": [0.1, 0.9]}, images,
     {"factor": np.array([0.1, 0.8], "float32")})

# --- mixing and erasing (image_mixing.py) ------------------------------------------------------
labels = np.eye(3, dtype="float32")[[0, 2]]
case("imgaug_mix_up", L.MixUp, {"alpha": 0.4}, images,
     {"mix_weight": np.array([0.3, 0.8], "float32"), "permutation_order": np.array([1, 0])},
     labels=labels)
box = np.zeros((2, 5, 6, 3), bool)
box[0, 1:3, 2:5] = True
box[1, 0:4, 0:2] = True
case("imgaug_cut_mix", L.CutMix, {"factor": 0.5}, images,
     {"permutation_order": np.array([1, 0]), "batch_masks": box,
      "mix_weight": np.array([0.7, 0.6], "float32")}, labels=labels)
case("imgaug_erasing", L.RandomErasing, {"factor": 0.7, "fill_value": 10.0}, images,
     {"apply_erasing": np.array([True, False]), "batch_masks": box,
      "fill_value": np.full(images.shape, 10.0, "float32")})
case("imgaug_gaussian_blur", L.RandomGaussianBlur, {"kernel_size": [3, 5], "sigma": 0.8},
     images, {"should_apply_blur": np.array([True, False]),
              "blur_factor": np.array([0.7, 1.3], "float32")})
case("imgaug_color_jitter", L.RandomColorJitter, {"brightness_factor": 0.2, "hue_factor": 0.3},
     images, {})
pipeline = L.Pipeline([L.RandomInvert(), L.AutoContrast()])
data = {"class_name": np.array("Pipeline"),
        "config_keys": np.array(json.dumps(sorted(pipeline.get_config()))), "images": images,
        "inference": np.asarray(pipeline(images, training=False))}
np.savez_compressed(OUT / "imgaug_pipeline.npz", **data)

# --- geometry (image_geometry.py) --------------------------------------------------------------
case("imgaug_shear", L.RandomShear, {"x_factor": 0.3, "y_factor": [0.1, 0.4]}, images,
     {"shear_factor": np.array([[0.2, -0.1], [-0.25, 0.3]], "float32")})
case("imgaug_shear_constant_nearest", L.RandomShear, {
    "x_factor": 0.5, "fill_mode": "constant", "fill_value": 7.0, "interpolation": "nearest"},
    images, {"shear_factor": np.array([[0.4, 0.0], [-0.3, 0.2]], "float32")})
corners = np.array([[0.0, 0.0], [5.0, 0.0], [0.0, 4.0], [5.0, 4.0]], "float32")
moves = np.array([[[0, 0], [0.2, -0.1], [0.1, 0.3], [-0.2, 0.1]],
                  [[0, 0], [-0.1, 0.2], [0.3, -0.2], [0.1, -0.3]]], "float32")
case("imgaug_perspective", L.RandomPerspective, {"factor": 0.8, "scale": 0.6}, images,
     {"apply_perspective": np.array([True, False]),
      "start_points": np.stack([corners] * 2), "end_points": corners + corners * moves})

rand_augment = L.RandAugment(num_ops=3, factor=0.3, value_range=[0, 1])
np.savez_compressed(OUT / "imgaug_rand_augment.npz", **{
    "class_name": np.array("RandAugment"),
    "kwargs": np.array(json.dumps({"num_ops": 3, "factor": 0.3, "value_range": [0, 1]})),
    "config_keys": np.array(json.dumps(sorted(rand_augment.get_config()))), "images": unit,
    "inference": np.asarray(rand_augment(unit, training=False))})
print("wrote imgaug_rand_augment")

aug_mix = L.AugMix(num_chains=2, chain_depth=2, all_ops=False, value_range=[0, 1])
np.savez_compressed(OUT / "imgaug_aug_mix.npz", **{
    "class_name": np.array("AugMix"),
    "kwargs": np.array(json.dumps({"num_chains": 2, "chain_depth": 2, "all_ops": False,
                                   "value_range": [0, 1]})),
    "config_keys": np.array(json.dumps(sorted(aug_mix.get_config()))), "images": unit,
    "inference": np.asarray(aug_mix(unit, training=False))})
print("wrote imgaug_aug_mix")
