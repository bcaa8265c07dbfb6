"""Keras fixtures for Conv3D, the transposed convolutions in 1D and 3D,
SeparableConv1D, DepthwiseConv1D and the 3D (global) poolings (see breadth.py).

    cd tools/keras_fixtures && KERAS_BACKEND=jax ../../.venv-keras/bin/python convolutional_3d.py
"""

import numpy as np

from breadth import record  # noqa: E402  (run as a script from this folder)

import keras  # noqa: E402

L = keras.layers
rng = np.random.default_rng(0)
seq = rng.normal(size=(2, 7, 3)).astype("float32")
vol = rng.normal(size=(2, 4, 5, 6, 2)).astype("float32")

record("conv3d", L.Conv3D, {"filters": 3, "kernel_size": 2}, vol, training=False)
record("conv3d_same_strided_first", L.Conv3D, {
    "filters": 2, "kernel_size": (3, 2, 2), "strides": (2, 1, 2), "padding": "same",
    "data_format": "channels_first", "activation": "relu"}, np.moveaxis(vol, -1, 1),
    training=False)
record("conv3d_dilated_groups", L.Conv3D, {"filters": 4, "kernel_size": 2, "dilation_rate": 2,
                                           "groups": 2}, vol, training=False)
record("conv1d_transpose", L.Conv1DTranspose, {"filters": 2, "kernel_size": 3, "strides": 2},
       seq, training=False)
record("conv1d_transpose_same_output_padding", L.Conv1DTranspose, {
    "filters": 3, "kernel_size": 4, "strides": 3, "padding": "same", "output_padding": 1},
    seq, training=False)
record("conv3d_transpose", L.Conv3DTranspose, {"filters": 2, "kernel_size": 2, "strides": 2},
       vol, training=False)
record("conv3d_transpose_same_dilated", L.Conv3DTranspose, {
    "filters": 2, "kernel_size": 3, "padding": "same", "dilation_rate": (1, 2, 1),
    "use_bias": False}, vol, training=False)
record("separable_conv1d", L.SeparableConv1D, {"filters": 4, "kernel_size": 3,
                                               "depth_multiplier": 2}, seq, training=False)
record("separable_conv1d_same_strided", L.SeparableConv1D, {
    "filters": 2, "kernel_size": 2, "strides": 2, "padding": "same", "activation": "tanh"},
    seq, training=False)
record("depthwise_conv1d", L.DepthwiseConv1D, {"kernel_size": 3, "depth_multiplier": 2,
                                               "padding": "same"}, seq, training=False)
record("pool3d_max", L.MaxPooling3D, {}, vol, training=False)
record("pool3d_max_same_strided", L.MaxPooling3D, {"pool_size": (2, 3, 2), "strides": 1,
                                                   "padding": "same"}, vol, training=False)
record("pool3d_avg", L.AveragePooling3D, {"pool_size": 2}, vol, training=False)
record("pool3d_avg_same", L.AveragePooling3D, {"pool_size": 3, "strides": 2, "padding": "same"},
       vol, training=False)
record("pool3d_global_max", L.GlobalMaxPooling3D, {}, vol, training=False)
record("pool3d_global_avg_keepdims_first", L.GlobalAveragePooling3D, {
    "keepdims": True, "data_format": "channels_first"}, vol, training=False)
