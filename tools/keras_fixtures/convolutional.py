"""Keras fixtures for the convolution and pooling layers (conv_*.npz, pool_*.npz).

Run from this folder: `KERAS_BACKEND=jax ../../.venv-keras/bin/python convolutional.py`.
Inputs are small (each fixture well under 50 KB).
"""

import numpy as np

from common import save_fixture  # noqa: E402  (run as a script from this folder)

import keras  # noqa: E402

L = keras.layers
rng = np.random.default_rng(0)


def x(*shape):
    return rng.normal(size=shape).astype("float32")


CONV = [
    # Conv1D
    ("conv_1d", L.Conv1D, {"filters": 4, "kernel_size": 3}, x(2, 10, 3)),
    ("conv_1d_causal_dilated_relu", L.Conv1D,
     {"filters": 3, "kernel_size": 3, "padding": "causal", "dilation_rate": 2,
      "activation": "relu"}, x(2, 11, 2)),
    ("conv_1d_same_strided", L.Conv1D,
     {"filters": 4, "kernel_size": 4, "strides": 2, "padding": "same"}, x(2, 9, 3)),
    ("conv_1d_groups_channels_first", L.Conv1D,
     {"filters": 4, "kernel_size": 3, "groups": 2, "data_format": "channels_first"}, x(2, 4, 9)),
    ("conv_1d_causal_channels_first_no_bias", L.Conv1D,
     {"filters": 2, "kernel_size": 2, "padding": "causal", "data_format": "channels_first",
      "use_bias": False}, x(2, 3, 7)),
    # Conv2D
    ("conv_2d", L.Conv2D, {"filters": 4, "kernel_size": 3}, x(2, 7, 6, 3)),
    ("conv_2d_same_strides_relu", L.Conv2D,
     {"filters": 5, "kernel_size": [3, 2], "strides": [2, 3], "padding": "same",
      "activation": "relu"}, x(2, 9, 8, 3)),
    ("conv_2d_dilation_same_no_bias", L.Conv2D,
     {"filters": 3, "kernel_size": 3, "dilation_rate": [2, 1], "padding": "same",
      "use_bias": False}, x(2, 8, 7, 2)),
    ("conv_2d_groups", L.Conv2D, {"filters": 6, "kernel_size": 3, "groups": 3}, x(2, 6, 7, 6)),
    ("conv_2d_channels_first_same_strided", L.Conv2D,
     {"filters": 4, "kernel_size": 3, "strides": 2, "padding": "same",
      "data_format": "channels_first"}, x(2, 3, 7, 8)),
    ("conv_2d_even_kernel_same", L.Conv2D,
     {"filters": 2, "kernel_size": [2, 4], "padding": "same"}, x(2, 5, 6, 2)),
    # DepthwiseConv2D
    ("conv_depthwise", L.DepthwiseConv2D, {"kernel_size": 3, "depth_multiplier": 2},
     x(2, 6, 7, 3)),
    ("conv_depthwise_same_strided_channels_first", L.DepthwiseConv2D,
     {"kernel_size": [3, 2], "strides": 2, "padding": "same", "data_format": "channels_first"},
     x(2, 3, 7, 6)),
    ("conv_depthwise_dilated_relu", L.DepthwiseConv2D,
     {"kernel_size": 2, "dilation_rate": 2, "depth_multiplier": 3, "activation": "relu"},
     x(2, 6, 6, 2)),
    # SeparableConv2D
    ("conv_separable", L.SeparableConv2D, {"filters": 5, "kernel_size": 3, "depth_multiplier": 2},
     x(2, 6, 7, 3)),
    ("conv_separable_same_strided_relu", L.SeparableConv2D,
     {"filters": 4, "kernel_size": 3, "strides": 2, "padding": "same", "activation": "relu"},
     x(2, 7, 8, 3)),
    ("conv_separable_dilated_channels_first_no_bias", L.SeparableConv2D,
     {"filters": 3, "kernel_size": 2, "dilation_rate": 2, "data_format": "channels_first",
      "use_bias": False}, x(2, 2, 6, 7)),
    # Conv2DTranspose
    ("conv_transpose", L.Conv2DTranspose, {"filters": 4, "kernel_size": 3}, x(2, 4, 5, 3)),
    ("conv_transpose_same_strided", L.Conv2DTranspose,
     {"filters": 3, "kernel_size": 3, "strides": 2, "padding": "same"}, x(2, 4, 5, 2)),
    ("conv_transpose_valid_stride_over_kernel", L.Conv2DTranspose,
     {"filters": 3, "kernel_size": [3, 2], "strides": [2, 3]}, x(2, 4, 3, 2)),
    ("conv_transpose_output_padding_same", L.Conv2DTranspose,
     {"filters": 3, "kernel_size": 3, "strides": 2, "padding": "same", "output_padding": 1},
     x(2, 4, 5, 2)),
    ("conv_transpose_output_padding_valid", L.Conv2DTranspose,
     {"filters": 2, "kernel_size": [4, 3], "strides": 3, "output_padding": [2, 1]},
     x(2, 3, 4, 2)),
    ("conv_transpose_dilated_channels_first_relu", L.Conv2DTranspose,
     {"filters": 3, "kernel_size": 3, "dilation_rate": 2, "padding": "same",
      "data_format": "channels_first", "activation": "relu"}, x(2, 2, 5, 4)),
]

