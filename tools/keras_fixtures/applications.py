"""Keras fixtures for `hoarfrost.applications` (tests/applications/fixtures/*.npz).

Run from this folder:
`KERAS_BACKEND=jax ../../.venv-keras/bin/python applications.py [fixture names]` (a few
minutes for all).

For each case the fixture holds Keras's layer names (in `model.layers` order), the
weights' paths, shapes and dtypes in `get_weights()` order, the output shape and
parameter count, and, for the cases with taps, an input batch, Keras's predictions and
the outputs of a few inner layers after the weights are set by the recipe below. No weight file is committed:
the test replays the recipe in hoarfrost, checks the replay against the per-weight sums
stored here, and compares predictions.

The recipe (also in tests/applications/test_applications.py, `recipe_weight`): each
weight is drawn from `np.random.default_rng(zlib.crc32(path))`, so the values depend on
the weight's path and shape only, never on the order of the weights:

- `.../variance`, `.../moving_variance`, `.../gamma`: uniform in [0.5, 1.5);
- `.../count` (Normalization): zeros;
- `.../depthwise_kernel` `(kh, kw, c, m)`: normal * sqrt(2 / (kh * kw));
- any other weight of rank >= 2 (kernels): normal * sqrt(2 / prod(shape[:-1]));
- everything else (biases, beta, means): normal * 0.1.
"""

from __future__ import annotations

import json
import os
import zlib
from pathlib import Path

import numpy as np

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras  # noqa: E402

OUT = Path(__file__).resolve().parents[2] / "tests" / "applications" / "fixtures"
A = keras.applications


def recipe_weight(path: str, shape, dtype) -> np.ndarray:
    """The deterministic value of one weight (see the module docstring)."""
    rng = np.random.default_rng(zlib.crc32(path.encode()))
    name = path.rsplit("/", 1)[-1]
    shape = tuple(shape)
    if name == "count":
        return np.zeros(shape, dtype)
    if name in ("variance", "moving_variance", "gamma"):
        value = rng.uniform(0.5, 1.5, size=shape)
    elif name == "depthwise_kernel":
        value = rng.normal(size=shape) * np.sqrt(2.0 / (shape[0] * shape[1]))
    elif len(shape) >= 2:
        value = rng.normal(size=shape) * np.sqrt(2.0 / np.prod(shape[:-1]))
    else:
        value = rng.normal(size=shape) * 0.1
    return value.astype(dtype)


def efficientnet_b0_imagenet_layout(**kwargs):
    """EfficientNetB0 as `weights="imagenet"` builds it (an extra Rescaling by
    1/sqrt(stddev) after the Normalization), loading a stand-in weights file."""
    import tempfile

    from keras.src.applications import efficientnet

    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "stand_in.weights.h5")
        A.EfficientNetB0(**{**kwargs, "weights": None}).save_weights(path)
        keras.backend.clear_session()
        real_get_file = efficientnet.file_utils.get_file
        efficientnet.file_utils.get_file = lambda *args, **kw: path
        try:
            return A.EfficientNetB0(**{**kwargs, "weights": "imagenet"})
        finally:
            efficientnet.file_utils.get_file = real_get_file


SMALL = {"weights": None, "input_shape": (32, 32, 3)}
NOTOP = {**SMALL, "include_top": False}

# (fixture name, constructor, kwargs, layers whose outputs are recorded besides the
# model's: None for a structure-only case). The taps check the input's path too: with
# random weights the final outputs of the deepest nets barely depend on the input.
CASES = [
    ("resnet50", A.ResNet50, {**SMALL, "classes": 10, "classifier_activation": None},
     ["conv2_block1_out", "conv3_block4_out", "conv4_block6_out"]),
    ("resnet50v2_avg", A.ResNet50V2, {**NOTOP, "pooling": "avg"},
     ["conv2_block3_out", "conv4_block6_out", "post_relu"]),
    ("mobilenetv2", A.MobileNetV2, {**SMALL, "classes": 7},
     ["block_3_project_BN", "block_13_expand_relu", "out_relu"]),
    ("efficientnetb0", A.EfficientNetB0, {**SMALL, "classes": 5},
     ["block2b_add", "block4c_add", "top_activation"]),
    ("vgg16_max", A.VGG16, {**NOTOP, "pooling": "max"}, ["block2_pool", "block4_conv3"]),
    ("efficientnetb0_imagenet_layout", efficientnet_b0_imagenet_layout, NOTOP,
     ["stem_activation"]),
    ("resnet101", A.ResNet101, NOTOP, None),
    ("vgg19_top", A.VGG19, {**SMALL, "classes": 3, "classifier_activation": None}, None),
    ("mobilenetv2_035", A.MobileNetV2, {**NOTOP, "alpha": 0.35}, None),
    ("mobilenetv2_140", A.MobileNetV2, {**NOTOP, "alpha": 1.4, "pooling": "avg"}, None),
    ("efficientnetb3", A.EfficientNetB3, NOTOP, None),
    ("xception", A.Xception, {"weights": None, "input_shape": (71, 71, 3), "classes": 6},
     ["block4_pool", "block12_sepconv3_bn", "block14_sepconv2_act"]),
    ("mobilenet", A.MobileNet, {**SMALL, "classes": 4}, ["conv_pw_3_relu", "conv_pw_11_relu"]),
    ("mobilenet_050_max", A.MobileNet, {**NOTOP, "alpha": 0.5, "depth_multiplier": 2,
                                        "pooling": "max"}, None),
    ("densenet121", A.DenseNet121, {**SMALL, "classes": 5},
     ["conv2_block6_concat", "pool3_pool", "relu"]),
    ("densenet169_max", A.DenseNet169, {**NOTOP, "pooling": "max"}, None),
    ("densenet201_avg", A.DenseNet201, {**NOTOP, "pooling": "avg"}, None),
    ("inception_v3", A.InceptionV3, {"weights": None, "input_shape": (75, 75, 3), "classes": 3},
     ["mixed2", "mixed7", "mixed10"]),
    ("inception_v3_max", A.InceptionV3, {"weights": None, "input_shape": (139, 107, 3),
                                         "include_top": False, "pooling": "max"}, None),
    ("xception_avg", A.Xception, {"weights": None, "input_shape": (96, 80, 3),
                                  "include_top": False, "pooling": "avg"}, None),
    ("mobilenetv3small", A.MobileNetV3Small, {**SMALL, "classes": 4},
     ["expanded_conv_project_bn", "expanded_conv_5_add", "conv_1_bn"]),
    ("mobilenetv3large", A.MobileNetV3Large, {**SMALL, "classes": 3, "dropout_rate": 0.0},
     ["expanded_conv_2_add", "expanded_conv_9_add", "expanded_conv_14_add"]),
    ("mobilenetv3small_min_avg", A.MobileNetV3Small,
     {**NOTOP, "minimalistic": True, "pooling": "avg", "include_preprocessing": False}, None),
    ("mobilenetv3large_075_max", A.MobileNetV3Large, {**NOTOP, "alpha": 0.75, "pooling": "max"},
     None),
    ("mobilenetv3large_125_top", A.MobileNetV3Large,
     {**SMALL, "alpha": 1.25, "minimalistic": True, "classifier_activation": None}, None),
]


