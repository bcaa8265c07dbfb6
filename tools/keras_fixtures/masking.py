"""Keras fixtures for automatic mask propagation through models.

Run from this folder:

    cd tools/keras_fixtures && KERAS_BACKEND=jax ../../.venv-keras/bin/python masking.py

Each `mask_*` fixture is a small model whose mask comes from
`Embedding(mask_zero=True)` or `Masking`, never passed by hand. It holds the
layer specs (`layers`: JSON `[class_name, kwargs]`, a Bidirectional's
wrapped layer as `[class_name, kwargs]` in its kwargs), the input, the
weights in `model.get_weights()` order, Keras's output and, when Keras
attaches one, the output's mask. Models that return one vector per
sequence also hold the input with zeros prepended (`input_pre`) and
appended (`input_post`) and Keras's outputs on them.

`mask_functional_merge` is a two-branch functional graph (Maximum,
Multiply, Concatenate, GRU, GlobalAveragePooling1D), built the same way in
tests/layers/test_masking.py; its weights are stored per layer name.

`mask_loss_seq` records a `return_sequences` model's `evaluate` results
(loss `mse` and metric `mae`, two batches) and the loss `fit` reports with a
zero learning rate (weights unchanged), both with the output mask applied.
"""

import json

import numpy as np

from common import OUT  # noqa: E402  (run as a script from this folder)

import keras  # noqa: E402

L = keras.layers

# Post-padding, pre-padding, a hole, and a row that is all padding but one step.
TOKENS = np.array([[3, 1, 4, 0, 0, 0],
                   [0, 0, 5, 2, 6, 1],
                   [2, 0, 6, 6, 0, 3],
                   [7, 0, 0, 0, 0, 0]], "int32")
PAD = 2


def build_layer(class_name, kwargs):
    kwargs = dict(kwargs)
    if class_name == "Bidirectional":
        inner_name, inner_kwargs = kwargs.pop("layer")
        return L.Bidirectional(build_layer(inner_name, inner_kwargs), **kwargs)
    return getattr(L, class_name)(**kwargs)


def randomize(model, seed):
    rng = np.random.default_rng(seed)
    weights = [(0.5 * rng.normal(size=w.shape)).astype(w.dtype) for w in model.get_weights()]
    model.set_weights(weights)
    return weights


def output_mask(y):
    mask = getattr(y, "_keras_mask", None)
    if mask is None:
        from keras.src.backend import get_keras_mask
        mask = get_keras_mask(y)
    return None if mask is None else np.asarray(mask)


def save(name, data):
    np.savez_compressed(OUT / f"{name}.npz", **data)
    print("wrote", OUT / f"{name}.npz")


def save_sequential(name, specs, x, seed=0, padding=False):
    keras.utils.set_random_seed(seed)
    dtype = str(x.dtype)
    model = keras.Sequential([keras.Input(x.shape[1:], dtype=dtype)]
                             + [build_layer(c, k) for c, k in specs])
    weights = randomize(model, seed)
    y = model(x)
    data = {"layers": np.array(json.dumps(specs)), "input_0": x,
            "num_weights": np.array(len(weights)), "output": np.asarray(y)}
    for i, w in enumerate(weights):
        data[f"weight_{i}"] = w
    mask = output_mask(y)
    if mask is not None:
        data["output_mask"] = mask
    if padding:
        zeros = np.zeros((x.shape[0], PAD) + x.shape[2:], x.dtype)
        for key, padded in (("pre", np.concatenate([zeros, x], 1)),
                            ("post", np.concatenate([x, zeros], 1))):
            other = keras.Sequential([keras.Input(padded.shape[1:], dtype=dtype)]
                                     + [build_layer(c, k) for c, k in specs])
            other.set_weights(weights)
            data[f"input_{key}"] = padded
            data[f"output_{key}"] = np.asarray(other(padded))
    save(name, data)


EMB = ["Embedding", {"input_dim": 8, "output_dim": 4, "mask_zero": True}]

