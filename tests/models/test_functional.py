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


# --- Model subclasses built functionally; Model.from_config ------------------------------------
class _Doubling(hoarfrost.Model):
    """The guides' idiom: a Model subclass with methods of its own, built as
    `_Doubling(inputs, outputs)`."""

    def doubled(self, x):
        return 2 * np.asarray(self(x))


def _graph():
    inputs = hoarfrost.Input((3,))
    return inputs, layers.Dense(2, name="head")(layers.Dense(4, name="body")(inputs))


def test_model_subclass_built_functionally_keeps_its_methods_and_graph():
    """As Keras: `MyModel(inputs, outputs)` is a functional model (its layers, weights,
    config, training) and still a MyModel with MyModel's methods; before, the inputs and
    outputs were dropped and the model had no layers."""
    inputs, outputs = _graph()
    model = _Doubling(inputs, outputs, name="doubling")
    assert isinstance(model, _Doubling) and isinstance(model, hoarfrost.models.Functional)
    assert [layer.name for layer in model.layers][1:] == ["body", "head"]
    assert model.name == "doubling" and model.count_params() == 3 * 4 + 4 + 4 * 2 + 2
    x = np.ones((2, 3), np.float32)
    np.testing.assert_array_equal(model.doubled(x), 2 * np.asarray(model(x)))
    again = _Doubling.from_config(model.get_config())
    assert type(again) is _Doubling and [layer.name for layer in again.layers][1:] == [
        "body", "head"]
    plain = hoarfrost.Model.from_config(model.get_config())
    assert type(plain) is hoarfrost.models.Functional
    with pytest.raises(TypeError, match="takes \\(inputs, outputs\\)"):
        hoarfrost.Model(inputs)


def test_model_from_config_takes_custom_objects():
    class Scale(layers.Layer):
        def call(self, x):
            return 2 * x

    inputs = hoarfrost.Input((3,))
    model = hoarfrost.Model(inputs, Scale(name="scale")(inputs))
    config = model.get_config()
    with pytest.raises(ValueError, match="Unknown layer class 'Scale'"):
        hoarfrost.Model.from_config(config)
    rebuilt = hoarfrost.Model.from_config(config, custom_objects={"Scale": Scale})
    assert isinstance(rebuilt.get_layer("scale"), Scale)
    with hoarfrost.saving.custom_object_scope({"Scale": Scale}):
        assert isinstance(hoarfrost.Model.from_config(config).get_layer("scale"), Scale)


# --- several tensor arguments in one functional call ----------------------------------------
class _Endpoint(layers.Layer):
    """The functional API guide's endpoint layer: targets and logits in, a loss added."""

    def call(self, targets, logits, sample_weights=None):
        error = hoarfrost.ops.square(targets - logits)
        if sample_weights is not None:
            error = error * sample_weights
        self.add_loss(hoarfrost.ops.mean(error))
        return hoarfrost.ops.sigmoid(logits)


def test_several_tensor_arguments_and_keyword_tensors_in_a_functional_call():
    """`Endpoint()(targets, logits)` and `sample_weights=` a symbolic tensor: the graph
    replays both (before, any tensor past the first argument raised), and the config
    rebuilds them."""
    inputs = hoarfrost.Input((3,), name="inputs")
    targets = hoarfrost.Input((2,), name="targets")
    weights = hoarfrost.Input((1,), name="weights")
    logits = layers.Dense(2, name="logits")(inputs)
    predictions = _Endpoint(name="predictions")(targets, logits, sample_weights=weights)
    model = hoarfrost.Model([inputs, targets, weights], predictions)
    assert predictions.shape == (None, 2)
    assert {layer.name for layer in model.layers} == {"inputs", "targets", "weights", "logits",
                                                      "predictions"}
    rng = np.random.default_rng(0)
    data = [rng.random((4, 3), np.float32), rng.random((4, 2), np.float32),
            rng.random((4, 1), np.float32)]
    out = np.asarray(model(data))
    kernel, bias = model.get_layer("logits").get_weights()
    np.testing.assert_allclose(out, 1 / (1 + np.exp(-(data[0] @ kernel + bias))), rtol=1e-6)
    rebuilt = hoarfrost.Model.from_config(model.get_config(),
                                          custom_objects={"_Endpoint": _Endpoint})
    rebuilt.set_weights(model.get_weights())
    np.testing.assert_allclose(np.asarray(rebuilt(data)), out, rtol=1e-6)
    loss_scope = model.get_layer("predictions")
    assert isinstance(loss_scope, _Endpoint)


def test_graph_operations_are_not_layers(tmp_path):
    """`x * 0.5 + ops.tanh(x)` on symbolic tensors records operations that Keras's
    `model.layers` does not list; summary, saving and cloning still carry them."""
    inputs = hoarfrost.Input((3,))
    h = layers.Dense(4, name="hidden")(inputs)
    h = h * 0.5 + hoarfrost.ops.tanh(h)
    model = hoarfrost.Model(inputs, layers.Dense(1, name="head")(h))
    assert [layer.name for layer in model.layers] == ["input_layer", "hidden", "head"]
    assert model.layers[-2].name == "hidden"
    lines = []
    model.summary(print_fn=lines.append)
    assert any("tanh" in line for line in lines)
    x = np.random.default_rng(0).normal(size=(2, 3)).astype("float32")
    model.save(tmp_path / "ops.keras")
    loaded = hoarfrost.models.load_model(tmp_path / "ops.keras")
    np.testing.assert_allclose(np.asarray(loaded(x)), np.asarray(model(x)), rtol=1e-6)
    assert len(loaded.layers) == 3
    clone = hoarfrost.models.clone_model(model)
    clone.set_weights(model.get_weights())
    np.testing.assert_allclose(np.asarray(clone(x)), np.asarray(model(x)), rtol=1e-6)
