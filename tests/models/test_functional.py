"""Functional graphs: symbolic inputs and outputs of layers and models."""

import numpy as np
import pytest

import hoarfrost
from hoarfrost import layers


def test_feature_extractor_from_layer_outputs_shares_weights():
    """`Model(model.input, model.get_layer(name).output)`, the transfer-learning idiom, on a
    Sequential (also after add() rebuilt it) and on a functional model: the extractor
    computes the inner layer's output with the same variables."""
    seq = hoarfrost.Sequential([hoarfrost.Input((4,)), layers.Dense(3, name="a"),
                                layers.Dense(2, name="b")])
    seq.add(layers.Dense(5, name="c"))
    assert seq.output_shape == (None, 5) and seq.input.shape == (None, 4)
    x = np.arange(8, dtype="float32").reshape(2, 4)
    inp = hoarfrost.Input((4,))
    graph = hoarfrost.Model(inp, layers.Dense(2, name="d")(layers.Dense(3, name="e")(inp)))
    for model, name in ((seq, "a"), (graph, "e")):
        extractor = hoarfrost.Model(model.input, model.get_layer(name).output)
        layer = model.get_layer(name)
        assert extractor.get_layer(name) is layer
        assert extractor.count_params() == layer.count_params()
        np.testing.assert_array_equal(np.asarray(extractor(x)), np.asarray(layer(x)))
    assert graph.input is inp and graph.output.shape == (None, 2)
    with pytest.raises(ValueError, match='"unused".*never been called'):
        layers.Dense(1, name="unused").output


def test_inputs_one_rank_off_are_adapted_as_keras_does():
    """Keras's `_adjust_input_rank`: (n, 4, 4) for Input((4, 4, 1)) is expanded, (n, 3, 1)
    for Input((3,)) squeezed, (n,) for Input((1,)) expanded (Sequential too); any other
    shape still fails, naming the input."""
    images = hoarfrost.Input((4, 4, 1))
    flat = hoarfrost.Model(images, layers.Flatten()(images))
    x = np.arange(32, dtype="float32").reshape(2, 4, 4)
    np.testing.assert_array_equal(flat(x), flat(x[..., None]))
    vectors = hoarfrost.Input((3,))
    identity = hoarfrost.Model(vectors, layers.Identity()(vectors))
    np.testing.assert_array_equal(identity(np.ones((2, 3, 1), "float32")), np.ones((2, 3)))
    scalar = hoarfrost.Sequential([hoarfrost.Input((1,)), layers.Identity()])
    assert scalar(np.ones(5, "float32")).shape == (5, 1)
    with pytest.raises(ValueError, match=r"expected shape \(None, 3\).*\(2, 3, 2\)"):
        identity(np.ones((2, 3, 2), "float32"))


def _keras_block(name):
    """The residual / Inception-style blocks of tools/keras_fixtures/keras_files.py, built
    in hoarfrost with Keras's layer names."""
    if name == "residual":
        inp = hoarfrost.Input((4,), name="x")
        a = layers.Dense(4, activation="relu", name="a")(inp)
        a = layers.Dense(4, name="b")(a)
        shortcut = layers.Dense(4, name="shortcut")(inp)
        x = layers.Add(name="add")([shortcut, a])  # as ResNet: shortcut first
        return hoarfrost.Model(inp, layers.Dense(2, name="out")(x))
    inp = hoarfrost.Input((6, 6, 3), name="image")
    b1 = layers.Conv2D(2, 1, name="b1_1x1")(inp)
    b2 = layers.Conv2D(2, 1, name="b2_1x1")(inp)
    b2 = layers.Conv2D(2, 3, padding="same", name="b2_3x3")(b2)
    b3 = layers.Conv2D(2, 1, name="b3_1x1")(inp)
    b3 = layers.Conv2D(2, 3, padding="same", name="b3_3x3a")(b3)
    b3 = layers.Conv2D(2, 3, padding="same", name="b3_3x3b")(b3)
    b4 = layers.MaxPooling2D(3, strides=1, padding="same", name="b4_pool")(inp)
    b4 = layers.Conv2D(2, 1, name="b4_1x1")(b4)
    x = layers.Concatenate(name="mixed")([b1, b2, b3, b4])
    x = layers.GlobalAveragePooling2D(name="gap")(x)
    return hoarfrost.Model(inp, layers.Dense(3, name="out")(x))


@pytest.mark.parametrize("name", ["residual", "inception"])
def test_layers_and_weights_in_keras_order(name):
    """Branches of unequal depth: `layers`, `weights` and `get_weights()` come in Keras's
    order (by depth from the outputs), so Keras's `get_weights()` list sets the same
    model (equal shapes across branches would otherwise swap silently)."""
    import json
    from pathlib import Path
    record = np.load(Path(__file__).parents[1] / "saving" / "fixtures" / "jax_predictions.npz")
    model = _keras_block(name)
    assert [layer.name for layer in model.layers] == json.loads(str(record[f"{name}/layer_names"]))
    assert [w.path for w in model.weights] == json.loads(str(record[f"{name}/weight_paths"]))
    count = len(model.weights)
    model.set_weights([record[f"{name}/weight_{i}"] for i in range(count)])
    np.testing.assert_allclose(np.asarray(model(record[f"{name}/x"])), record[f"{name}/predict"],
                               rtol=1e-5, atol=1e-6)
    model.get_layer("out").trainable = False  # toggling never reorders
    assert [w.path for w in model.weights] == json.loads(str(record[f"{name}/weight_paths"]))
