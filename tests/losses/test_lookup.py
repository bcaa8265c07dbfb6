"""`losses.get` returns what Keras 3's does (tools/keras_fixtures/lookup_get.py): a
function's name or alias gives the function, a class name an instance; `compile()`
still computes with a `Loss` (`loss_object`), and logs what Keras logs."""

import json
from pathlib import Path

import numpy as np
import pytest

import hoarfrost as keras
from hoarfrost import layers, losses

KERAS = json.loads((Path(__file__).parents[1] / "fixtures" / "keras_get.json").read_text())


def describe(obj) -> str:
    if callable(obj) and not hasattr(obj, "get_config"):
        return f"function {obj.__name__}"
    return f"instance {type(obj).__name__} {obj.name}"


@pytest.mark.parametrize("name", sorted(KERAS["losses"]))
def test_get_by_name_returns_what_keras_returns(name):
    assert describe(losses.get(name)) == KERAS["losses"][name]


def test_get_passes_objects_and_functions_through():
    loss = losses.BinaryCrossentropy(from_logits=True)
    assert losses.get(loss) is loss
    assert losses.get(None) is None

    def halved(y_true, y_pred):
        return 0.5 * losses.mean_squared_error(y_true, y_pred)

    assert losses.get(halved) is halved
    assert losses.get(losses.mean_squared_error) is losses.mean_squared_error
    assert type(losses.get(losses.Huber)) is losses.Huber
    config = losses.serialize(losses.Huber(delta=2.0))
    assert losses.get(config).get_config()["delta"] == 2.0


def test_get_beyond_keras_gives_the_same_kind():
    """Other cases and hoarfrost's aliases: a function stays a function."""
    assert losses.get("Mse") is losses.mean_squared_error
    assert losses.get("Mean_Squared_Error") is losses.mean_squared_error
    assert type(losses.get("meansquarederror")) is losses.MeanSquaredError
    with pytest.raises(ValueError, match="Unknown loss 'msee'"):
        losses.get("msee")


def test_loss_object_is_what_compile_computes_with():
    assert type(losses.loss_object("mse")) is losses.MeanSquaredError
    assert type(losses.loss_object(losses.mean_squared_error)) is losses.MeanSquaredError
    wrapped = losses.loss_object(lambda t, p: (t - p) ** 2)
    assert isinstance(wrapped, losses.LossFunctionWrapper)


@pytest.mark.parametrize("case", sorted(KERAS["logs"]))
def test_compile_by_names_logs_what_keras_logs(case):
    loss, *metrics = case.split("|")
    x = np.linspace(0, 1, 24, dtype="float32").reshape(8, 3)
    y = (x.sum(1, keepdims=True) > 1.5).astype("float32")
    model = keras.Sequential([keras.Input((3,)), layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="sgd", loss=loss, metrics=metrics)
    history = model.fit(x, y, epochs=1, verbose=0)
    assert sorted(history.history) == KERAS["logs"][case]["history"]
    assert list(model.evaluate(x, y, verbose=0, return_dict=True)) == \
        KERAS["logs"][case]["evaluate"]


@pytest.mark.parametrize("name", sorted(KERAS["on_lists"]))
def test_functions_take_python_lists(name):
    """What `losses.get("mse")` returns is called on lists in Keras code; binary_accuracy
    is element-wise, as Keras's."""
    y_true = [[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]]
    y_pred = [[0.1, 0.8, 0.1], [0.6, 0.3, 0.1]]
    module = keras.metrics if name.endswith("accuracy") else losses
    np.testing.assert_allclose(np.asarray(getattr(module, name)(y_true, y_pred)),
                               KERAS["on_lists"][name], rtol=1e-5, atol=1e-6)


def test_serialize_a_function_as_keras():
    record = losses.serialize(losses.get("mse"))
    assert record == KERAS["serialize_function"]
    assert losses.deserialize(record) is losses.mean_squared_error
    assert keras.metrics.serialize(keras.metrics.binary_accuracy)["config"] == "binary_accuracy"
