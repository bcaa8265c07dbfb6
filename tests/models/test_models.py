import numpy as np
import pytest

from hoarfrost import Input, Model, Sequential, backend, layers, optimizers


def test_sequential_built_from_input_shape_excludes_input_layer():
    model = Sequential([layers.Flatten(input_shape=(28, 28)), layers.Dense(10)])
    assert model.built
    assert [type(l).__name__ for l in model.layers] == ["Flatten", "Dense"]
    assert model.count_params() == 7850


def test_sequential_add_and_input_first():
    model = Sequential()
    model.add(Input(shape=(4,)))
    model.add(layers.Dense(3))
    model.add(layers.Dense(2))
    assert model.built and model.count_params() == 15 + 8
    popped = model.pop()
    assert isinstance(popped, layers.Dense) and model.count_params() == 15


def test_sequential_builds_on_first_call():
    model = Sequential([layers.Dense(3), layers.Dense(1)])
    assert not model.built
    out = model(np.ones((2, 5), np.float32))
    assert out.shape == (2, 1) and model.count_params() == 18 + 4


def test_sequential_builds_on_first_fit():
    model = Sequential([layers.Dense(3), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(np.ones((8, 5)), np.ones((8, 1)), verbose=0)
    assert model.count_params() == 22


def test_functional_layers_start_with_input_layer():
    x = Input((3,), name="features")
    model = Model(x, layers.Dense(1)(layers.Dense(4)(x)))
    assert [type(l).__name__ for l in model.layers] == ["InputLayer", "Dense", "Dense"]
    assert model.layers[0].name == "features"
    assert model.input_shape == (None, 3) and model.output_shape == (None, 1)


def test_functional_multiple_inputs_and_shared_layer():
    a, b = Input((3,), name="a"), Input((3,), name="b")
    shared = layers.Dense(2, name="shared")
    model = Model([a, b], _add_model_output(shared, a, b))
    names = [l.name for l in model.layers]
    assert names.count("shared") == 1
    assert model.count_params() == 8 + 3
    xa = np.ones((2, 3), np.float32)
    xb = np.zeros((2, 3), np.float32)
    out = model.predict([xa, xb], verbose=0)
    assert out.shape == (2, 1)
    out_dict = model.predict({"a": xa, "b": xb}, verbose=0)
    assert np.array_equal(out, out_dict)


class Sum(layers.Layer):
    def call(self, inputs):
        return inputs[0] + inputs[1]


def _add_model_output(shared, a, b):
    return layers.Dense(1)(Sum()([shared(a), shared(b)]))


def test_model_nests_as_a_layer_and_get_layer_finds_nested_names():
    inner = Sequential([layers.Dense(4, input_dim=3, name="inner_dense")], name="inner")
    x = Input((3,))
    outer = Model(x, layers.Dense(1, name="head")(inner(x)))
    assert outer.get_layer("inner") is inner
    assert outer.get_layer("inner_dense") is inner.layers[0]
    assert outer.get_layer(index=-1).name == "head"
    with pytest.raises(ValueError, match="No such layer: 'nope'"):
        outer.get_layer("nope")
    assert [w.name for w in outer.weights] == [
        "inner_dense/kernel", "inner_dense/bias", "head/kernel", "head/bias"]


def test_subclassed_model_trains():
    class TwoLayer(Model):
        def __init__(self):
            super().__init__(name="two_layer")
            self.hidden = layers.Dense(8, activation="relu")
            self.out = layers.Dense(1)

        def call(self, inputs):
            return self.out(self.hidden(inputs))

    model = TwoLayer()
    model.compile(optimizer=optimizers.Adam(0.02), loss="mse")
    x = np.random.default_rng(0).normal(size=(64, 2)).astype("float32")
    y = x[:, :1] - x[:, 1:]
    history = model.fit(x, y, epochs=30, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0] / 2
    assert [l.name for l in model.layers] == ["dense", "dense_1"]
    model.hidden.trainable = False
    assert len(model.trainable_weights) == 2


def test_eager_call_runs_layers_for_debugging():
    model = Sequential([layers.Dense(2, input_dim=3)])
    x = np.ones((4, 3), np.float32)
    expected = x @ model.layers[0].kernel.numpy() + model.layers[0].bias.numpy()
    np.testing.assert_allclose(np.asarray(model(x)), expected, rtol=1e-6)
    assert np.array_equal(model.predict(x, verbose=0), np.asarray(model(x)))


def test_functional_names_follow_keras_after_sequential_builds():
    """Keras's Sequential builds a Functional inside at each build (construction with an
    Input, each add() after it, a first call), which takes a "functional" name."""
    backend.clear_session()
    seq = Sequential()
    seq.add(Input((4,)))
    seq.add(layers.Dense(3))  # build: functional
    seq.add(layers.Dense(2))  # rebuild: functional_1
    inputs = Input((4,))
    assert Model(inputs, layers.Dense(1)(inputs)).name == "functional_2"
    later = Sequential([layers.Dense(2)])
    later(np.zeros((1, 3), "float32"))  # built by its first call: functional_3
    inputs = Input((4,))
    assert Model(inputs, layers.Dense(1)(inputs)).name == "functional_4"
    backend.clear_session()


def test_subclassed_model_whose_call_has_no_training_argument_fits():
    """fit/evaluate/predict call `call(data)` without training= when it does not take it
    (Keras's `_call_has_training_arg`), and training still moves the weights."""
    class NoTraining(Model):
        def __init__(self):
            super().__init__()
            self.dense = layers.Dense(2)

        def call(self, data):
            return self.dense(data)

    x, y = np.ones((8, 3), "float32"), np.zeros((8, 2), "float32")
    model = NoTraining()
    model.compile(optimizer="sgd", loss="mse")
    history = model.fit(x, y, batch_size=4, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2
    assert history.history["loss"][1] < history.history["loss"][0]
    assert np.isfinite(model.evaluate(x, y, verbose=0))
    assert model.predict(x, verbose=0).shape == (8, 2)
