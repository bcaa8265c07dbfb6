"""SpatialDropout3D and ActivityRegularization: Keras's outputs, penalty and config keys."""

import numpy as np

from hoarfrost import Input, Sequential
from hoarfrost.layers import ActivityRegularization, Dense, SpatialDropout3D

from tests.layers.fixture_checks import check_breadth_fixture
from tests.layers.harness import FIXTURES


def test_spatial_dropout3d_inference_is_identity_and_config_matches():
    check_breadth_fixture("b2_spatial_dropout3d")


def test_spatial_dropout3d_drops_whole_channels():
    x = np.ones((4, 2, 3, 2, 6), "float32")
    for data_format, axis in (("channels_last", 4), ("channels_first", 1)):
        data = x if axis == 4 else np.moveaxis(x, -1, 1)
        out = np.asarray(SpatialDropout3D(0.5, data_format=data_format, seed=1)(
            data, training=True))
        values = np.moveaxis(out, axis, -1).reshape(4, -1, 6)
        # Each (sample, channel) is all zeros or all 2s: one decision per feature map.
        assert set(np.unique(values)) <= {0.0, 2.0}
        assert (values.min(axis=1) == values.max(axis=1)).all()


def test_activity_regularization_matches_keras():
    layer = check_breadth_fixture("b2_activity_regularization")
    with np.load(FIXTURES / "b2_activity_regularization.npz") as data:
        x, loss = data["input_0"], data["loss"]
    layer(x)
    np.testing.assert_allclose(np.asarray(layer.losses[0]), loss, rtol=1e-6)


def test_activity_regularization_adds_to_the_training_loss():
    x = np.ones((4, 3), "float32")
    y = np.zeros((4, 2), "float32")
    plain = Sequential([Input((3,)), Dense(2, kernel_initializer="ones")])
    regular = Sequential([Input((3,)), Dense(2, kernel_initializer="ones"),
                          ActivityRegularization(l1=0.5)])
    for model in (plain, regular):
        model.compile(optimizer="sgd", loss="mse")
    base = plain.evaluate(x, y, verbose=0)
    # Outputs are all 3 (2 per sample): l1 penalty 0.5 * 6 per sample.
    assert np.isclose(regular.evaluate(x, y, verbose=0), base + 3.0)
