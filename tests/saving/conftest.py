"""A small trained model saved once, for the tests that take saved files apart: in the
Keras layout `model.save()` writes, and in hoarfrost's first format, which still loads."""

import numpy as np
import pytest

from hoarfrost import Input, Model, layers, ops
from tests.saving.crafting import write_v1


@pytest.fixture(scope="session")
def trained_model():
    """`(model, x)`: a functional model with a graph op, Adam slots after one step."""
    inputs = Input((3,))
    hidden = layers.Dense(4, name="hidden")(inputs)
    outputs = layers.Dense(2, name="head")(ops.mean(hidden, axis=1, keepdims=True) * hidden)
    model = Model(inputs, outputs)
    model.compile("adam", "mse")
    x = np.arange(12, dtype="float32").reshape(4, 3) / 10
    model.train_on_batch(x, np.ones((4, 2), "float32"))
    return model, x


@pytest.fixture(scope="session")
def saved_model(trained_model, tmp_path_factory):
    """`(path, x, predictions)`: the model saved by `model.save()` (Keras's layout with
    hoarfrost's extras)."""
    model, x = trained_model
    path = tmp_path_factory.mktemp("saved") / "model.keras"
    model.save(path)
    return path, x, np.asarray(model(x))


@pytest.fixture(scope="session")
def saved_v1(trained_model, tmp_path_factory):
    """`(path, x, predictions)`: the same model as a format-1 file."""
    model, x = trained_model
    path = write_v1(model, tmp_path_factory.mktemp("saved") / "v1.keras")
    return path, x, np.asarray(model(x))
