import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hoarfrost import Input, Model, layers
from hoarfrost.layers import recurrent
from hoarfrost.layers.embedding import Embedding
from hoarfrost.layers.recurrent import GRU, LSTM, Bidirectional, SimpleRNN
from hoarfrost.models import Sequential
from hoarfrost.saving.serialization import deserialize_layer, serialize_layer

from tests.layers.harness import FIXTURES, check_keras_fixture, run_layer_test

OBJECTS = {"SimpleRNN": SimpleRNN, "LSTM": LSTM, "GRU": GRU, "Bidirectional": Bidirectional,
           "Embedding": Embedding}
X = np.random.default_rng(1).normal(size=(3, 5, 4)).astype("float32")


# --- the generic harness ---------------------------------------------------------------
@pytest.mark.parametrize("cls, kwargs, out_shape, count", [
    (SimpleRNN, {"units": 3}, (2, 3), 4 * 3 + 3 * 3 + 3),
    (SimpleRNN, {"units": 3, "return_sequences": True, "go_backwards": True}, (2, 5, 3), 24),
    (LSTM, {"units": 3}, (2, 3), 4 * 12 + 3 * 12 + 12),
    (LSTM, {"units": 2, "return_sequences": True, "use_bias": False}, (2, 5, 2), 4 * 8 + 2 * 8),
    (GRU, {"units": 3}, (2, 3), 4 * 9 + 3 * 9 + 2 * 9),
    (GRU, {"units": 3, "reset_after": False, "return_sequences": True}, (2, 5, 3),
     4 * 9 + 3 * 9 + 9),
])
def test_recurrent_layer(cls, kwargs, out_shape, count):
    layer = run_layer_test(cls, kwargs, (2, 5, 4), out_shape, count)
    assert [w.path.split("/")[1] for w in layer.weights] == (
        ["kernel", "recurrent_kernel", "bias"][:3 if layer.use_bias else 2])


@pytest.mark.parametrize("inner, merge_mode, out_shape", [
    (lambda: LSTM(3), "concat", (2, 6)),
    (lambda: GRU(2, return_sequences=True), "sum", (2, 5, 2)),
])
def test_bidirectional(inner, merge_mode, out_shape):
    template = inner()
    single = sum(int(np.prod(w.shape)) for w in _built(inner()).weights)
    layer = run_layer_test(Bidirectional, {"layer": template, "merge_mode": merge_mode},
                           (2, 5, 4), out_shape, 2 * single)
    names = [w.path for w in layer.weights]
    half = len(names) // 2
    assert all(n.startswith(f"forward_{template.name}/") for n in names[:half])
    assert all(n.startswith(f"backward_{template.name}/") for n in names[half:])
    assert layer.get_config()["layer"]["class_name"] == type(template).__name__
    assert layer.get_config()["backward_layer"]["config"]["go_backwards"] is True


def _built(layer):
    layer(X[:, :, :4])
    return layer


# --- shapes, fuzzed ----------------------------------------------------------------------
@settings(max_examples=10, deadline=None)
@given(cls=st.sampled_from([SimpleRNN, LSTM, GRU]), batch=st.integers(1, 4),
       timesteps=st.integers(1, 5), features=st.integers(1, 4), units=st.integers(1, 4),
       return_sequences=st.booleans(), return_state=st.booleans(), go_backwards=st.booleans(),
       bidirectional=st.booleans())
def test_output_shapes_fuzzed(cls, batch, timesteps, features, units, return_sequences,
                              return_state, go_backwards, bidirectional):
    # (Bidirectional of a go_backwards layer is an error, as in Keras.)
    # Constant initializers: random ones compile anew for every shape, and only shapes matter.
    layer = cls(units, return_sequences=return_sequences, return_state=return_state,
                go_backwards=go_backwards and not bidirectional, kernel_initializer="ones",
                recurrent_initializer="zeros")
    num_states = 2 if cls is LSTM else 1
    if bidirectional:
        layer = Bidirectional(layer)
    x = np.random.default_rng(0).normal(size=(batch, timesteps, features)).astype("float32")
    out = layer(x)
    width = 2 * units if bidirectional else units
    main = (batch, timesteps, width) if return_sequences else (batch, width)
    expected = [main] + [(batch, units)] * (num_states * (2 if bidirectional else 1)) * \
        return_state
    got = [tuple(o.shape) for o in out] if return_state else [tuple(out.shape)]
    assert got == expected
    symbolic = layer(Input(shape=(timesteps, features)))
    symbolic = list(symbolic) if return_state else [symbolic]
    assert [s.shape for s in symbolic] == [(None,) + e[1:] for e in expected]


