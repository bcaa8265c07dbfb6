"""Keras fixtures for normalization, merge, activation, reshaping and
regularization layers.

Run from this folder:

    cd tools/keras_fixtures && KERAS_BACKEND=jax ../../.venv-keras/bin/python misc.py

Prefixes: norm_ (BatchNormalization, LayerNormalization), merge_ (Add,
Concatenate, ...), act_ (ReLU, LeakyReLU, ELU, Softmax and `act_fn_<name>`:
`Activation(name)` for each activation name), reshape_ (Permute,
RepeatVector, ZeroPadding2D, Cropping2D, UpSampling2D) and reg_
(SpatialDropout2D, GaussianNoise: inference only, their training output is
random).

BatchNormalization fixtures also record the output with `training=True`
(batch statistics) and, as `after_training_weight_<i>`, the weights after
that one training-mode call (the moving statistics updated with momentum).
"""

import json

import numpy as np

from common import OUT, save_fixture  # noqa: E402  (run as a script from this folder)

import keras  # noqa: E402

rng = np.random.default_rng(0)


def normal(*shape, scale=1.0, shift=0.0):
    return (rng.normal(size=shape) * scale + shift).astype("float32")


def add_state_after_training(name: str) -> None:
    """Record the weights after one `training=True` call from the fixture's weights."""
    path = OUT / f"{name}.npz"
    data = dict(np.load(path))
    layer = getattr(keras.layers, str(data["class_name"]))(**json.loads(str(data["kwargs"])))
    x = data["input_0"]
    layer(x)
    layer.set_weights([data[f"weight_{i}"] for i in range(int(data["num_weights"]))])
    out = layer(x, training=True)
    np.testing.assert_array_equal(np.asarray(out), data["output_training_0"])
    for i, w in enumerate(layer.get_weights()):
        data[f"after_training_weight_{i}"] = np.asarray(w)
    np.savez_compressed(path, **data)
    print("  + weights after one training call")


# --- normalization ------------------------------------------------------------------
BN = keras.layers.BatchNormalization
for name, kwargs, x in [
    ("norm_bn_basic", {}, normal(8, 5, scale=2.0, shift=1.0)),
    ("norm_bn_axis1_rank4", {"axis": 1, "momentum": 0.9, "epsilon": 0.01},
     normal(4, 3, 2, 2, scale=3.0)),
    ("norm_bn_no_center_rank3", {"center": False}, normal(3, 4, 6)),
    ("norm_bn_no_scale_no_center", {"center": False, "scale": False, "momentum": 0.5},
     normal(6, 3, shift=-2.0)),
]:
    save_fixture(name, BN, kwargs, x, training=True)
    add_state_after_training(name)

LN = keras.layers.LayerNormalization
save_fixture("norm_ln_basic", LN, {}, normal(4, 5, scale=2.0, shift=1.0))
save_fixture("norm_ln_axes_12", LN, {"axis": [1, 2], "epsilon": 1e-5}, normal(2, 3, 4))
save_fixture("norm_ln_axis1_rank3_no_center", LN, {"axis": 1, "center": False},
             normal(2, 3, 4))
save_fixture("norm_ln_rms_scaling", LN, {"rms_scaling": True}, normal(3, 6, shift=0.5))

# --- merging ---------------------------------------------------------------------------
a, b, c = normal(3, 4), normal(3, 4), normal(3, 4)
for cls in ("Add", "Multiply", "Average", "Maximum", "Minimum"):
    save_fixture(f"merge_{cls.lower()}", getattr(keras.layers, cls), {}, [a, b, c])
save_fixture("merge_subtract", keras.layers.Subtract, {}, [a, b])
save_fixture("merge_concatenate", keras.layers.Concatenate, {}, [a, normal(3, 2)])
save_fixture("merge_concatenate_axis1", keras.layers.Concatenate, {"axis": 1},
             [normal(2, 3, 4), normal(2, 1, 4), normal(2, 2, 4)])
save_fixture("merge_add_broadcast", keras.layers.Add, {}, [normal(2, 3, 4), normal(2, 1, 4)])
save_fixture("merge_multiply_ranks", keras.layers.Multiply, {}, [normal(2, 4), normal(2, 3, 4)])

# --- activation layers and functions ----------------------------------------------------
x = normal(4, 6, scale=4.0)
save_fixture("act_relu", keras.layers.ReLU, {}, x)
save_fixture("act_relu_options", keras.layers.ReLU,
             {"max_value": 2.5, "negative_slope": 0.1, "threshold": 0.5}, x)
save_fixture("act_relu_max6", keras.layers.ReLU, {"max_value": 6.0}, x)
save_fixture("act_relu_slope", keras.layers.ReLU, {"negative_slope": 0.2}, x)
save_fixture("act_relu_threshold", keras.layers.ReLU, {"threshold": 1.0}, x)
save_fixture("act_leaky_relu", keras.layers.LeakyReLU, {}, x)
save_fixture("act_leaky_relu_slope", keras.layers.LeakyReLU, {"negative_slope": 0.05}, x)
save_fixture("act_elu", keras.layers.ELU, {}, x)
save_fixture("act_elu_alpha", keras.layers.ELU, {"alpha": 0.5}, x)
save_fixture("act_softmax", keras.layers.Softmax, {}, x)
save_fixture("act_softmax_axis1", keras.layers.Softmax, {"axis": 1}, normal(2, 3, 4))
save_fixture("act_softmax_axes", keras.layers.Softmax, {"axis": [1, 2]}, normal(2, 3, 4))
for fn in ("relu", "gelu", "silu", "swish", "tanh", "sigmoid", "softmax", "elu", "selu",
           "softplus", "linear", "softsign", "leaky_relu", "exponential", "hard_sigmoid",
           "log_softmax"):
    save_fixture(f"act_fn_{fn}", keras.layers.Activation, {"activation": fn}, x)

# --- reshaping ---------------------------------------------------------------------------
img = normal(2, 4, 5, 3)
save_fixture("reshape_permute", keras.layers.Permute, {"dims": [2, 3, 1]}, img)
save_fixture("reshape_repeat_vector", keras.layers.RepeatVector, {"n": 3}, normal(2, 4))
save_fixture("reshape_zero_padding2d", keras.layers.ZeroPadding2D,
             {"padding": [[1, 0], [2, 3]]}, img)
save_fixture("reshape_zero_padding2d_cf", keras.layers.ZeroPadding2D,
             {"padding": [1, 2], "data_format": "channels_first"}, img)
save_fixture("reshape_cropping2d", keras.layers.Cropping2D, {"cropping": [[1, 0], [1, 2]]}, img)
save_fixture("reshape_cropping2d_cf", keras.layers.Cropping2D,
             {"cropping": 1, "data_format": "channels_first"}, normal(2, 3, 4, 5))
for interpolation in ("nearest", "bilinear", "bicubic", "lanczos3"):
    save_fixture(f"reshape_upsampling2d_{interpolation}", keras.layers.UpSampling2D,
                 {"size": [2, 3], "interpolation": interpolation}, normal(2, 3, 4, 2))
save_fixture("reshape_upsampling2d_bilinear_cf", keras.layers.UpSampling2D,
             {"size": 2, "interpolation": "bilinear", "data_format": "channels_first"},
             normal(2, 2, 3, 4))

# --- regularization (inference: identity) ---------------------------------------------------
save_fixture("reg_spatial_dropout2d", keras.layers.SpatialDropout2D, {"rate": 0.5}, img)
save_fixture("reg_gaussian_noise", keras.layers.GaussianNoise, {"stddev": 0.3}, normal(3, 4))