save_sequential("mask_emb_lstm", [EMB, ["LSTM", {"units": 3}]], TOKENS, padding=True)
save_sequential("mask_emb_gru", [EMB, ["GRU", {"units": 3}]], TOKENS, seed=1, padding=True)
save_sequential("mask_emb_gru_seq", [EMB, ["GRU", {"units": 3, "return_sequences": True}]],
                TOKENS, seed=2)
save_sequential("mask_emb_bilstm", [EMB, ["Bidirectional", {"layer": ["LSTM", {"units": 3}]}]],
                TOKENS, seed=3, padding=True)
save_sequential("mask_emb_bilstm_seq", [EMB, ["Bidirectional", {
    "layer": ["LSTM", {"units": 2, "return_sequences": True}], "merge_mode": "sum"}]],
                TOKENS, seed=4)
save_sequential("mask_emb_gap", [EMB, ["Dense", {"units": 3}], ["GlobalAveragePooling1D", {}]],
                TOKENS, seed=5, padding=True)

# Masking on float features: steps 0 in every feature are skipped.
features = np.random.default_rng(6).normal(size=(3, 5, 2)).astype("float32")
features[0, 3:] = 0.0
features[1, :2] = 0.0
features[2, 2] = 0.0
features[2, 4, 0] = 0.0  # one zero feature alone does not mask the step
save_sequential("mask_masking_simple_rnn_seq",
                [["Masking", {"mask_value": 0.0}], ["SimpleRNN", {"units": 3,
                                                                  "return_sequences": True}]],
                features, seed=6)
save_sequential("mask_masking_simple_rnn", [["Masking", {"mask_value": 0.0}],
                                            ["SimpleRNN", {"units": 3}]],
                features, seed=7, padding=True)


# --- a functional graph with merges ------------------------------------------
def functional_merge():
    tokens = keras.Input((TOKENS.shape[1],), dtype="int32")
    e = L.Embedding(8, 4, mask_zero=True, name="emb")(tokens)
    d = L.Dense(4, name="dense")(e)
    g = L.GRU(3, return_sequences=True, name="gru")(L.Maximum()([e, d]))
    c = L.Concatenate()([g, L.Multiply()([e, d])])
    return keras.Model(tokens, L.GlobalAveragePooling1D()(c))


keras.utils.set_random_seed(8)
model = functional_merge()
randomize(model, 8)
data = {"input_0": TOKENS, "output": np.asarray(model(TOKENS))}
for name in ("emb", "dense", "gru"):
    for i, w in enumerate(model.get_layer(name).get_weights()):
        data[f"{name}_{i}"] = w
save("mask_functional_merge", data)

# --- the loss and metrics weighted by the output mask --------------------------
keras.utils.set_random_seed(9)
specs = [EMB, ["LSTM", {"units": 3, "return_sequences": True}], ["Dense", {"units": 2}]]
model = keras.Sequential([keras.Input((TOKENS.shape[1],), dtype="int32")]
                         + [build_layer(c, k) for c, k in specs])
weights = randomize(model, 9)
y = np.random.default_rng(9).normal(size=TOKENS.shape + (2,)).astype("float32")
model.compile(optimizer=keras.optimizers.SGD(0.0), loss="mse", metrics=["mae"])
evaluated = model.evaluate(TOKENS, y, batch_size=2, verbose=0, return_dict=True)
fitted = model.fit(TOKENS, y, batch_size=2, epochs=1, shuffle=False, verbose=0).history
data = {"layers": np.array(json.dumps(specs)), "input_0": TOKENS, "y": y,
        "num_weights": np.array(len(weights)),
        "evaluate_loss": np.array(evaluated["loss"]), "evaluate_mae": np.array(evaluated["mae"]),
        "fit_loss": np.array(fitted["loss"][0])}
for i, w in enumerate(weights):
    data[f"weight_{i}"] = w
save("mask_loss_seq", data)
print("evaluate", evaluated, "fit", fitted)
