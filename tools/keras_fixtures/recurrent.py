"""Keras fixtures for Embedding and the recurrent layers.

Run from this folder:

    cd tools/keras_fixtures && KERAS_BACKEND=jax ../../.venv-keras/bin/python recurrent.py

Plain fixtures use `common.save_fixture` (inputs, weights, inference outputs).
Bidirectional fixtures store the wrapped layer as `{"class_name", "config"}`
in the kwargs; the test rebuilds it. Masked fixtures (`save_masked_fixture`)
also hold a `mask` array, passed as `mask=` to the layer's call; the
Embedding -> LSTM fixture takes the mask from `Embedding.compute_mask`, and
this script checks that it equals what Keras's automatic mask propagation
gives inside a `Sequential`.
"""

import json

import numpy as np

from common import OUT, _store, save_fixture  # noqa: E402  (run as a script from this folder)

import keras  # noqa: E402

rng = np.random.default_rng(0)
BATCH, TIME, FEATURES = 3, 5, 4
x = rng.normal(size=(BATCH, TIME, FEATURES)).astype("float32")
# Post-padding, pre-padding and a hole in the middle: every masking path is exercised.
MASK = np.array([[1, 1, 1, 0, 0],
                 [0, 0, 1, 1, 1],
                 [1, 0, 1, 1, 0]], dtype=bool)


def Bidirectional(layer, **kwargs):  # noqa: N802  (stands for the Keras class by name)
    inner = getattr(keras.layers, layer["class_name"])(**layer["config"])
    return keras.layers.Bidirectional(inner, **kwargs)


def wrapped(class_name, **config):
    return {"class_name": class_name, "config": config}


def randomize(layer, seed):
    """Random normal weights (not the initializers'), so every weight matters."""
    weights = [np.random.default_rng(seed).normal(size=w.shape).astype(w.dtype)
               for w in layer.get_weights()]
    layer.set_weights(weights)
    return weights


def write(name, layer, class_name, kwargs, inputs, outputs, weights, mask):
    data = {
        "class_name": np.array(class_name),
        "kwargs": np.array(json.dumps(kwargs)),
        "call_kwargs": np.array(json.dumps({})),
        "num_inputs": np.array(0),
        "num_weights": np.array(len(weights)),
        "weight_paths": np.array(json.dumps([w.path for w in layer.weights])),
        "input_0": np.asarray(inputs),
        "mask": np.asarray(mask),
    }
    for i, w in enumerate(weights):
        data[f"weight_{i}"] = np.asarray(w)
    _store(data, "inference", outputs)
    np.savez_compressed(OUT / f"{name}.npz", **data)
    print("wrote", OUT / f"{name}.npz")


def save_masked_fixture(name, keras_layer_cls, kwargs, inputs, mask, seed=0):
    keras.utils.set_random_seed(seed)
    layer = keras_layer_cls(**kwargs)
    layer(inputs)
    weights = randomize(layer, seed)
    outputs = layer(inputs, mask=mask, training=False)
    write(name, layer, keras_layer_cls.__name__, kwargs, inputs, outputs, weights, mask)


# --- Embedding ----------------------------------------------------------------
tokens = rng.integers(0, 7, size=(3, 6)).astype("int32")
save_fixture("emb_basic", keras.layers.Embedding, {"input_dim": 7, "output_dim": 4}, tokens)
save_fixture("emb_rank3", keras.layers.Embedding, {"input_dim": 9, "output_dim": 2},
             rng.integers(0, 9, size=(2, 3, 4)).astype("int32"))

# Embedding(mask_zero=True) -> LSTM: the mask from compute_mask, given explicitly.
keras.utils.set_random_seed(0)
padded = np.array([[3, 1, 4, 0, 0, 0], [0, 0, 5, 2, 6, 1], [2, 0, 6, 6, 0, 3]], "int32")
emb = keras.layers.Embedding(7, 4, mask_zero=True)
lstm = keras.layers.LSTM(3, return_sequences=True, return_state=True)
lstm(emb(padded))
weights = randomize(emb, 1) + randomize(lstm, 2)
explicit = lstm(emb(padded), mask=emb.compute_mask(padded))
# Keras's own mask propagation gives the same outputs.
model = keras.Sequential([keras.Input((6,), dtype="int32"), emb, lstm])
for a, b in zip(explicit, model(padded)):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-6, atol=1e-6)
write("emb_mask_zero_lstm", lstm, "EmbeddingLSTM", {"embedding": emb.get_config(),
      "lstm": lstm.get_config()}, padded, explicit, weights,
      np.asarray(emb.compute_mask(padded)))

