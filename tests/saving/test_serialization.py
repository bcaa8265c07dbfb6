"""serialize_layer / deserialize_layer: a custom layer's get_config() as a Keras user writes it."""

import numpy as np

from hoarfrost import Input, Model, layers
from hoarfrost.saving.serialization import deserialize_layer, serialize_layer


class Wrapping(layers.Layer):
    """The saving guide's `CustomModel`: get_config() returns nested layers as objects."""

    def __init__(self, first_layer, second_layer=None, **kwargs):
        super().__init__(**kwargs)
        self.first_layer = first_layer
        self.second_layer = second_layer or layers.Dense(3)

    def get_config(self):
        return {**super().get_config(), "first_layer": self.first_layer,
                "second_layer": self.second_layer}

    @classmethod
    def from_config(cls, config):
        config["first_layer"] = layers.deserialize(config["first_layer"])
        config["second_layer"] = layers.deserialize(config["second_layer"])
        return cls(**config)

    def call(self, inputs):
        return self.first_layer(self.second_layer(inputs))


def test_nested_layer_objects_in_get_config_are_serialized_as_keras():
    layer = Wrapping(layers.Dense(2, name="inner"))
    config = serialize_layer(layer)
    inner = config["config"]["first_layer"]
    assert inner["class_name"] == "Dense" and inner["config"]["units"] == 2
    inputs = Input((4,))
    model = Model(inputs, layer(inputs))
    rebuilt = Model.from_config(model.get_config(), custom_objects={"Wrapping": Wrapping})
    assert rebuilt(np.ones((1, 4), "float32")).shape == (1, 2)
    again = deserialize_layer(config, {"Wrapping": Wrapping})
    assert again.first_layer.name == "inner" and again.second_layer.units == 3
