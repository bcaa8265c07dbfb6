"""Regularizers against Keras 3.15's penalties and configs
(tools/keras_fixtures/regularizers.py), OrthogonalRegularizer in a trained layer."""

import json
from pathlib import Path

import numpy as np
import pytest

from hoarfrost import Sequential, layers, regularizers

DATA = np.load(Path(__file__).parent / "fixtures" / "keras_regularizers.npz")
CONFIGS = json.loads(str(DATA["configs"]))


@pytest.mark.parametrize("key", sorted(CONFIGS))
def test_penalty_and_config_match_keras(key):
    name, kwargs = key.split("|")
    regularizer = getattr(regularizers, name)(**json.loads(kwargs))
    np.testing.assert_allclose(np.asarray(regularizer(DATA["x"])), DATA[key], rtol=1e-6)
    keras_config = CONFIGS[key]
    restored = regularizers.deserialize(keras_config)
    assert type(restored) is type(regularizer)
    np.testing.assert_allclose(np.asarray(restored(DATA["x"])), DATA[key], rtol=1e-6)
    if name == "OrthogonalRegularizer":
        assert regularizer.get_config() == keras_config["config"]
        assert type(regularizers.get(keras_config)) is regularizers.OrthogonalRegularizer


def test_orthogonal_regularizer_by_name_in_a_layer():
    assert regularizers.orthogonal_regularizer is regularizers.OrthogonalRegularizer
    assert type(regularizers.get("orthogonal_regularizer")) is regularizers.OrthogonalRegularizer
    assert type(regularizers.deserialize("l2")) is regularizers.L2
    model = Sequential([layers.Input((4,)), layers.Dense(
        3, kernel_regularizer=regularizers.OrthogonalRegularizer(0.5, mode="columns"))])
    kernel = np.asarray(model.layers[0].kernel.value)
    expected = float(regularizers.OrthogonalRegularizer(0.5, mode="columns")(kernel))
    model.compile("sgd", "mse")
    x = np.zeros((2, 4), "float32")
    loss = model.evaluate(x, model.predict(x, verbose=0), verbose=0)  # data loss is zero
    np.testing.assert_allclose(loss, expected, rtol=1e-5)


def test_bad_arguments_raise_naming_them():
    with pytest.raises(ValueError, match="argument factor"):
        regularizers.OrthogonalRegularizer(factor=-1.0)
    with pytest.raises(ValueError, match="`mode`"):
        regularizers.OrthogonalRegularizer(mode="diagonal")
    with pytest.raises(ValueError, match="rank 2"):
        regularizers.OrthogonalRegularizer()(np.zeros((2, 2, 2), "float32"))


def test_l1_l2_is_keras_3_s_class_with_zero_defaults():
    """Keras 3's `regularizers.l1_l2` is `L1L2` (l1=0.0, l2=0.0); Keras 2's function
    defaulted to 0.01 each. By name (which Keras 3.15's `get` can not resolve) it is the
    class's defaults too."""
    assert regularizers.l1_l2 is regularizers.L1L2
    assert regularizers.l1_l2(l1=1e-5).get_config() == {"l1": 1e-5, "l2": 0.0}
    assert regularizers.get("l1_l2").get_config() == {"l1": 0.0, "l2": 0.0}
