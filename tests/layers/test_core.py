import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hoarfrost import initializers, layers

from tests.layers.harness import run_layer_test


def test_dense():
    run_layer_test(layers.Dense, {"units": 4, "activation": "relu"}, (2, 3), (2, 4), 16)


def test_dense_without_bias_on_rank_3_inputs():
    run_layer_test(layers.Dense, {"units": 5, "use_bias": False}, (2, 4, 3), (2, 4, 5), 15)


def test_dense_input_dim_and_input_shape_kwargs():
    assert layers.Dense(4, input_dim=3)._batch_input_shape == (None, 3)
    assert layers.Dense(4, input_shape=(3,))._batch_input_shape == (None, 3)


def test_dense_computes_activation_of_affine_map():
    layer = layers.Dense(2, activation="relu")
    x = np.array([[1.0, -2.0]], np.float32)
    layer(x)
    layer.set_weights([np.array([[1.0, 2.0], [3.0, -1.0]], np.float32),
                       np.array([0.5, -10.0], np.float32)])
    assert np.array_equal(np.asarray(layer(x)), np.array([[0.0, 0.0]], np.float32))
    layer.activation = layers.Activation("linear").activation
    assert np.array_equal(np.asarray(layer(x)), np.array([[-4.5, -6.0]], np.float32))


def test_dense_rejects_wrong_feature_count_naming_the_layer():
    layer = layers.Dense(2, name="head")
    layer(np.ones((1, 3), np.float32))
    with pytest.raises(ValueError, match=r'"head".*expected axis -1.*value 3.*\(1, 4\)'):
        layer(np.ones((1, 4), np.float32))


def test_activation():
    run_layer_test(layers.Activation, {"activation": "tanh"}, (2, 3), (2, 3), 0, train=False)


def test_flatten():
    run_layer_test(layers.Flatten, {}, (2, 3, 4), (2, 12), 0, train=False)


def test_reshape():
    run_layer_test(layers.Reshape, {"target_shape": (2, -1)}, (2, 12), (2, 2, 6), 0, train=False)


def test_dropout_is_identity_in_inference_and_scales_in_training():
    layer = run_layer_test(layers.Dropout, {"rate": 0.5}, (2, 8), (2, 8), 0, train=False)
    x = np.ones((1000, 8), np.float32)
    assert np.array_equal(np.asarray(layer(x)), x)
    out = np.asarray(layer(x, training=True))
    assert set(np.unique(out)) <= {0.0, 2.0}
    assert 0.4 < (out == 0).mean() < 0.6


@settings(max_examples=12, deadline=None)
@given(batch=st.integers(1, 5), features=st.integers(1, 6), units=st.integers(1, 6))
def test_dense_shapes_fuzzed(batch, features, units):
    layer = layers.Dense(units)
    out = layer(np.zeros((batch, features), np.float32))
    assert out.shape == (batch, units)
    assert layer.count_params() == features * units + units


def test_glorot_uniform_statistics_match_keras_definition():
    values = np.asarray(initializers.GlorotUniform(seed=1)((400, 600)))
    limit = np.sqrt(6.0 / (400 + 600))
    assert values.min() >= -limit and values.max() <= limit
    assert abs(values.var() - limit ** 2 / 3) < 0.02 * limit ** 2


@pytest.mark.parametrize("name", ["dense_relu", "dense_no_bias_rank3", "activation_softmax",
                                  "flatten", "reshape"])
def test_matches_keras(name):
    from tests.layers.harness import check_keras_fixture
    check_keras_fixture(name)
