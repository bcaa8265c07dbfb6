"""`keras.optimizers.legacy.*`: the names exist and constructing one raises, as in Keras 3."""

import pytest

import hoarfrost as keras


@pytest.mark.parametrize("name", ["Adagrad", "Adam", "Ftrl", "Optimizer", "RMSprop", "SGD"])
def test_legacy_optimizers_raise_naming_the_replacement(name):
    with pytest.raises(ImportError, match=f"legacy.{name}` is not supported in Keras 3.*"
                                          f"hoarfrost.optimizers.{name}`"):
        getattr(keras.optimizers.legacy, name)(learning_rate=0.01)
