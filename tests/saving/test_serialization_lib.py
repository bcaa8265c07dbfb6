"""serialize_keras_object / deserialize_keras_object, as in Keras 3's serialization_lib:
configs of built-ins, registered and custom objects, nested layers in get_config, and the
build and compile hooks they carry."""

import numpy as np
import pytest

import hoarfrost
from hoarfrost import layers, losses, optimizers, regularizers, saving
from hoarfrost.saving import deserialize_keras_object, serialize_keras_object


def test_built_ins_round_trip_with_keras_modules():
    """The saving guide: `my_reg = keras.regularizers.L1(0.005)` and back; a layer, an
    optimizer, a loss and a built-in function carry Keras's module names."""
    config = serialize_keras_object(regularizers.L1(0.005))
    assert config["module"] == "keras.regularizers" and config["class_name"] == "L1"
    assert config["registered_name"] is None
    new_reg = deserialize_keras_object(config)
    assert isinstance(new_reg, regularizers.L1)
    assert float(new_reg.l1) == pytest.approx(0.005)
    assert config["config"] == {"l1": 0.004999999888241291}  # float32, as Keras reads it back
    dense = serialize_keras_object(layers.Dense(3, activation="relu", name="d"))
    assert (dense["module"], dense["class_name"]) == ("keras.layers", "Dense")
    restored = deserialize_keras_object(dense)
    assert isinstance(restored, layers.Dense) and restored.units == 3 and restored.name == "d"
    adam = deserialize_keras_object(serialize_keras_object(optimizers.Adam(0.01)))
    assert isinstance(adam, optimizers.Adam)
    assert float(adam.learning_rate) == pytest.approx(0.01)
    loss = deserialize_keras_object(serialize_keras_object(losses.Huber(delta=2.0)))
    assert isinstance(loss, losses.Huber)
    fn = serialize_keras_object(hoarfrost.activations.relu)
    # Keras 3.15 writes every function so (its serialize_with_public_class of `function`).
    assert fn == {"module": "builtins", "class_name": "function", "config": "relu",
                  "registered_name": "function"}
    assert deserialize_keras_object(fn) is hoarfrost.activations.relu
    assert deserialize_keras_object({"module": "builtins", "class_name": "function",
                                     "config": "relu", "registered_name": None}) \
        is hoarfrost.activations.relu


def test_plain_values_lists_dicts_and_arrays():
    assert serialize_keras_object(["SGD", 1, None, {"a": 2.5}]) == ["SGD", 1, None, {"a": 2.5}]
    assert deserialize_keras_object("SGD") == "SGD"  # a name stays a name, as in Keras
    array = np.arange(6, dtype=np.float32).reshape(2, 3)
    config = serialize_keras_object(array)
    assert config["class_name"] == "__numpy__"
    back = deserialize_keras_object(config)
    assert back.dtype == np.float32 and np.array_equal(back, array)
    with pytest.raises(TypeError, match="lambda"):
        serialize_keras_object(lambda x: x)
    with pytest.raises(ValueError, match="lambda"):
        deserialize_keras_object({"class_name": "__lambda__", "config": {"value": "x"}})


def test_registered_function_and_unregistered_ones_by_custom_objects():
    @saving.register_keras_serializable(package="my_package")
    def mean_pred(y_true, y_pred):
        return y_pred.mean()

    def unregistered(y_true, y_pred):
        return y_pred

    config = serialize_keras_object(mean_pred)
    assert (config["config"], config["registered_name"]) == ("my_package>mean_pred", "function")
    assert deserialize_keras_object(config) is mean_pred
    plain = serialize_keras_object(unregistered)
    with pytest.raises(TypeError, match="Could not locate function 'unregistered'"):
        deserialize_keras_object(plain)
    assert deserialize_keras_object(plain, custom_objects={"unregistered": unregistered}) \
        is unregistered
    with saving.custom_object_scope({"unregistered": unregistered}):
        assert deserialize_keras_object(plain) is unregistered


