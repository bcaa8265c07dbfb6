"""clone_model, to_json and model_from_json: the same architecture, new weights."""

import json

import numpy as np
import pytest

import hoarfrost
from hoarfrost import Input, Model, Sequential, layers
from hoarfrost.models import clone_model, model_from_json

X = np.random.default_rng(0).random((6, 5)).astype("float32")


def _sequential():
    model = Sequential([Input((5,)), layers.Dense(4, activation="relu", name="hidden"),
                        layers.Dense(2, name="out")])
    model.layers[0].trainable = False
    return model


def _functional():
    a, b = Input((5,), name="a"), Input((3,), name="b")
    h = layers.Dense(4, activation="relu", name="hidden")(a)
    out = layers.Dense(2, name="out")(layers.Concatenate(name="join")([h, b]))
    return Model([a, b], out, name="two_inputs")


@pytest.mark.parametrize("make", [_sequential, _functional])
def test_clone_has_the_architecture_and_new_weights(make):
    hoarfrost.utils.set_random_seed(0)
    model = make()
    clone = clone_model(model)
    assert type(clone) is type(model)
    assert [layer.name for layer in clone.layers] == [layer.name for layer in model.layers]
    assert [layer.trainable for layer in clone.layers] == [layer.trainable for layer in
                                                           model.layers]
    assert clone.count_params() == model.count_params()
    ours, theirs = model.get_weights(), clone.get_weights()
    assert [w.shape for w in ours] == [w.shape for w in theirs]
    kernels = [i for i, w in enumerate(ours) if w.ndim == 2]
    assert not any(np.array_equal(ours[i], theirs[i]) for i in kernels)  # nothing shared
    clone.set_weights(ours)
    inputs = X if isinstance(model, Sequential) else [X, X[:, :3]]
    np.testing.assert_array_equal(clone.predict(inputs, verbose=0),
                                  model.predict(inputs, verbose=0))
    # Training the clone leaves the original alone.
    clone.compile("sgd", "mse")
    clone.fit(inputs, np.ones((6, 2), "float32"), epochs=1, verbose=0)
    assert all(np.array_equal(a, b) for a, b in zip(model.get_weights(), ours))


@pytest.mark.parametrize("make", [_sequential, _functional])
def test_clone_function_can_share_or_change_layers(make):
    model = make()
    shared = clone_model(model, clone_function=lambda layer: layer)
    assert shared.get_layer("hidden") is model.get_layer("hidden")

    def wider(layer):
        config = layer.get_config()
        if layer.name == "hidden":
            config["units"] = 7
        return type(layer).from_config(config)

    assert clone_model(model, clone_function=wider).get_layer("hidden").kernel.shape == (5, 7)


@pytest.mark.parametrize("make", [_sequential, _functional])
def test_json_round_trip(make):
    model = make()
    text = model.to_json(indent=1)
    assert json.loads(text)["class_name"] == type(model).__name__
    rebuilt = model_from_json(text)
    assert rebuilt.to_json(indent=1) == text


def test_unsupported_input_tensors_say_so():
    with pytest.raises(NotImplementedError, match="input_tensors"):
        clone_model(_sequential(), input_tensors=[Input((5,))])


def test_clone_of_a_custom_layer_whose_get_config_leaves_out_name():
    """The saving guide's `CustomLayer`: get_config() returns only its own arguments."""

    class Factor(layers.Layer):
        def __init__(self, factor):
            super().__init__()
            self.factor = factor

        def call(self, x):
            return x * self.factor

        def get_config(self):
            return {"factor": self.factor}

    inputs = Input((3,))
    model = Model(inputs, layers.Dense(1)(Factor(0.5)(inputs)))
    clone = clone_model(model)
    assert [type(layer).__name__ for layer in clone.layers] == ["InputLayer", "Factor", "Dense"]
    assert clone.layers[1].factor == 0.5 and clone.layers[1] is not model.layers[1]
    clone.set_weights(model.get_weights())
    np.testing.assert_allclose(clone(X[:, :3]), model(X[:, :3]), rtol=1e-6)