# --- exact semantics -----------------------------------------------------------------------
def test_lstm_computes_keras_equations():
    layer = LSTM(2, return_state=True)
    x = X[:1, :2, :3]
    layer(x)
    kernel, recurrent_kernel, bias = [np.random.default_rng(i).normal(size=w.shape)
                                      for i, w in enumerate(layer.weights)]
    layer.set_weights([kernel, recurrent_kernel, bias])
    sigmoid = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731
    h = c = np.zeros((1, 2))
    for t in range(2):
        z = x[:, t] @ kernel + h @ recurrent_kernel + bias
        i, f, g, o = np.split(z, 4, axis=-1)
        c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
        h = sigmoid(o) * np.tanh(c)
    out, h_out, c_out = layer(x)
    np.testing.assert_allclose(np.asarray(out), h, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(np.asarray(h_out), h, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(np.asarray(c_out), c, rtol=1e-5, atol=1e-6)


def test_lstm_unit_forget_bias_initialization():
    layer = _built(LSTM(3))
    np.testing.assert_array_equal(layer.get_weights()[2], [0] * 3 + [1] * 3 + [0] * 6)
    layer = _built(LSTM(3, unit_forget_bias=False))
    np.testing.assert_array_equal(layer.get_weights()[2], np.zeros(12))


@pytest.mark.parametrize("cls", [SimpleRNN, LSTM, GRU])
def test_post_padding_mask_equals_the_unpadded_sequence(cls):
    layer = cls(3, return_sequences=True, return_state=True)
    full = layer(X)
    mask = np.ones((3, 5), bool)
    mask[:, 3:] = False
    masked = layer(X, mask=mask)
    prefix = layer(X[:, :3])
    for a, b in zip(masked[1:], prefix[1:]):  # final states: the padding changed nothing
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-6, atol=1e-6)
    seq = np.asarray(masked[0])
    np.testing.assert_allclose(seq[:, :3], np.asarray(prefix[0]), rtol=1e-6, atol=1e-6)
    # Masked steps repeat the previous output (Keras's default) ...
    np.testing.assert_array_equal(seq[:, 3], seq[:, 2])
    np.testing.assert_array_equal(seq[:, 4], seq[:, 2])
    assert not np.allclose(np.asarray(full[0])[:, 4], seq[:, 4])
    # ... or zeros with zero_output_for_mask.
    zero = cls(3, return_sequences=True, zero_output_for_mask=True)
    zero(X)
    zero.set_weights(layer.get_weights())
    np.testing.assert_array_equal(np.asarray(zero(X, mask=mask))[:, 3:], 0)


def test_mask_with_go_backwards_skips_pre_padding():
    layer = GRU(3, go_backwards=True)
    mask = np.ones((3, 5), bool)
    mask[:, :2] = False  # the backward pass meets the padding last
    np.testing.assert_allclose(np.asarray(layer(X, mask=mask)), np.asarray(layer(X[:, 2:])),
                               rtol=1e-6, atol=1e-6)


def test_fully_masked_sequence_returns_the_initial_state():
    layer = LSTM(2, return_state=True)
    h0, c0 = np.full((3, 2), 0.5, np.float32), np.full((3, 2), -0.25, np.float32)
    out, h, c = layer(X, mask=np.zeros((3, 5), bool), initial_state=[h0, c0])
    np.testing.assert_array_equal(np.asarray(out), h0)
    np.testing.assert_array_equal(np.asarray(h), h0)
    np.testing.assert_array_equal(np.asarray(c), c0)


def test_initial_state_continues_a_sequence():
    layer = LSTM(3, return_state=True)
    _, h, c = layer(X[:, :2])
    continued = layer(X[:, 2:], initial_state=[h, c])
    whole = layer(X)
    for a, b in zip(continued, whole):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-5, atol=1e-6)


