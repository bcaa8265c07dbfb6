"""ConvLSTM1D/2D/3D: Keras's weights, outputs (sequences, states, go_backwards, strides,
dilation, channels_first) and config keys; counts, freezing under fit, masks, dropout."""

import numpy as np
import pytest

from hoarfrost import Input
from hoarfrost.layers import ConvLSTM1D, ConvLSTM2D, ConvLSTM3D

from tests.layers.fixture_checks import check_breadth_fixture
from tests.layers.harness import run_layer_test


@pytest.mark.parametrize("name", [
    "b2_conv_lstm1d", "b2_conv_lstm1d_same_seq_backwards", "b2_conv_lstm2d_state",
    "b2_conv_lstm2d_strided_first", "b2_conv_lstm2d_dilated_seq_state", "b2_conv_lstm3d"])
def test_matches_keras(name):
    check_breadth_fixture(name, rtol=1e-4, atol=1e-5)


def test_harness_counts_and_freezing():
    # kernel 2*2*1*8, recurrent kernel 2*2*2*8, bias 8.
    run_layer_test(ConvLSTM2D, {"filters": 2, "kernel_size": 2, "padding": "same"},
                   (2, 3, 3, 3, 1), (2, 3, 3, 2), 32 + 64 + 8)


def test_shapes_masks_and_properties():
    layer = ConvLSTM3D(2, 2, return_sequences=True, return_state=True)
    out, h, c = layer(Input((4, 3, 3, 3, 1)))
    assert out.shape == (None, 4, 2, 2, 2, 2) and h.shape == c.shape == (None, 2, 2, 2, 2)
    assert layer.filters == 2 and layer.kernel_size == (2, 2, 2)
    x = np.random.default_rng(0).normal(size=(2, 4, 5, 1)).astype("float32")
    lstm = ConvLSTM1D(2, 2)
    full = np.asarray(lstm(x[:, :2]))
    # A masked timestep keeps the states: masking the last two steps = running the first two.
    mask = np.array([[True, True, False, False]] * 2)
    np.testing.assert_allclose(np.asarray(lstm(x, mask=mask)), full, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="not compatible"):
        ConvLSTM2D(2, 2, strides=2, dilation_rate=2)


def test_dropout_only_in_training():
    x = np.ones((2, 3, 4, 1), "float32")
    layer = ConvLSTM1D(2, 2, dropout=0.5, recurrent_dropout=0.5, seed=3)
    plain = np.asarray(layer(x))  # inference: no dropout (the default)
    dropped = np.asarray(layer(x, training=True))
    assert not np.allclose(dropped, plain)
