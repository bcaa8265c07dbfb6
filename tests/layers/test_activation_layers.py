"""ReLU, LeakyReLU, ELU, Softmax, and the activation functions by name, against Keras."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hoarfrost import activations, layers
from hoarfrost.layers.activation_layers import ELU, LeakyReLU, PReLU, ReLU, Softmax

from tests.layers.fixture_checks import check_breadth_fixture
from tests.layers.harness import check_keras_fixture, run_layer_test


@pytest.mark.parametrize("cls,kwargs", [
    (ReLU, {}), (ReLU, {"max_value": 2.0, "negative_slope": 0.1, "threshold": 0.5}),
    (LeakyReLU, {}), (ELU, {"alpha": 0.5}), (Softmax, {"axis": 1}), (Softmax, {"axis": [1, 2]})])
def test_harness(cls, kwargs):
    run_layer_test(cls, kwargs, (2, 3, 4), (2, 3, 4), 0, train=False)


def test_defaults_are_keras_defaults():
    assert (ReLU().max_value, ReLU().negative_slope, ReLU().threshold) == (None, 0.0, 0.0)
    assert LeakyReLU().negative_slope == 0.3  # the layer; the function's default is 0.2
    assert ELU().alpha == 1.0 and Softmax().axis == -1
    x = np.array([-1.0], np.float32)
    assert np.asarray(activations.leaky_relu(x))[0] == pytest.approx(-0.2)
    with pytest.warns(DeprecationWarning, match="alpha"):
        assert LeakyReLU(alpha=0.1).negative_slope == pytest.approx(0.1)


@pytest.mark.parametrize("name,cls", [
    ("act_relu", ReLU), ("act_relu_options", ReLU), ("act_relu_max6", ReLU),
    ("act_relu_slope", ReLU), ("act_relu_threshold", ReLU), ("act_leaky_relu", LeakyReLU),
    ("act_leaky_relu_slope", LeakyReLU), ("act_elu", ELU), ("act_elu_alpha", ELU),
    ("act_softmax", Softmax), ("act_softmax_axis1", Softmax), ("act_softmax_axes", Softmax)])
def test_layers_match_keras(name, cls):
    check_keras_fixture(name, cls=cls, rtol=1e-6, atol=1e-7)


FUNCTIONS = ["relu", "silu", "swish", "tanh", "sigmoid", "softmax", "elu", "selu", "softplus",
             "linear", "softsign", "leaky_relu", "exponential", "hard_sigmoid", "log_softmax"]


@pytest.mark.parametrize("name", FUNCTIONS + ["gelu"])
def test_activation_functions_by_name_match_keras(name):
    layer = check_keras_fixture(f"act_fn_{name}", rtol=1e-6, atol=1e-6)
    assert layer.get_config()["activation"] == ("silu" if name == "swish" else name)


def test_relu_options_formula():
    x = np.linspace(-4, 4, 81, dtype=np.float32)
    got = np.asarray(ReLU(max_value=2.0, negative_slope=0.5, threshold=1.0)(x[None]))[0]
    want = np.where(x >= 2.0, 2.0, np.where(x > 1.0, x, 0.5 * (x - 1.0)))
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)


@settings(max_examples=20, deadline=None)
@given(max_value=st.one_of(st.none(), st.floats(0.0, 5.0)), slope=st.floats(0.0, 1.0),
       threshold=st.floats(0.0, 2.0))
def test_relu_matches_reference_fuzzed(max_value, slope, threshold):
    x = np.linspace(-6, 6, 49, dtype=np.float32)[None]
    got = np.asarray(ReLU(max_value=max_value, negative_slope=slope, threshold=threshold)(x))
    want = np.where(x > threshold, x, slope * (x - threshold) if slope else 0.0)
    if max_value is not None:
        want = np.where(x > threshold, np.minimum(x, max_value), want)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def test_softmax_mask_gives_masked_positions_zero_probability():
    x = np.random.default_rng(0).normal(size=(2, 5)).astype("float32")
    mask = np.array([[1, 1, 0, 1, 0], [0, 1, 1, 1, 1]], bool)
    got = np.asarray(Softmax()(x, mask=mask))
    e = np.exp(x - x.max(axis=1, keepdims=True)) * mask
    np.testing.assert_allclose(got, e / e.sum(axis=1, keepdims=True), rtol=1e-5, atol=1e-7)
    with pytest.raises(ValueError, match=r'"sm".*broadcast'):
        Softmax(name="sm")(x, mask=np.ones((2, 3), bool))


def test_bad_arguments():
    with pytest.raises(ValueError, match="max_value"):
        ReLU(max_value=-1.0)
    with pytest.raises(ValueError, match="negative_slope"):
        ReLU(negative_slope=-0.1)
    with pytest.raises(ValueError, match="threshold"):
        ReLU(threshold=-1.0)
    with pytest.raises(ValueError, match="negative_slope"):
        LeakyReLU(negative_slope=-0.3)


def test_activation_layers_in_a_model_train():
    from hoarfrost import Input
    from hoarfrost.models import Sequential
    model = Sequential([Input((4,)), layers.Dense(8), LeakyReLU(), layers.Dense(8), ELU(),
                        layers.Dense(3), ReLU(max_value=6.0), layers.Dense(2), Softmax()])
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    rng = np.random.default_rng(0)
    x = rng.normal(size=(16, 4)).astype("float32")
    y = np.eye(2, dtype="float32")[rng.integers(0, 2, 16)]
    history = model.fit(x, y, epochs=3, batch_size=8, verbose=0)
    assert np.all(np.isfinite(history.history["loss"]))
    np.testing.assert_allclose(model.predict(x, verbose=0).sum(axis=1), 1.0, rtol=1e-5)


# --- PReLU -------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["act_prelu", "act_prelu_shared"])
def test_prelu_matches_keras(name):
    check_breadth_fixture(name)


def test_prelu_harness_and_shared_axes():
    layer = run_layer_test(PReLU, {"shared_axes": [1]}, (2, 3, 4), (2, 3, 4), 4)
    assert layer.alpha.shape == (1, 4) and layer.alpha.path.endswith("/alpha")
    np.testing.assert_array_equal(np.asarray(PReLU()(np.array([[-2.0, 3.0]], "float32"))),
                                  [[0.0, 3.0]])  # alpha starts at zero: ReLU