def test_bad_mask_and_initial_state_name_the_layer():
    layer = GRU(2, name="enc")
    with pytest.raises(ValueError, match=r'"enc".*mask.*\(3, 5\).*\(3, 4\)'):
        layer(X, mask=np.ones((3, 4), bool))
    with pytest.raises(ValueError, match=r'"enc".*initial_state.*\(3, 2\)'):
        layer(X, initial_state=[np.zeros((3, 3))])
    with pytest.raises(ValueError, match=r'"enc".*expected axis -1.*value 4'):
        layer(np.ones((3, 5, 2), np.float32))
    with pytest.raises(ValueError, match=r'"enc".*ndim=3'):
        layer(np.ones((3, 4), np.float32))


def test_unsupported_arguments():
    with pytest.raises(ValueError, match="units"):
        GRU(0)
    with pytest.raises(ValueError, match="merge mode"):
        Bidirectional(LSTM(2), merge_mode="max")
    with pytest.raises(ValueError, match="go_backwards"):
        Bidirectional(LSTM(2), backward_layer=LSTM(2))
    LSTM(2, unroll=True, implementation=1, use_cudnn=False)  # accepted, no effect


@pytest.mark.parametrize("cls", [SimpleRNN, LSTM, GRU])
def test_dropout_only_in_training(cls):
    layer = cls(4, dropout=0.5, recurrent_dropout=0.3, seed=3, return_sequences=True)
    plain = cls(4, return_sequences=True)
    plain(X)
    layer(X)
    layer.set_weights(plain.get_weights())
    np.testing.assert_allclose(np.asarray(layer(X)), np.asarray(plain(X)), rtol=1e-6,
                               atol=1e-6)
    trained = np.asarray(layer(X, training=True))
    assert not np.allclose(trained, np.asarray(plain(X)))
    assert np.isfinite(trained).all()


