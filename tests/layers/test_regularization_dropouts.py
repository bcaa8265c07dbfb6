"""SpatialDropout1D, GaussianDropout and AlphaDropout: identity in inference
(as Keras), the right noise in training."""

import numpy as np
import pytest

from hoarfrost.layers.regularization import AlphaDropout, GaussianDropout, SpatialDropout1D

from tests.layers.harness import check_keras_fixture, run_layer_test
from tests.layers.harness_extra import assert_config_keys


@pytest.mark.parametrize("cls,kwargs,shape", [
    (SpatialDropout1D, {"rate": 0.3}, (2, 3, 4)),
    (GaussianDropout, {"rate": 0.3, "seed": 1}, (2, 3)),
    (AlphaDropout, {"rate": 0.2, "noise_shape": (None, 1)}, (2, 3)),
])
def test_harness(cls, kwargs, shape):
    run_layer_test(cls, kwargs, shape, shape, 0, train=False)


@pytest.mark.parametrize("name", ["reg_spatial_dropout1d", "reg_gaussian_dropout",
                                  "reg_alpha_dropout"])
def test_identity_in_inference_as_keras(name):
    layer = check_keras_fixture(name, rtol=0, atol=0)
    assert_config_keys(layer, name)


def test_spatial_dropout1d_drops_whole_channels():
    x = np.ones((64, 5, 8), np.float32)
    out = np.asarray(SpatialDropout1D(0.4)(x, training=True))
    assert set(np.unique(out)) <= {0.0, np.float32(1 / 0.6)}
    assert np.array_equal(out.min(axis=1), out.max(axis=1))  # one decision per channel
    assert 0.3 < (out.max(axis=1) == 0).mean() < 0.5


def test_gaussian_and_alpha_dropout_statistics():
    rng = np.random.default_rng(0)
    ones = np.ones((200, 50), np.float32)
    noise = np.asarray(GaussianDropout(0.2)(ones, training=True))
    assert abs(noise.mean() - 1.0) < 0.02
    assert abs(noise.std() - np.sqrt(0.2 / 0.8)) < 0.02
    x = rng.normal(size=(200, 50)).astype("float32")
    out = np.asarray(AlphaDropout(0.2)(x, training=True))
    assert abs(out.mean()) < 0.05 and abs(out.std() - 1.0) < 0.05  # SELU's fixed point kept
    assert not np.allclose(out, x)


def test_rates_are_checked():
    with pytest.raises(ValueError, match="GaussianDropout.*rate.*1.0"):
        GaussianDropout(1.0)
    with pytest.raises(ValueError, match="AlphaDropout.*rate"):
        AlphaDropout(-0.1)
    with pytest.raises(ValueError, match=r'"sd1".*expected ndim=3'):
        SpatialDropout1D(0.5, name="sd1")(np.ones((2, 3), np.float32))
