"""Freezing by name, glob and regex; per-variable learning-rate multipliers."""

import re

import numpy as np
import pytest

from hoarfrost import Input, Model, Sequential, layers, optimizers


def model_with_base():
    base = Sequential([layers.Dense(4, name="block1"), layers.Dense(4, name="block2")],
                      name="base")
    x = Input((3,))
    return Model(x, layers.Dense(1, name="head")(base(x))), base


def data():
    rng = np.random.default_rng(0)
    return rng.normal(size=(32, 3)).astype("float32"), rng.normal(size=(32, 1)).astype("float32")


def trained_paths(model):
    """Paths of the variables that one epoch of fit changed."""
    before = [w.numpy() for w in model.weights]
    model.fit(*data(), epochs=1, verbose=0)
    return sorted(w.path for w, old in zip(model.weights, before)
                  if not np.array_equal(old, w.numpy()))


def test_freeze_by_layer_name_glob_regex_and_variable():
    model, base = model_with_base()
    model.compile(optimizer="adam", loss="mse")
    model.freeze("block1")
    assert not model.get_layer("block1").trainable
    model.freeze("*/bias")
    model.freeze(re.compile(r"^head/kern"))
    assert [w.path for w in model.trainable_weights] == ["block2/kernel"]
    assert trained_paths(model) == ["block2/kernel"]
    model.unfreeze(model.get_layer("head").kernel)
    assert [w.path for w in model.trainable_weights] == ["block2/kernel", "head/kernel"]


def test_unfreeze_inside_a_frozen_base_trains_only_the_selection():
    model, base = model_with_base()
    model.compile(optimizer="adam", loss="mse")
    base.trainable = False
    assert trained_paths(model) == ["head/bias", "head/kernel"]
    model.unfreeze("block2/*")
    assert base.trainable and not model.get_layer("block1").trainable
    assert trained_paths(model) == ["block2/bias", "block2/kernel", "head/bias", "head/kernel"]


def test_freeze_to_and_unfreeze_from():
    model = Sequential([layers.Dense(4, input_dim=3), layers.Dense(4), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    model.freeze_to(2)
    assert [l.trainable for l in model.layers] == [False, False, True]
    model.trainable = False
    model.unfreeze_from(1)
    assert model.trainable and [l.trainable for l in model.layers] == [False, True, True]
    assert len(model.trainable_weights) == 4


def test_a_selector_that_matches_nothing_names_itself():
    model, _ = model_with_base()
    with pytest.raises(ValueError, match=r"'nothing/\*' matches no layer name"):
        model.freeze("nothing/*")


def test_lr_multipliers_are_the_rates_applied_and_change_without_recompiling():
    x, y = data()
    model = Sequential([layers.Dense(2, input_dim=3, name="low"), layers.Dense(1, name="high")])
    optimizer = optimizers.SGD(learning_rate=0.1)
    model.compile(optimizer=optimizer, loss="mse", lr_multipliers={"low/*": 0.5},
                  steps_per_execution=1)
    reference = Sequential([layers.Dense(2, input_dim=3), layers.Dense(1)])
    reference.compile(optimizer=optimizers.SGD(learning_rate=0.05), loss="mse")
    reference.set_weights(model.get_weights())
    assert optimizer.learning_rate_for(model.layers[0].kernel) == pytest.approx(0.05)
    assert optimizer.learning_rate_for(model.layers[1].kernel) == pytest.approx(0.1)
    before = model.get_weights()
    model.train_on_batch(x, y)
    reference.train_on_batch(x, y)
    low_delta = model.layers[0].kernel.numpy() - before[0]
    assert np.array_equal(low_delta, reference.layers[0].kernel.numpy() - before[0])
    traces = model.trace_counts["train"]
    optimizer.lr_multipliers["low/*"] = 0.0
    before = model.get_weights()
    model.train_on_batch(x, y)
    assert np.array_equal(model.layers[0].kernel.numpy(), before[0])
    assert not np.array_equal(model.layers[1].kernel.numpy(), before[2])
    assert model.trace_counts["train"] == traces


def test_reset_optimizer_state_by_selector():
    model, _ = model_with_base()
    model.compile(optimizer="adam", loss="mse")
    model.fit(*data(), epochs=1, verbose=0)
    model.reset_optimizer_state("block1")
    assert not model.optimizer.has_slots(model.get_layer("block1").kernel)
    assert model.optimizer.has_slots(model.get_layer("block2").kernel)


def test_a_glob_on_layer_names_selects_those_layers():
    """`freeze("block*")` sets the matched layers' flags (as a layer name does): their
    `trainable` reads False, summary agrees, and unfreezing by the glob sets them back."""
    model, base = model_with_base()
    model.freeze("block*")
    assert [layer.trainable for layer in base.layers] == [False, False]
    assert model.get_layer("head").trainable and base.trainable
    lines = []
    model.summary(print_fn=lines.append, show_trainable=True, expand_nested=True)
    assert [line.split("│")[4].strip() for line in lines if "block" in line] == ["N", "N"]
    assert [v.path for v in model.trainable_weights] == ["head/kernel", "head/bias"]
    model.unfreeze("block?")
    assert [layer.trainable for layer in base.layers] == [True, True]
