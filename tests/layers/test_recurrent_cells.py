"""`RNN` with the built-in cells, `StackedRNNCells` and custom cells; `stateful=True`
with `reset_states`; `unroll`: Keras's outputs, and the trainability contract for the
stored states."""

import json

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from hoarfrost import Input, Model, Sequential, layers
from hoarfrost.layers import (GRU, LSTM, RNN, Bidirectional, GRUCell, Layer, LSTMCell,
                              SimpleRNN, SimpleRNNCell, StackedRNNCells)
from hoarfrost.saving import load_model
from hoarfrost.saving.serialization import register_keras_serializable

from tests.layers.fixture_checks import config_keys_match
from tests.layers.harness import FIXTURES, run_layer_test

X = np.random.default_rng(1).normal(size=(3, 5, 4)).astype("float32")


@register_keras_serializable(package="tests")
class ScaledCell(Layer):
    """The custom cell of tools/keras_fixtures/rnn_cells.py: output 2 * tanh(h), two states."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.state_size = [units, units]
        self.output_size = units

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), name="kernel")
        self.recurrent_kernel = self.add_weight(shape=(self.units, self.units),
                                                name="recurrent_kernel")

    def call(self, inputs, states):
        h, total = states
        h = jnp.tanh(inputs @ self.kernel.value + h @ self.recurrent_kernel.value)
        return 2.0 * h, [h, total + h]

    def get_config(self):
        return {**super().get_config(), "units": self.units}


def _cell(spec):
    cls = ScaledCell if spec["class_name"] == "ScaledCell" else getattr(layers, spec["class_name"])
    return cls(**spec["config"])


def _build(spec):
    if spec["layer"] == "RNN":
        cells = spec["cell"]
        return RNN([_cell(c) for c in cells] if isinstance(cells, list) else _cell(cells),
                   **spec["kwargs"])
    return getattr(layers, spec["layer"])(**spec["kwargs"])


FIXTURE_NAMES = sorted(p.stem for p in FIXTURES.glob("rnncell_*.npz"))


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_matches_keras(name):
    with np.load(FIXTURES / f"{name}.npz") as f:
        data = {k: f[k] for k in f.files}
    spec = json.loads(str(data["spec"]))
    layer = _build(spec)
    x = data["input_0"]
    stateful = spec["kwargs"].get("stateful", False)
    if stateful:
        layer.build(x.shape)
    else:
        layer(x)
    weights = [data[f"weight_{i}"] for i in range(int(data["num_weights"]))]
    assert [w.shape for w in layer.weights] == [w.shape for w in weights], (
        [w.path for w in layer.weights], json.loads(str(data["weight_paths"])))
    layer.set_weights(weights)
    kwargs = {"mask": data["mask"]} if "mask" in data else {}
    calls = [lambda: layer(x, **kwargs)]
    if stateful:
        calls = [calls[0], calls[0], lambda: [v.value for v in layer._hidden_state_variables]]
        if int(data["num_calls"]) == 4:
            calls += [lambda: (layer.reset_states(), layer(x, **kwargs))[1]]
    assert len(calls) == int(data["num_calls"])
    for i, call in enumerate(calls):
        outs = [np.asarray(o) for o in jax.tree.leaves(call())]
        assert len(outs) == int(data[f"call_{i}_count"])
        for j, out in enumerate(outs):
            np.testing.assert_allclose(out, data[f"call_{i}_{j}"], rtol=1e-5, atol=1e-5,
                                       err_msg=f"{name}: call {i}, output {j}")
    config_keys_match(layer, json.loads(str(data["config_keys"])))


@pytest.mark.parametrize("fused, cell", [(SimpleRNN, SimpleRNNCell), (LSTM, LSTMCell),
                                         (GRU, GRUCell)])
def test_cell_layers_equal_the_fused_layers_and_one_step_by_hand(fused, cell):
    layer, rnn = fused(3, return_sequences=True, return_state=True), RNN(
        cell(3), return_sequences=True, return_state=True)
    layer(X), rnn(X)
    rnn.set_weights(layer.get_weights())
    assert [w.path.split("/")[-1] for w in rnn.weights] == [
        w.path.split("/")[-1] for w in layer.weights]
    for a, b in zip(layer(X), rnn(X)):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    states = rnn.cell.get_initial_state(batch_size=3)
    output, new_states = rnn.cell(X[:, 0], states)
    np.testing.assert_allclose(np.asarray(output), np.asarray(layer(X[:, :1])[0])[:, 0],
                               rtol=1e-6, atol=1e-6)
    assert len(new_states) == len(states)


def test_rnn_harness_counts_and_names():
    layer = run_layer_test(RNN, {"cell": LSTMCell(2)}, (2, 5, 3), (2, 2), 3 * 8 + 2 * 8 + 8)
    assert layer.cell.name.startswith("lstm_cell")
    stacked = RNN([SimpleRNNCell(2), GRUCell(3)], return_sequences=True)
    stacked(X)
    assert isinstance(stacked.cell, StackedRNNCells)
    assert [w.path.split("/")[-1] for w in stacked.weights] == ["kernel", "recurrent_kernel",
                                                                "bias"] * 2


def test_custom_cell_trains_saves_and_loads(tmp_path):
    inputs = Input((5, 4))
    outputs = layers.Dense(1)(RNN(ScaledCell(3))(inputs))
    model = Model(inputs, outputs)
    model.compile("adam", "mse")
    y = X.sum(axis=(1, 2))[:, None]
    loss = model.fit(X, y, epochs=4, verbose=0).history["loss"]
    assert loss[-1] < loss[0]
    model.save(tmp_path / "m.keras")
    loaded = load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(loaded.predict(X, verbose=0), model.predict(X, verbose=0),
                               rtol=1e-6)


def test_cells_get_training_and_dropout_masks_per_sequence():
    rnn = RNN(LSTMCell(3, dropout=0.5, recurrent_dropout=0.5, seed=1), return_sequences=True)
    plain = RNN(LSTMCell(3), return_sequences=True)
    rnn(X), plain(X)
    plain.set_weights(rnn.get_weights())
    np.testing.assert_array_equal(np.asarray(rnn(X)), np.asarray(plain(X)))
    assert not np.allclose(np.asarray(rnn(X, training=True)), np.asarray(plain(X)))
    seen = []

    class Probe(SimpleRNNCell):
        def call(self, inputs, states, training=False):
            seen.append(training)
            return super().call(inputs, states, training=training)

    RNN([Probe(2)])(X, training=True)
    assert seen and all(t is True for t in seen)


def test_bidirectional_and_config_round_trip():
    layer = Bidirectional(RNN(GRUCell(2), return_sequences=True))
    assert layer(X).shape == (3, 5, 4)
    config = json.loads(json.dumps(RNN([SimpleRNNCell(2), LSTMCell(3)]).get_config()))
    clone = RNN.from_config(config)
    assert [type(c).__name__ for c in clone.cell.cells] == ["SimpleRNNCell", "LSTMCell"]


# --- stateful=True ---------------------------------------------------------------------------
def _stateful_model(trainable=True):
    model = Sequential([Input((5, 4), batch_size=3), LSTM(2, stateful=True), layers.Dense(1)])
    model.layers[0].trainable = trainable
    model.compile("sgd", "mse")
    return model


def test_stateful_states_are_state_not_weights_and_carry_through_fit():
    model = _stateful_model()
    lstm = model.layers[0]
    assert [v.path for v in lstm.states] == [f"{lstm.name}/rnn_state", f"{lstm.name}/rnn_state_1"]
    assert len(lstm.weights) == 3 and model.count_params() == 4 * 8 + 2 * 8 + 8 + 3
    assert all(not v.trainable for v in lstm.states)
    x = np.concatenate([X, X])
    model.fit(x, np.zeros((6, 1), "float32"), batch_size=3, epochs=1, shuffle=False, verbose=0)
    after_fit = [v.numpy() for v in lstm.states]
    assert all(np.abs(s).sum() > 0 for s in after_fit)
    # They are the final states of the last batch (sample i continues sample i).
    model.predict(X, batch_size=3, verbose=0)  # predict leaves them alone (as Keras on JAX)
    assert all(np.array_equal(a, v.numpy()) for a, v in zip(after_fit, lstm.states))
    lstm.reset_states()
    assert all(not v.numpy().any() for v in lstm.states)


def test_frozen_stateful_layer_keeps_its_states_bit_identical():
    model = _stateful_model(trainable=False)
    lstm = model.layers[0]
    lstm.reset_states([np.full((3, 2), 0.5, "float32"), np.full((3, 2), -0.5, "float32")])
    before = [v.numpy() for v in lstm.states] + [w.numpy() for w in lstm.weights]
    model.fit(X, np.zeros((3, 1), "float32"), batch_size=3, epochs=2, verbose=0)
    after = [v.numpy() for v in lstm.states] + [w.numpy() for w in lstm.weights]
    assert all(np.array_equal(a, b) for a, b in zip(before, after))


def test_stateful_batch_size_is_checked():
    layer = GRU(2, stateful=True, name="gru_s")
    layer(X)
    with pytest.raises(ValueError, match=r'"gru_s" is stateful.*Expected batch size: 3; '
                                         r"received: 2"):
        layer(X[:2])
    model = Sequential([Input((5, 4)), LSTM(2, stateful=True, name="lstm_s")])
    model.compile("sgd", "mse")
    with pytest.raises(ValueError, match=r'"lstm_s": stateful=True needs a fixed batch size'):
        model.fit(X, np.zeros((3, 2), "float32"), verbose=0)
    with pytest.raises(AttributeError, match="not stateful"):
        LSTM(2).reset_states()