# --- SimpleRNN, LSTM, GRU -----------------------------------------------------
L = keras.layers
plain = {
    "rnn_simple_rnn": (L.SimpleRNN, {"units": 3}),
    "rnn_simple_rnn_relu_seq_state": (L.SimpleRNN, {"units": 3, "activation": "relu",
                                                    "return_sequences": True,
                                                    "return_state": True}),
    "rnn_simple_rnn_backwards_seq": (L.SimpleRNN, {"units": 2, "go_backwards": True,
                                                   "return_sequences": True}),
    "rnn_lstm": (L.LSTM, {"units": 3}),
    "rnn_lstm_seq_state": (L.LSTM, {"units": 3, "return_sequences": True,
                                    "return_state": True}),
    "rnn_lstm_backwards_seq": (L.LSTM, {"units": 3, "go_backwards": True,
                                        "return_sequences": True}),
    "rnn_lstm_backwards_state": (L.LSTM, {"units": 3, "go_backwards": True,
                                          "return_state": True}),
    "rnn_lstm_no_bias_seq": (L.LSTM, {"units": 2, "use_bias": False,
                                      "return_sequences": True}),
    "rnn_gru": (L.GRU, {"units": 3}),
    "rnn_gru_seq_state_backwards": (L.GRU, {"units": 3, "return_sequences": True,
                                            "return_state": True, "go_backwards": True}),
    "rnn_gru_reset_before_seq": (L.GRU, {"units": 3, "reset_after": False,
                                         "return_sequences": True}),
    "rnn_gru_no_bias_state": (L.GRU, {"units": 2, "use_bias": False, "return_state": True}),
    "rnn_bidirectional_lstm_concat_seq": (Bidirectional, {
        "layer": wrapped("LSTM", units=3, return_sequences=True)}),
    "rnn_bidirectional_gru_sum_state": (Bidirectional, {
        "layer": wrapped("GRU", units=3, return_state=True), "merge_mode": "sum"}),
    "rnn_bidirectional_lstm_none_seq_state": (Bidirectional, {
        "layer": wrapped("LSTM", units=2, return_sequences=True, return_state=True),
        "merge_mode": None}),
    "rnn_bidirectional_simple_rnn_ave": (Bidirectional, {
        "layer": wrapped("SimpleRNN", units=3), "merge_mode": "ave"}),
    "rnn_bidirectional_gru_mul_seq": (Bidirectional, {
        "layer": wrapped("GRU", units=2, return_sequences=True), "merge_mode": "mul"}),
}
for name, (cls, kwargs) in plain.items():
    save_fixture(name, cls, kwargs, x)

masked = {
    "rnn_simple_rnn_masked_seq_state": (L.SimpleRNN, {"units": 3, "return_sequences": True,
                                                      "return_state": True}),
    "rnn_simple_rnn_masked_zero_output": (L.SimpleRNN, {"units": 3, "return_sequences": True,
                                                        "zero_output_for_mask": True}),
    "rnn_lstm_masked_seq_state": (L.LSTM, {"units": 3, "return_sequences": True,
                                           "return_state": True}),
    "rnn_lstm_masked_backwards_seq_state": (L.LSTM, {"units": 3, "go_backwards": True,
                                                     "return_sequences": True,
                                                     "return_state": True}),
    "rnn_gru_masked": (L.GRU, {"units": 3}),
    "rnn_gru_masked_backwards_seq_state": (L.GRU, {"units": 3, "go_backwards": True,
                                                   "return_sequences": True,
                                                   "return_state": True}),
    "rnn_bidirectional_lstm_masked_seq": (Bidirectional, {
        "layer": wrapped("LSTM", units=3, return_sequences=True)}),
    "rnn_bidirectional_gru_masked_state": (Bidirectional, {
        "layer": wrapped("GRU", units=2, return_state=True)}),
}
for name, (cls, kwargs) in masked.items():
    save_masked_fixture(name, cls, kwargs, x, MASK)
