"""The regression, hinge and divergence losses and their metrics, against Keras's values."""

import json
from pathlib import Path

import numpy as np
import pytest

from hoarfrost import losses, metrics

DATA = np.load(Path(__file__).parents[1] / "layers" / "fixtures" / "losses_extra.npz")
LOSSES = json.loads(str(DATA["losses"]))
METRICS = json.loads(str(DATA["metrics"]))


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_loss_matches_keras(name):
    loss = getattr(losses, name)(**LOSSES[name])
    y_true, y_pred = DATA[f"loss_{name}_y_true"], DATA[f"loss_{name}_y_pred"]
    assert loss.name == str(DATA[f"loss_{name}_name"])
    np.testing.assert_allclose(np.asarray(loss(y_true, y_pred)), DATA[f"loss_{name}_value"],
                               rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(np.asarray(loss(y_true, y_pred, sample_weight=DATA["weights"])),
                               DATA[f"loss_{name}_weighted"], rtol=1e-5, atol=1e-6)
    clone = type(loss).from_config(loss.get_config())
    assert clone.get_config() == loss.get_config()
    assert type(losses.get(name)) is type(loss)


@pytest.mark.parametrize("name", sorted(METRICS))
def test_metric_matches_keras(name):
    metric = getattr(metrics, name)(**METRICS[name])
    y_true, y_pred = DATA[f"metric_{name}_y_true"], DATA[f"metric_{name}_y_pred"]
    metric.update_state(y_true[:3], y_pred[:3], sample_weight=DATA["weights"][:3])
    metric.update_state(y_true[3:], y_pred[3:])
    assert metric.name == str(DATA[f"metric_{name}_name"])
    np.testing.assert_allclose(float(metric.result()), DATA[f"metric_{name}_value"], rtol=1e-5,
                               atol=1e-6)
    assert type(metrics.get(name)) is type(metric)


@pytest.mark.parametrize("alias, cls", [("mape", losses.MeanAbsolutePercentageError),
                                        ("msle", losses.MeanSquaredLogarithmicError),
                                        ("kld", losses.KLDivergence), ("huber", losses.Huber),
                                        ("logcosh", losses.LogCosh)])
def test_string_names_resolve(alias, cls):
    assert type(losses.loss_object(alias)) is cls


def test_models_train_with_the_new_losses_and_metrics():
    from hoarfrost import Sequential, layers
    x = np.random.default_rng(0).random((32, 3)).astype("float32")
    y = x.sum(1, keepdims=True)
    model = Sequential([layers.Input((3,)), layers.Dense(1)])
    model.compile("adam", loss=losses.Huber(delta=0.5),
                  metrics=[metrics.RootMeanSquaredError(), "mape", "logcosh"])
    history = model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    assert {"loss", "root_mean_squared_error", "mape", "logcosh"} <= set(history.history)
    result = model.evaluate(x, y, verbose=0, return_dict=True)
    error = model.predict(x, verbose=0) - y
    np.testing.assert_allclose(result["root_mean_squared_error"], np.sqrt(np.mean(error ** 2)),
                               rtol=1e-4)
