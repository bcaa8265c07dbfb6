"""The registry `load_model` rebuilds classes from: built-ins register themselves."""

import pytest

from hoarfrost import layers, models
from hoarfrost.layers import Layer
from hoarfrost.object_registration import builtin_class, register_builtin


def test_every_exported_layer_is_found_by_its_exported_name():
    """Keras's aliases (`MaxPool2D`) included, so a config may use either name."""
    for name in layers.__all__:
        obj = getattr(layers, name)
        if isinstance(obj, type) and issubclass(obj, Layer):
            assert builtin_class(name) is obj, name


def test_models_and_keras_model_name():
    assert builtin_class("Sequential") is models.Sequential
    assert builtin_class("Functional") is models.Functional
    assert builtin_class("Model") is models.Functional  # Keras writes functional models so


def test_classes_outside_hoarfrost_are_not_builtins():
    class Scale(Layer):
        pass

    assert builtin_class("Scale") is None


def test_two_builtins_of_one_name_are_refused():
    twin = type("Dense", (), {"__module__": "hoarfrost.elsewhere"})
    with pytest.raises(ValueError, match="Two built-in classes are named Dense"):
        register_builtin(twin)
    assert builtin_class("Dense") is layers.Dense
