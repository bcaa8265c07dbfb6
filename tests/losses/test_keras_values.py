"""The focal, generalized, overlap (Dice, Tversky), Circle and CTC losses against the values
Keras 3.15 computed (tools/keras_fixtures/losses_extra.py): each class, unweighted and
weighted, its function, its config; lookup by name and config."""

import json
from pathlib import Path

import numpy as np
import pytest

from hoarfrost import Sequential, layers, losses, metrics

DATA = np.load(Path(__file__).parents[1] / "layers" / "fixtures" / "losses_extra.npz")
CASES = json.loads(str(DATA["cases"]))


@pytest.mark.parametrize("case", sorted(CASES))
def test_loss_matches_keras(case):
    class_name, kwargs, weighted = CASES[case]
    loss = getattr(losses, class_name)(**kwargs)
    y_true, y_pred = DATA[f"case_{case}_y_true"], DATA[f"case_{case}_y_pred"]
    np.testing.assert_allclose(np.asarray(loss(y_true, y_pred)), DATA[f"case_{case}_value"],
                               rtol=2e-5, atol=1e-6)
    if weighted:
        np.testing.assert_allclose(
            np.asarray(loss(y_true, y_pred, sample_weight=DATA[f"case_{case}_weights"])),
            DATA[f"case_{case}_weighted"], rtol=2e-5, atol=1e-6)
    function = getattr(losses, loss.fn.__name__)
    np.testing.assert_allclose(np.asarray(function(y_true, y_pred, **kwargs)),
                               DATA[f"case_{case}_function"], rtol=2e-5, atol=1e-6)
    config = json.loads(str(DATA[f"case_{case}_config"]))
    assert loss.get_config() == config
    assert type(losses.get(losses.serialize(loss))) is type(loss)
    assert type(losses.deserialize(losses.serialize(loss))) is type(loss)
    assert type(losses.loss_object(config["name"])) is type(loss)


def test_functions_are_keras_names_in_both_namespaces():
    assert metrics.binary_focal_crossentropy is losses.binary_focal_crossentropy
    assert metrics.categorical_focal_crossentropy is losses.categorical_focal_crossentropy
    assert losses.deserialize("dice") is losses.dice
    assert type(losses.deserialize({"class_name": "Tversky", "config": {"alpha": 0.2}})) is \
        losses.Tversky


def test_bad_arguments_and_targets_raise_naming_them():
    with pytest.raises(ValueError, match="q must be in the interval"):
        losses.CategoricalGeneralizedCrossEntropy(q=1.5)
    with pytest.raises(ValueError, match="y_true.shape"):
        losses.ctc(np.zeros((2, 3, 1)), np.zeros((2, 4, 5)))
    with pytest.raises(ValueError, match="Loss 'ctc' expects integer labels"):
        losses.CTC().validate((4, 3, 2), "int32", (None, 6, 5))
    with pytest.raises(ValueError, match="Loss 'circle' expects integer labels"):
        losses.Circle().validate((8, 5), "int32", (None, 5))
    losses.CategoricalGeneralizedCrossEntropy().validate((8,), "int32", (None, 3))


def test_models_train_with_the_new_losses():
    """Compiled and trained: Keras's label shapes pass the target checks, loss falls."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 6)).astype("float32")
    labels = (x[:, 0] > 0).astype("int32") + (x[:, 1] > 0)
    model = Sequential([layers.Input((6,)), layers.Dense(3, activation="softmax")])
    model.compile("adam", losses.CategoricalGeneralizedCrossEntropy(q=0.5),
                  metrics=[metrics.SparseCategoricalAccuracy()])
    history = model.fit(x, labels, epochs=2, batch_size=8, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    embed = Sequential([layers.Input((6,)), layers.Dense(4), layers.UnitNormalization()])
    embed.compile("adam", losses.Circle(gamma=10.0))
    history = embed.fit(x, labels, epochs=1, batch_size=16, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