def test_dropout_layers_train_with_fit():
    model = Sequential([Input((5, 4)), LSTM(4, dropout=0.2, recurrent_dropout=0.2),
                        layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    history = model.fit(X, np.ones((3, 1), np.float32), epochs=2, verbose=0)
    assert np.isfinite(history.history["loss"]).all()


# --- config and saving ---------------------------------------------------------------------
def test_bidirectional_config_nests_the_wrapped_layers():
    layer = Bidirectional(GRU(3, return_sequences=True, reset_after=False), merge_mode="ave",
                          name="bi")
    layer(X)
    config = serialize_layer(layer)
    assert config["config"]["layer"]["config"]["reset_after"] is False
    assert config["config"]["backward_layer"]["config"]["name"].startswith("backward_")
    clone = deserialize_layer(json.loads(json.dumps(config)), OBJECTS)
    assert serialize_layer(clone) == config
    clone(X)
    clone.set_weights(layer.get_weights())
    np.testing.assert_array_equal(np.asarray(clone(X)), np.asarray(layer(X)))


def test_bidirectional_with_explicit_backward_layer_and_freezing():
    backward = SimpleRNN(3, go_backwards=True, activation="relu", name="back")
    layer = Bidirectional(SimpleRNN(3), backward_layer=backward)
    layer(X)
    assert layer.backward_layer is backward
    layer.trainable = False
    assert layer.trainable_weights == [] and len(layer.non_trainable_weights) == 6
    layer.trainable = True
    assert len(layer.trainable_weights) == 6


def test_model_save_and_load_round_trip(tmp_path):
    model = Sequential([Input((5,), dtype="int32"), Embedding(6, 4),
                        Bidirectional(LSTM(3, return_sequences=True)), GRU(2),
                        layers.Dense(1)])
    tokens = np.random.default_rng(0).integers(0, 6, size=(3, 5))
    path = tmp_path / "rnn.keras"
    model.save(path)
    from hoarfrost.saving import load_model
    loaded = load_model(path, custom_objects=OBJECTS)
    np.testing.assert_array_equal(loaded.predict(tokens, verbose=0),
                                  model.predict(tokens, verbose=0))
    assert [w.path for w in loaded.weights] == [w.path for w in model.weights]


def test_variable_length_sequences_in_a_functional_model():
    inputs = Input(shape=(None, 4))
    out = LSTM(3, return_sequences=True)(inputs)
    assert out.shape == (None, None, 3)
    model = Model(inputs, layers.Dense(1)(GRU(2)(out)))
    assert model.predict(X, verbose=0).shape == (3, 1)
    assert model.predict(X[:, :2], verbose=0).shape == (3, 1)


# --- Keras fixtures ----------------------------------------------------------------------------
def _from_fixture_kwargs(class_name):
    if class_name != "Bidirectional":
        return getattr(recurrent, class_name)

    def build(layer, **kwargs):
        return Bidirectional(getattr(recurrent, layer["class_name"])(**layer["config"]), **kwargs)
    return build


PLAIN = ["rnn_simple_rnn", "rnn_simple_rnn_relu_seq_state", "rnn_simple_rnn_backwards_seq",
         "rnn_lstm", "rnn_lstm_seq_state", "rnn_lstm_backwards_seq", "rnn_lstm_backwards_state",
         "rnn_lstm_no_bias_seq", "rnn_gru", "rnn_gru_seq_state_backwards",
         "rnn_gru_reset_before_seq", "rnn_gru_no_bias_state",
         "rnn_bidirectional_lstm_concat_seq", "rnn_bidirectional_gru_sum_state",
         "rnn_bidirectional_lstm_none_seq_state", "rnn_bidirectional_simple_rnn_ave",
         "rnn_bidirectional_gru_mul_seq"]
MASKED = ["rnn_simple_rnn_masked_seq_state", "rnn_simple_rnn_masked_zero_output",
          "rnn_lstm_masked_seq_state", "rnn_lstm_masked_backwards_seq_state", "rnn_gru_masked",
          "rnn_gru_masked_backwards_seq_state", "rnn_bidirectional_lstm_masked_seq",
          "rnn_bidirectional_gru_masked_state"]


@pytest.mark.parametrize("name", PLAIN)
def test_matches_keras(name):
    data = np.load(FIXTURES / f"{name}.npz")
    check_keras_fixture(name, cls=_from_fixture_kwargs(str(data["class_name"])))


def _assert_outputs(data, out, name):
    outs = list(out) if isinstance(out, (list, tuple)) else [out]
    assert len(outs) == int(data["num_outputs_inference"])
    for i, o in enumerate(outs):
        np.testing.assert_allclose(np.asarray(o), data[f"output_inference_{i}"], rtol=1e-5,
                                   atol=1e-5, err_msg=f"{name} output {i}")


@pytest.mark.parametrize("name", MASKED)
def test_masking_matches_keras(name):
    data = np.load(FIXTURES / f"{name}.npz")
    layer = _from_fixture_kwargs(str(data["class_name"]))(**json.loads(str(data["kwargs"])))
    x = data["input_0"]
    layer(x)
    layer.set_weights([data[f"weight_{i}"] for i in range(int(data["num_weights"]))])
    _assert_outputs(data, layer(x, mask=data["mask"]), name)


def test_embedding_mask_zero_into_lstm_matches_keras():
    data = np.load(FIXTURES / "emb_mask_zero_lstm.npz")
    kwargs = json.loads(str(data["kwargs"]))
    emb = Embedding(kwargs["embedding"]["input_dim"], kwargs["embedding"]["output_dim"],
                    mask_zero=True)
    lstm = LSTM(kwargs["lstm"]["units"], return_sequences=True, return_state=True)
    tokens = data["input_0"]
    lstm(emb(tokens))
    weights = [data[f"weight_{i}"] for i in range(int(data["num_weights"]))]
    emb.set_weights(weights[:1])
    lstm.set_weights(weights[1:])
    mask = emb.compute_mask(tokens)
    np.testing.assert_array_equal(np.asarray(mask), data["mask"])
    _assert_outputs(data, lstm(emb(tokens), mask=mask), "emb_mask_zero_lstm")


# --- integration: a tiny sequence task ---------------------------------------------------------
def test_embedding_lstm_dense_learns_whether_token_1_appears():
    from hoarfrost.optimizers import Adam
    from hoarfrost.utils import set_random_seed

    set_random_seed(0)
    rng = np.random.default_rng(0)
    n, length = 512, 8
    tokens = rng.integers(2, 6, size=(n, length))
    labels = rng.integers(0, 2, size=n)
    positions = rng.integers(0, length, size=n)
    tokens[labels == 1, positions[labels == 1]] = 1
    model = Sequential([Input((length,), dtype="int32"), Embedding(6, 8), LSTM(16),
                        layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=Adam(0.01), loss="binary_crossentropy", metrics=["accuracy"])
    x_train, y_train = tokens[:384], labels[:384, None].astype("float32")
    x_test, y_test = tokens[384:], labels[384:, None].astype("float32")
    model.fit(x_train, y_train, epochs=15, batch_size=32, verbose=0)
    results = model.evaluate(x_test, y_test, verbose=0, return_dict=True)
    assert results["accuracy"] > 0.9, results