@saving.register_keras_serializable(package="ComplexModels")
class Wrapper(layers.Layer):
    """The saving guide's nested layer: get_config serializes it, from_config rebuilds it."""

    def __init__(self, sublayer, **kwargs):
        super().__init__(**kwargs)
        self.sublayer = sublayer

    def call(self, x):
        return self.sublayer(x)

    def get_config(self):
        base_config = super().get_config()
        config = {"sublayer": saving.serialize_keras_object(self.sublayer)}
        return {**base_config, **config}

    @classmethod
    def from_config(cls, config):
        sublayer_config = config.pop("sublayer")
        sublayer = saving.deserialize_keras_object(sublayer_config)
        return cls(sublayer, **config)


@saving.register_keras_serializable(package="MyLayers", name="KernelMult")
class MyDense(layers.Layer):
    """The saving guide's layer whose get_config holds a layer object (nested_model)."""

    def __init__(self, units, *, kernel_regularizer=None, kernel_initializer=None,
                 nested_model=None, **kwargs):
        super().__init__(**kwargs)
        self.hidden_units = units
        self.kernel_regularizer = kernel_regularizer
        self.kernel_initializer = kernel_initializer
        self.nested_model = nested_model

    def get_config(self):
        config = super().get_config()
        config.update({"units": self.hidden_units,
                       "kernel_regularizer": self.kernel_regularizer,
                       "kernel_initializer": self.kernel_initializer,
                       "nested_model": self.nested_model})
        return config


def test_nested_layers_in_get_config():
    wrapped = Wrapper(layers.Dense(2, name="inner"), name="outer")
    config = layers.serialize(wrapped)
    assert config["registered_name"] == "ComplexModels>Wrapper"
    assert config["config"]["sublayer"]["class_name"] == "Dense"
    new = layers.deserialize(config)
    assert isinstance(new, Wrapper) and new.name == "outer"
    assert isinstance(new.sublayer, layers.Dense) and new.sublayer.name == "inner"
    layer = MyDense(units=16, kernel_regularizer="l1", kernel_initializer="ones")
    layer3 = MyDense(units=64, nested_model=layer)
    config = layers.serialize(layer3)
    assert config["registered_name"] == "MyLayers>KernelMult"
    assert config["config"]["nested_model"]["registered_name"] == "MyLayers>KernelMult"
    new_layer = layers.deserialize(config)
    assert isinstance(new_layer, MyDense) and new_layer.hidden_units == 64


def test_layers_deserialize_takes_custom_objects_and_keras_short_form():
    class CustomLayer(layers.Layer):
        def __init__(self, a, **kwargs):
            super().__init__(**kwargs)
            self.a = a

        def get_config(self):
            return {**super().get_config(), "a": self.a}

    config = layers.serialize(CustomLayer(5))
    with pytest.raises(TypeError, match="Could not locate class 'CustomLayer'"):
        layers.deserialize(config)
    new_layer = layers.deserialize(config, custom_objects={"CustomLayer": CustomLayer})
    assert isinstance(new_layer, CustomLayer) and new_layer.a == 5
    short = layers.deserialize({"class_name": "Dense", "config": {"units": 4}})
    assert isinstance(short, layers.Dense) and short.units == 4
    with pytest.raises(ValueError, match="not a `hoarfrost.layers.Layer`"):
        layers.deserialize(serialize_keras_object(optimizers.SGD()))


def test_a_scripts_own_objects_are_written_with_module_none_as_keras():
    """Keras writes `module: None` for a class defined in `__main__`; a function is
    `builtins`' `function`, by name."""

    class Scaled(layers.Layer):
        def call(self, x):
            return x

    def squared(x):
        return x ** 2

    Scaled.__module__ = squared.__module__ = "__main__"
    config = serialize_keras_object(Scaled(name="s"))
    assert config["module"] is None and config["class_name"] == "Scaled"
    assert serialize_keras_object(squared) == {"module": "builtins", "class_name": "function",
                                               "config": "squared",
                                               "registered_name": "function"}
    restored = deserialize_keras_object(config, custom_objects={"Scaled": Scaled})
    assert isinstance(restored, Scaled) and restored.name == "s"
