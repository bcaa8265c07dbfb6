"""Rescaling and Normalization (with adapt), against Keras."""

import json

import numpy as np
import pytest

from hoarfrost import Input, Sequential
from hoarfrost.layers.preprocessing import Normalization, Rescaling
from hoarfrost.saving import load_model

from tests.layers.harness import check_keras_fixture, run_layer_test
from tests.layers.harness_extra import assert_config_keys, load


def test_rescaling_harness():
    layer = run_layer_test(Rescaling, {"scale": 0.5, "offset": 1.0}, (2, 3), (2, 3), 0,
                           train=False)
    assert layer(np.array([[0, 2, 4]], np.int32)).dtype == np.float32


@pytest.mark.parametrize("name", ["pre_rescaling", "pre_rescaling_per_channel"])
def test_rescaling_matches_keras(name):
    layer = check_keras_fixture(name, rtol=1e-6, atol=1e-6)
    assert_config_keys(layer, name)
    assert json.loads(json.dumps(layer.get_config()))["scale"] == layer.get_config()["scale"]


def test_normalization_harness_and_state_is_never_trained():
    # Weights: mean (3,), variance (3,), count (): non-trainable state, frozen or not.
    layer = run_layer_test(Normalization, {}, (4, 3), (4, 3), 0, expected_non_trainable=7)
    assert [w.path.split("/")[1] for w in layer.weights] == ["mean", "variance", "count"]
    assert [str(w.dtype) for w in layer.weights] == ["float32", "float32", "int32"]
    assert not any(w.trainable for w in layer.weights)


@pytest.mark.parametrize("name", ["pre_normalization", "pre_normalization_axes",
                                  "pre_normalization_axis_none", "pre_normalization_invert",
                                  "pre_normalization_batches"])
def test_adapt_matches_keras(name):
    data = load(name)
    layer = Normalization(**json.loads(str(data["kwargs"])))
    batches = [data[f"adapt_{i}"] for i in range(int(data["num_adapt"]))]
    layer.adapt(batches if bool(data["adapt_batches"]) else batches[0])
    keras_weights = [data[f"weight_{i}"] for i in range(int(data["num_weights"]))]
    assert json.loads(str(data["weight_dtypes"])) == [str(w.dtype) for w in layer.weights]
    for ours, theirs in zip(layer.get_weights(), keras_weights):
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)
    x = data["input_0"]
    np.testing.assert_allclose(np.asarray(layer(x)), data["output_inference_0"], rtol=1e-5,
                               atol=1e-5)
    # Keras's weights loaded with set_weights give Keras's output (read at each call).
    fresh = Normalization(**json.loads(str(data["kwargs"])))
    fresh(x)
    fresh.set_weights(keras_weights)
    np.testing.assert_allclose(np.asarray(fresh(x)), data["output_inference_0"], rtol=1e-5,
                               atol=1e-5)
    assert_config_keys(layer, name)


@pytest.mark.parametrize("name", ["pre_normalization_given",
                                  "pre_normalization_given_scalar_invert"])
def test_given_statistics_match_keras(name):
    layer = check_keras_fixture(name)
    assert layer.weights == []
    assert_config_keys(layer, name)
    clone = Normalization.from_config(json.loads(json.dumps(layer.get_config())))
    x = load(name)["input_0"]
    np.testing.assert_array_equal(np.asarray(clone(x)), np.asarray(layer(x)))


def test_adapt_takes_x_y_batches_and_updates_a_built_layer():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(12, 2)).astype("float32") * 3 + 1
    layer = Normalization()
    layer(x)  # built with the defaults: identity
    np.testing.assert_allclose(np.asarray(layer(x)), x, rtol=1e-6)
    layer.adapt([(x[:5], None), (x[5:], None)])
    np.testing.assert_allclose(layer.get_weights()[0], x.mean(0), rtol=1e-5)
    np.testing.assert_allclose(layer.get_weights()[1], x.var(0), rtol=1e-5)
    out = np.asarray(layer(x))
    np.testing.assert_allclose(out.mean(0), 0.0, atol=1e-5)
    np.testing.assert_allclose(out.std(0), 1.0, rtol=1e-4)
    # Keras's `mean` / `variance` attributes: the statistics in the broadcast shape.
    assert np.shape(layer.mean) == np.shape(layer.variance) == (1, 2)
    np.testing.assert_allclose(np.asarray(layer.mean)[0], x.mean(0), rtol=1e-5)
    np.testing.assert_allclose(np.asarray(layer.variance)[0], x.var(0), rtol=1e-5)
    assert Normalization().mean is None


def test_adapt_after_compile_takes_effect_and_the_state_saves(tmp_path):
    x = np.random.default_rng(2).normal(size=(8, 3)).astype("float32") * 4 + 2
    norm = Normalization()
    model = Sequential([Input((3,)), norm])
    model.compile(optimizer="sgd", loss="mse")
    np.testing.assert_allclose(model.predict(x, verbose=0), x, rtol=1e-6)
    norm.adapt(x)
    np.testing.assert_allclose(model.predict(x, verbose=0).mean(0), 0.0, atol=1e-5)
    model.save(tmp_path / "norm.keras")
    loaded = load_model(tmp_path / "norm.keras")
    for saved, restored in zip(model.get_weights(), loaded.get_weights()):
        assert saved.shape == restored.shape and np.array_equal(saved, restored)


def test_normalization_errors_name_the_layer():
    with pytest.raises(ValueError, match=r'"n1".*both `mean` and `variance`'):
        Normalization(mean=1.0, name="n1")
    with pytest.raises(ValueError, match=r'"n2".*same shape.*\(2,\).*\(3,\)'):
        Normalization(mean=[1.0, 2.0], variance=[1.0, 1.0, 1.0], name="n2")
    layer = Normalization(name="n3")
    layer.adapt(np.ones((4, 3), np.float32))
    with pytest.raises(ValueError, match=r'"n3" was built for inputs of shape \(4, 3\).*\(4, 5\)'):
        layer.adapt(np.ones((4, 5), np.float32))
    with pytest.raises(ValueError, match=r'"n4".*empty iterable'):
        Normalization(name="n4").adapt([])
    with pytest.raises(ValueError, match=r'"n5".*given `mean` and `variance`'):
        Normalization(mean=0.0, variance=1.0, name="n5").adapt(np.ones((2, 1), np.float32))
    with pytest.raises(ValueError, match=r'"n6".*axis.*\[-2, 2\)'):
        Normalization(axis=3, name="n6")(np.ones((2, 3), np.float32))
    with pytest.raises(TypeError, match=r'"n7".*adapt\(\) expects'):
        Normalization(name="n7").adapt(3.0)
