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


# --- custom objects: Keras's registration API ------------------------------------------------
from hoarfrost import saving  # noqa: E402
from hoarfrost.object_registration import get_registered_object  # noqa: E402


def test_registered_functions_and_classes_have_keras_names():
    @saving.register_keras_serializable(package="my_package", name="custom_fn")
    def custom_fn(x):
        return x ** 2

    @saving.register_keras_serializable(package="MyLayers")
    class Scale(Layer):
        pass

    assert saving.get_registered_name(custom_fn) == "my_package>custom_fn"
    assert saving.get_registered_name(Scale) == "MyLayers>Scale"
    assert saving.get_registered_object("my_package>custom_fn") is custom_fn
    assert saving.get_custom_objects()["MyLayers>Scale"] is Scale

    def plain(x):
        return x

    assert saving.get_registered_name(plain) == "plain"  # unregistered: its own name


def test_registering_a_name_again_replaces_it_as_in_keras():
    """A notebook cell run twice defines the class twice; Keras keeps the newer one."""
    first = saving.register_keras_serializable("Again")(type("Twice", (Layer,), {}))
    second = saving.register_keras_serializable("Again")(type("Twice", (Layer,), {}))
    assert saving.get_registered_object("Again>Twice") is second is not first


def test_a_class_without_get_config_is_refused():
    with pytest.raises(ValueError, match="does not have a get_config"):
        saving.register_keras_serializable()(type("NoConfig", (), {}))


def test_custom_object_scope_and_get_custom_objects():
    """Keras's lookup order: the scope, the global dict, then `custom_objects`; a scope
    ends with its block, and nested scopes restore the outer one."""
    def one(x):
        return x

    def two(x):
        return x

    assert get_registered_object("fn") is None
    with saving.custom_object_scope({"fn": one}) as scope:
        assert isinstance(scope, saving.CustomObjectScope)
        assert get_registered_object("fn", custom_objects={"fn": two}) is one
        with saving.CustomObjectScope({"fn": two}):
            assert get_registered_object("fn") is two
        assert get_registered_object("fn") is one
    assert get_registered_object("fn") is None
    assert "fn" not in saving.get_custom_objects()
    saving.get_custom_objects()["fn"] = two  # the live global dict, as in Keras
    try:
        assert get_registered_object("fn", custom_objects={"fn": one}) is two
    finally:
        del saving.get_custom_objects()["fn"]