POOL = [
    ("pool_max1d", L.MaxPooling1D, {}, x(2, 9, 3)),
    ("pool_max1d_same_stride1", L.MaxPooling1D, {"pool_size": 3, "strides": 1, "padding": "same"},
     x(2, 8, 3)),
    ("pool_max1d_channels_first", L.MaxPooling1D,
     {"pool_size": 3, "data_format": "channels_first"}, x(2, 3, 10)),
    ("pool_max2d_odd", L.MaxPooling2D, {}, x(2, 7, 9, 3)),
    ("pool_max2d_same", L.MaxPooling2D, {"pool_size": [2, 3], "padding": "same"}, x(2, 7, 8, 3)),
    ("pool_max2d_overlapping", L.MaxPooling2D, {"pool_size": 3, "strides": 2}, x(2, 9, 8, 2)),
    ("pool_max2d_channels_first_same", L.MaxPooling2D,
     {"pool_size": 2, "padding": "same", "data_format": "channels_first"}, x(2, 3, 5, 7)),
    ("pool_avg1d", L.AveragePooling1D, {"pool_size": 3}, x(2, 10, 3)),
    ("pool_avg1d_same_strided", L.AveragePooling1D,
     {"pool_size": 3, "strides": 2, "padding": "same"}, x(2, 8, 3)),
    ("pool_avg2d", L.AveragePooling2D, {"pool_size": 2}, x(2, 7, 9, 3)),
    ("pool_avg2d_same", L.AveragePooling2D, {"pool_size": [2, 3], "padding": "same"},
     x(2, 7, 8, 3)),
    ("pool_avg2d_overlapping_same", L.AveragePooling2D,
     {"pool_size": 3, "strides": [2, 1], "padding": "same"}, x(2, 7, 6, 2)),
    ("pool_avg2d_channels_first", L.AveragePooling2D,
     {"pool_size": [3, 2], "data_format": "channels_first"}, x(2, 3, 7, 5)),
    ("pool_global_avg1d", L.GlobalAveragePooling1D, {}, x(2, 6, 3)),
    ("pool_global_avg1d_keepdims_channels_first", L.GlobalAveragePooling1D,
     {"keepdims": True, "data_format": "channels_first"}, x(2, 3, 6)),
    ("pool_global_avg2d", L.GlobalAveragePooling2D, {}, x(2, 4, 5, 3)),
    ("pool_global_avg2d_keepdims_channels_first", L.GlobalAveragePooling2D,
     {"keepdims": True, "data_format": "channels_first"}, x(2, 3, 4, 5)),
    ("pool_global_max1d", L.GlobalMaxPooling1D, {}, x(2, 6, 3)),
    ("pool_global_max1d_keepdims", L.GlobalMaxPooling1D, {"keepdims": True}, x(2, 6, 3)),
    ("pool_global_max2d", L.GlobalMaxPooling2D, {}, x(2, 4, 5, 3)),
    ("pool_global_max2d_keepdims_channels_first", L.GlobalMaxPooling2D,
     {"keepdims": True, "data_format": "channels_first"}, x(2, 3, 4, 5)),
]

for name, cls, kwargs, inputs in CONV + POOL:
    save_fixture(name, cls, kwargs, inputs)

# A masked average: the mask is a call argument (the padded steps must not count).
mask = [[True] * 6, [True] * 4 + [False] * 2]
save_fixture("pool_global_avg1d_masked", L.GlobalAveragePooling1D, {}, x(2, 6, 3),
             call_kwargs={"mask": mask})