def record(name: str, constructor, kwargs: dict, taps: list[str] | None) -> None:
    keras.backend.clear_session()
    model = constructor(**kwargs)
    weights = model.weights
    data = {
        "kwargs": np.array(json.dumps({k: list(v) if isinstance(v, tuple) else v
                                       for k, v in kwargs.items()})),
        "model_name": np.array(model.name),
        "layer_names": np.array(json.dumps([layer.name for layer in model.layers])),
        "weight_paths": np.array(json.dumps([w.path for w in weights])),
        "weight_shapes": np.array(json.dumps([list(w.shape) for w in weights])),
        "weight_dtypes": np.array(json.dumps([str(w.dtype) for w in weights])),
        "trainable_count": np.array(len(model.trainable_weights)),
        "output_shape": np.array(json.dumps(list(model.output.shape))),
        "count_params": np.array(model.count_params()),
    }
    if taps is not None:
        values = [recipe_weight(w.path, w.shape, w.dtype) for w in weights]
        model.set_weights(values)
        # Keras's Normalization reads copies of its statistics made by finalize_state(),
        # which load_weights calls and set_weights does not; call it as loading would.
        for layer in model.layers:
            if isinstance(layer, keras.layers.Normalization):
                layer.finalize_state()
        data["weight_sums"] = np.array([float(np.sum(v, dtype=np.float64)) for v in values])
        x = np.random.default_rng(0).uniform(0, 255, size=(2,) + kwargs["input_shape"])
        x = x.astype("float32")
        data["x"] = x
        data["taps"] = np.array(json.dumps(taps))
        tapped = keras.Model(model.input, [model.get_layer(t).output for t in taps]
                             + [model.output])
        outputs = tapped(x, training=False)
        for tap, value in zip(taps, outputs):
            data[f"tap_{tap}"] = np.asarray(value)
        data["y"] = np.asarray(outputs[-1])
    OUT.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(OUT / f"{name}.npz", **data)
    print("wrote", OUT / f"{name}.npz", model.count_params(), "params")


def record_preprocess() -> None:
    """`imagenet_utils.preprocess_input` in each mode and data format, on NumPy arrays
    (3D and 4D; float ones are written over, as Keras does) and on JAX tensors."""
    from keras.src.applications import imagenet_utils

    rng = np.random.default_rng(1)
    images = rng.integers(0, 256, size=(2, 4, 5, 3)).astype("float32")
    data = {"images": images}
    for mode in ("caffe", "tf", "torch"):
        for data_format in ("channels_last", "channels_first"):
            x = images if data_format == "channels_last" else images.transpose(0, 3, 1, 2).copy()
            key = f"{mode}_{data_format}"
            written = x.copy()
            data[f"{key}_numpy"] = imagenet_utils.preprocess_input(written, data_format, mode)
            data[f"{key}_overwritten"] = written  # what became of the caller's array
            data[f"{key}_numpy3d"] = imagenet_utils.preprocess_input(x[0].copy(), data_format,
                                                                     mode)
            data[f"{key}_tensor"] = np.asarray(imagenet_utils.preprocess_input(
                keras.ops.convert_to_tensor(x), data_format, mode))
    np.savez_compressed(OUT / "preprocess_input.npz", **data)
    print("wrote", OUT / "preprocess_input.npz")


if __name__ == "__main__":
    import sys

    chosen = sys.argv[1:]  # fixture names, or all
    if not chosen or "preprocess_input" in chosen:
        record_preprocess()
    for case in CASES:
        if not chosen or case[0] in chosen:
            record(*case)
