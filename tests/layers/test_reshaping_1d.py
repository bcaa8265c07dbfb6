"""ZeroPadding1D, Cropping1D and UpSampling1D, against Keras."""

import numpy as np
import pytest

from hoarfrost import Input
from hoarfrost.layers.reshaping import Cropping1D, UpSampling1D, ZeroPadding1D

from tests.layers.harness import check_keras_fixture, run_layer_test
from tests.layers.harness_extra import assert_config_keys


@pytest.mark.parametrize("cls,kwargs,input_shape,output_shape", [
    (ZeroPadding1D, {}, (2, 3, 4), (2, 5, 4)),
    (ZeroPadding1D, {"padding": (0, 2), "data_format": "channels_first"}, (2, 3, 4), (2, 3, 6)),
    (Cropping1D, {"cropping": (2, 0)}, (2, 5, 3), (2, 3, 3)),
    (UpSampling1D, {"size": 3}, (2, 2, 4), (2, 6, 4)),
])
def test_harness(cls, kwargs, input_shape, output_shape):
    run_layer_test(cls, kwargs, input_shape, output_shape, 0, train=False)


@pytest.mark.parametrize("name", ["reshape_zero_padding1d", "reshape_zero_padding1d_cf",
                                  "reshape_cropping1d", "reshape_cropping1d_default",
                                  "reshape_upsampling1d"])
def test_matches_keras_exactly(name):
    layer = check_keras_fixture(name, rtol=0, atol=0)
    assert_config_keys(layer, name)


def test_padding_then_cropping_round_trips_and_unknown_lengths():
    x = np.random.default_rng(0).normal(size=(2, 4, 3)).astype("float32")
    padded = ZeroPadding1D((1, 3))(x)
    np.testing.assert_array_equal(np.asarray(Cropping1D((1, 3))(padded)), x)
    assert Cropping1D((1, 1))(Input((None, 3))).shape == (None, None, 3)
    assert UpSampling1D(2)(Input((None, 3))).shape == (None, None, 3)
    assert ZeroPadding1D(2).padding == (2, 2) and Cropping1D(1).cropping == (1, 1)


def test_errors_name_the_layer():
    with pytest.raises(ValueError, match=r'"crop".*smaller than the input length.*\(None, 3, 2\)'):
        Cropping1D((2, 1), name="crop")(Input((3, 2)))
    with pytest.raises(ValueError, match=r'"pad".*expected ndim=3, found ndim=2'):
        ZeroPadding1D(name="pad")(np.ones((2, 3), np.float32))
    with pytest.raises(ValueError, match="ZeroPadding1D.*padding"):
        ZeroPadding1D(-1)
    with pytest.raises(TypeError, match="UpSampling1D.*integer"):
        UpSampling1D(2.0)
    with pytest.raises(ValueError, match="UpSampling1D.*positive"):
        UpSampling1D(0)
