"""The "Save, serialize, and export models" guide's custom-object code, with only the
import changed: a custom layer whose get_config() returns only its own argument, a
registered function as an activation, load_model with custom_objects or a
custom_object_scope, and get_config / from_config / to_json round trips."""

import numpy as np
import pytest

import hoarfrost as keras


@keras.saving.register_keras_serializable(package="MyLayers")
class CustomLayer(keras.layers.Layer):
    def __init__(self, factor):
        super().__init__()
        self.factor = factor

    def call(self, x):
        return x * self.factor

    def get_config(self):
        return {"factor": self.factor}


@keras.saving.register_keras_serializable(package="my_package", name="custom_fn")
def custom_fn(x):
    return x**2


def get_model(layer_class=CustomLayer, activation=custom_fn):
    inputs = keras.Input(shape=(4,))
    mid = layer_class(0.5)(inputs)
    outputs = keras.layers.Dense(1, activation=activation)(mid)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="rmsprop", loss="mean_squared_error")
    return model


def test_registered_custom_objects_load_without_custom_objects(tmp_path):
    rng = np.random.default_rng(0)
    model = get_model()
    model.fit(rng.random((4, 4)), rng.random((4, 1)), verbose=0)
    test_input = rng.random((4, 4))
    model.save(tmp_path / "custom_model.keras")
    reconstructed_model = keras.models.load_model(tmp_path / "custom_model.keras")
    np.testing.assert_allclose(model.predict(test_input, verbose=0),
                               reconstructed_model.predict(test_input, verbose=0))
    assert reconstructed_model.layers[1].factor == 0.5
    assert reconstructed_model.layers[2].activation is custom_fn


class PlainLayer(keras.layers.Layer):
    """Unregistered: found through custom_objects or a custom_object_scope."""

    def __init__(self, factor):
        super().__init__()
        self.factor = factor

    def call(self, x):
        return x * self.factor

    def get_config(self):
        return {"factor": self.factor}


def test_custom_objects_and_custom_object_scope(tmp_path):
    model = get_model(PlainLayer, "relu")
    path = tmp_path / "plain_model.keras"
    model.save(path)
    with pytest.raises(ValueError, match="PlainLayer"):
        keras.models.load_model(path)
    custom_objects = {"PlainLayer": PlainLayer}
    x = np.ones((2, 4), np.float32)
    expected = model.predict(x, verbose=0)
    loaded = keras.models.load_model(path, custom_objects=custom_objects)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), expected)
    with keras.saving.custom_object_scope(custom_objects):
        scoped = keras.models.load_model(path)
    np.testing.assert_allclose(scoped.predict(x, verbose=0), expected)
    config = model.get_config()
    with keras.saving.custom_object_scope(custom_objects):
        new_model = keras.Model.from_config(config)
    assert isinstance(new_model.layers[1], PlainLayer) and new_model.layers[1].factor == 0.5


def test_config_round_trips_of_the_guide():
    layer = keras.layers.Dense(3, activation="relu")
    new_layer = keras.layers.Dense.from_config(layer.get_config())
    assert new_layer.units == 3 and new_layer.activation is keras.activations.relu
    model = keras.Sequential([keras.Input((32,)), keras.layers.Dense(1)])
    new_model = keras.Sequential.from_config(model.get_config())
    assert new_model.count_params() == 33
    inputs = keras.Input((32,))
    model = keras.Model(inputs, keras.layers.Dense(1)(inputs))
    assert keras.Model.from_config(model.get_config()).count_params() == 33
    model = keras.Sequential([keras.Input((32,)), keras.layers.Dense(1)])
    assert keras.models.model_from_json(model.to_json()).count_params() == 33
