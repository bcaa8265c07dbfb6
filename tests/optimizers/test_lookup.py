"""Names, configs and (de)serialization as Keras's: `get`, `serialize`, `deserialize`,
`get_config` / `from_config` (Keras's configs recorded in the optimizer fixture)."""

import json

import pytest

from hoarfrost import optimizers
from tests.optimizers.keras_fixture import CASES, FIXTURE, make_optimizer, meta

CLASSES = ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Nadam", "Adamax", "Adadelta", "Ftrl",
           "Lion", "Lamb", "Adafactor", "LossScaleOptimizer"]


def without_modules(config):
    """A config with the `module` entries dropped (Keras's say `keras.optimizers...`)."""
    if isinstance(config, dict):
        return {k: without_modules(v) for k, v in config.items() if k != "module"}
    return config


@pytest.mark.parametrize("name", CLASSES)
def test_defaults_and_argument_names_equal_keras(name):
    """Each class built with no arguments has Keras's config: same keys, same defaults."""
    keras = json.loads(str(FIXTURE[f"defaults/{name}"]))
    ours = (optimizers.LossScaleOptimizer(optimizers.SGD()) if name == "LossScaleOptimizer"
            else getattr(optimizers, name)())
    assert without_modules(ours.get_config()) == without_modules(keras)


@pytest.mark.parametrize("case", CASES)
def test_serialize_equals_keras_and_round_trips(case):
    spec = meta(case)
    optimizer = make_optimizer(spec["class_name"], spec["kwargs"], spec["extra"])
    config = optimizers.serialize(optimizer)
    assert without_modules(config) == without_modules(spec["config"])
    clone = optimizers.deserialize(config)
    assert type(clone) is type(optimizer) and clone.get_config() == optimizer.get_config()
    # A config Keras wrote loads too.
    assert optimizers.get(spec["config"]).get_config() == optimizer.get_config()


def test_get_resolves_names_in_any_case_classes_and_none():
    for name in CLASSES[:-1]:
        for spelling in (name, name.lower(), name.upper()):
            assert type(optimizers.get(spelling)) is getattr(optimizers, name)
    assert type(optimizers.get(optimizers.Lion)) is optimizers.Lion
    assert optimizers.get(None) is None
    adam = optimizers.Adam()
    assert optimizers.get(adam) is adam
    assert type(optimizers.deserialize({"class_name": "nadam", "config": {}})) is optimizers.Nadam
    with pytest.raises(ValueError, match="'adamm'.*Adafactor.*SGD"):
        optimizers.get("adamm")
    with pytest.raises(ValueError, match="Unknown optimizer 'Muon'"):
        optimizers.deserialize({"class_name": "Muon", "config": {}})


def test_custom_optimizers_serialize_when_registered():
    from hoarfrost.saving import register_keras_serializable

    class Plain(optimizers.SGD):
        pass

    assert optimizers.serialize(Plain()) is None  # could not be rebuilt

    @register_keras_serializable(package="Tests")
    class Mine(optimizers.SGD):
        pass

    config = optimizers.serialize(Mine(0.3))
    assert config["registered_name"] == "Tests>Mine"
    clone = optimizers.deserialize(config)
    assert type(clone) is Mine and float(clone.learning_rate) == pytest.approx(0.3)
