"""hoarfrost.activations: every Keras activation's values (fixture), names and configs."""

import json
from pathlib import Path

import jax
import numpy as np
import pytest

import hoarfrost
from hoarfrost import activations

FIXTURE = np.load(Path(__file__).parent / "fixtures" / "keras_activations.npz")
CASES = [k.split("|") for k in FIXTURE.files if "|" in k]


def test_values_equal_keras_for_every_activation_and_argument():
    assert len(CASES) >= 40

    @jax.jit  # one compilation for all (eagerly, each op would compile on its own)
    def outputs(x):
        return [getattr(activations, name)(x, **json.loads(kwargs)) for name, kwargs in CASES]

    for (name, kwargs), got in zip(CASES, outputs(FIXTURE["x"])):
        np.testing.assert_allclose(got, FIXTURE[f"{name}|{kwargs}"], rtol=1e-6, atol=1e-7,
                                   err_msg=f"{name}({kwargs})")


def test_names_configs_and_lookup_as_keras():
    keras_names = json.loads(str(FIXTURE["serialize"]))
    for name, config in keras_names.items():
        fn = activations.get(name)
        assert fn is getattr(activations, name)
        assert activations.serialize(fn) == config, name
        assert activations.deserialize(config) is activations.get(config)
    assert activations.serialize(activations.swish) == "silu"
    assert activations.serialize(activations.hard_swish) == "hard_silu"
    assert activations.get(None) is activations.linear
    assert activations.get("ReLU") is activations.relu
    with pytest.raises(ValueError, match="nope"):
        activations.get("nope")
    with pytest.raises(ValueError, match="Could not interpret"):
        activations.get(3)
    # Lists and Variables work as arrays, as Keras's convert_to_tensor allows.
    np.testing.assert_array_equal(activations.relu([-10.0, 5.0, 10.0], max_value=5.0),
                                  [0.0, 5.0, 5.0])


def test_registered_and_string_activations_in_layers_round_trip():
    @hoarfrost.saving.register_keras_serializable(package="test_activations")
    def cube(x):
        return x ** 3

    assert activations.serialize(cube) == {"module": "builtins", "class_name": "function",
                                           "config": "test_activations>cube",
                                           "registered_name": "function"}  # Keras 3.15's
    assert activations.get(activations.serialize(cube)) is cube
    layer = hoarfrost.layers.Dense(2, activation="hard_silu")
    x = np.linspace(-4, 4, 6, dtype="float32").reshape(2, 3)
    layer(x)
    kernel, bias = layer.get_weights()
    np.testing.assert_allclose(layer(x), activations.hard_silu(x @ kernel + bias), rtol=1e-6)
    config = layer.get_config()
    assert config["activation"] == "hard_silu"
    assert hoarfrost.layers.Dense.from_config(config).activation is activations.hard_silu
    assert hoarfrost.layers.Activation("mish").activation is activations.mish


def test_a_plain_function_activation_saves_by_name_and_loads_with_custom_objects(tmp_path):
    """As Keras 3: `activation=my_fn` (unregistered) is saved by name; loading needs it in
    custom_objects (or a custom_object_scope) and says so without; clone_model finds it."""

    def doubled(x):
        return 2.0 * x

    model = hoarfrost.Sequential([hoarfrost.Input((3,)),
                                  hoarfrost.layers.Dense(2, activation=doubled)])
    assert model.layers[0].get_config()["activation"] == {
        "module": "builtins", "class_name": "function", "config": "doubled",
        "registered_name": "function"}
    path = tmp_path / "m.keras"
    model.save(path)
    with pytest.raises(ValueError, match="doubled"):
        hoarfrost.saving.load_model(path)
    x = np.ones((1, 3), "float32")
    loaded = hoarfrost.saving.load_model(path, custom_objects={"doubled": doubled})
    assert loaded.layers[0].activation is doubled
    np.testing.assert_allclose(loaded(x), model(x), rtol=1e-6)
    with hoarfrost.saving.custom_object_scope({"doubled": doubled}):
        assert hoarfrost.saving.load_model(path).layers[0].activation is doubled
    assert hoarfrost.models.clone_model(model).layers[0].activation is doubled
