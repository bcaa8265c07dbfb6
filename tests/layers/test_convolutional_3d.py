"""Conv3D, Conv1DTranspose, Conv3DTranspose, SeparableConv1D, DepthwiseConv1D:
Keras's weights (layout and order) and outputs."""

import numpy as np
import pytest

from hoarfrost.layers import (Conv1DTranspose, Conv3D, Conv3DTranspose, DepthwiseConv1D,
                              SeparableConv1D)

from tests.layers.fixture_checks import check_breadth_fixture
from tests.layers.harness import run_layer_test


@pytest.mark.parametrize("name", [
    "conv3d", "conv3d_same_strided_first", "conv3d_dilated_groups", "conv1d_transpose",
    "conv1d_transpose_same_output_padding", "conv3d_transpose", "conv3d_transpose_same_dilated",
    "separable_conv1d", "separable_conv1d_same_strided", "depthwise_conv1d"])
def test_matches_keras(name):
    check_breadth_fixture(name, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("cls, kwargs, in_shape, out_shape, count, train", [
    (Conv3D, {"filters": 2, "kernel_size": 2}, (2, 3, 3, 3, 1), (2, 2, 2, 2, 2), 8 * 2 + 2, True),
    (Conv1DTranspose, {"filters": 2, "kernel_size": 3, "strides": 2}, (2, 4, 3), (2, 9, 2),
     3 * 2 * 3 + 2, False),
    (Conv3DTranspose, {"filters": 1, "kernel_size": 2, "strides": 2}, (2, 1, 2, 2, 2),
     (2, 2, 4, 4, 1), 8 * 2 + 1, False),
    (SeparableConv1D, {"filters": 3, "kernel_size": 2}, (2, 5, 2), (2, 4, 3), 2 * 2 + 2 * 3 + 3,
     False),
    (DepthwiseConv1D, {"kernel_size": 2}, (2, 5, 3), (2, 4, 3), 2 * 3 + 3, False),
])
def test_harness(cls, kwargs, in_shape, out_shape, count, train):
    # Freezing under fit once (the rank-3 convolution's gradient); the other kinds share the
    # 1D/2D layers' training path, checked in test_convolutional.py.
    run_layer_test(cls, kwargs, in_shape, out_shape, count, train=train)


def test_conv3d_transpose_takes_data_format_before_output_padding():
    # Keras's positional order for the 3D layer (not the 1D/2D one's).
    layer = Conv3DTranspose(2, 3, 2, "same", "channels_last", 1)
    assert layer.data_format == "channels_last" and layer.output_padding == (1, 1, 1)
