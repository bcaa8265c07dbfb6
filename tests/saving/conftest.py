"""A small trained model saved once, for the tests that take saved files apart."""

import numpy as np
import pytest

from hoarfrost import Input, Model, layers, ops


@pytest.fixture(scope="session")
def saved_model(tmp_path_factory):
    """`(path, x, predictions)`: a functional model with a graph op, Adam slots after
    one step, saved to a `.keras` file."""
    inputs = Input((3,))
    hidden = layers.Dense(4, name="hidden")(inputs)
    outputs = layers.Dense(2, name="head")(ops.mean(hidden, axis=1, keepdims=True) * hidden)
    model = Model(inputs, outputs)
    model.compile("adam", "mse")
    x = np.arange(12, dtype="float32").reshape(4, 3) / 10
    model.train_on_batch(x, np.ones((4, 2), "float32"))
    path = tmp_path_factory.mktemp("saved") / "model.keras"
    model.save(path)
    return path, x, np.asarray(model(x))
