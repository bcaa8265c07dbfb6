"""Keras's dtypes under each dtype policy (tests/fixtures/keras_mixed_precision.json).

Run from this folder:

    cd tools/keras_fixtures && KERAS_BACKEND=jax ../../.venv-keras/bin/python mixed_precision.py

For each policy set with `keras.config.set_dtype_policy` ("float32",
"mixed_bfloat16", "mixed_float16", "bfloat16"), two small functional models
(an image CNN and a sequence model, many layer kinds each) and some layers
called on their own record, per layer: the policy name, `compute_dtype`,
`variable_dtype`, each variable's dtype, the symbolic output dtype and the
eager output dtype (the models' every layer output, from a feature model
called on float32 or int32 data in inference). Also per policy: the model's
policy, the optimizer class `compile()` leaves (LossScaleOptimizer under
"mixed_float16"), the dtype of a loss computed on the model's output, and
the layer config's `dtype` entry.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras  # noqa: E402
from keras import layers as L  # noqa: E402

OUT = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "keras_mixed_precision.json"
POLICIES = ("float32", "mixed_bfloat16", "mixed_float16", "bfloat16")


def image_model():
    x = keras.Input((8, 8, 3), name="image")
    r = L.Rescaling(1 / 255.0, name="rescaling")(x)
    c = L.Conv2D(4, 3, padding="same", activation="relu", name="conv")(r)
    b = L.BatchNormalization(name="batch_norm")(c)
    d = L.DepthwiseConv2D(3, padding="same", name="depthwise")(b)
    s = L.SeparableConv2D(4, 3, padding="same", name="separable")(d)
    t = L.Conv2DTranspose(4, 3, padding="same", name="transpose")(s)
    a = L.Add(name="add")([b, t])
    m = L.MaxPooling2D(name="max_pool")(a)
    p = L.AveragePooling2D(2, name="avg_pool")(m)
    g = L.GroupNormalization(groups=2, name="group_norm")(m)
    z = L.ZeroPadding2D(name="zero_pad")(g)
    cr = L.Cropping2D(name="crop")(z)
    u = L.UpSampling2D(name="upsample")(cr)
    gap = L.GlobalAveragePooling2D(name="gap")(u)
    gmp = L.GlobalMaxPooling2D(name="gmp")(m)
    f = L.Flatten(name="flatten")(p)
    cat = L.Concatenate(name="concat")([gap, gmp, f])
    dn = L.Dense(8, activation="relu", name="dense")(cat)
    dr = L.Dropout(0.25, name="dropout")(dn)
    ln = L.LayerNormalization(name="layer_norm")(dr)
    un = L.UnitNormalization(name="unit_norm")(ln)
    pr = L.PReLU(name="prelu")(un)
    lr = L.LeakyReLU(name="leaky_relu")(pr)
    el = L.ELU(name="elu")(lr)
    re = L.ReLU(name="relu")(el)
    gn = L.GaussianNoise(0.1, name="noise")(re)
    mu = L.Multiply(name="multiply")([gn, ln])
    logits = L.Dense(3, name="logits")(mu)
    sm = L.Softmax(name="softmax")(logits)
    act = L.Activation("softmax", dtype="float32", name="probs_f32")(logits)
    return keras.Model(x, [sm, act], name="image_model"), np.random.default_rng(0).uniform(
        0, 255, (4, 8, 8, 3)).astype("float32")


def sequence_model():
    x = keras.Input((6,), dtype="int32", name="tokens")
    e = L.Embedding(10, 4, name="embedding")(x)
    # glorot, not orthogonal: Keras's QR has no bfloat16 kernel (the "bfloat16" policy)
    rec = {"recurrent_initializer": "glorot_uniform"}
    lstm = L.LSTM(4, return_sequences=True, name="lstm", **rec)(e)
    gru = L.GRU(4, return_sequences=True, name="gru", **rec)(lstm)
    mha = L.MultiHeadAttention(2, 2, name="mha")(gru, gru)
    ln = L.LayerNormalization(name="seq_layer_norm")(mha)
    c1 = L.Conv1D(4, 3, padding="same", name="conv1d")(ln)
    bi = L.Bidirectional(L.SimpleRNN(2, return_sequences=True, **rec), name="bidirectional")(c1)
    att = L.Attention(name="attention")([bi, bi])
    td = L.TimeDistributed(L.Dense(3), name="time_distributed")(att)
    ed = L.EinsumDense("abc,cd->abd", output_shape=(None, 4), bias_axes="d", name="einsum")(td)
    rms = L.RMSNormalization(name="rms_norm")(ed)
    pool = L.GlobalAveragePooling1D(name="gap1d")(rms)
    out = L.Dense(2, name="seq_out")(pool)
    data = np.random.default_rng(1).integers(1, 10, (4, 6)).astype("int32")
    return keras.Model(x, out, name="sequence_model"), data


def standalone_cases():
    """Layers called on their own (no enclosing layer) on float32 or int32 data."""
    rng = np.random.default_rng(2)
    image = rng.uniform(0, 1, (2, 6, 6, 3)).astype("float32")
    seq = rng.normal(size=(2, 5, 4)).astype("float32")
    flat = rng.normal(size=(2, 4)).astype("float32")
    tokens = rng.integers(0, 5, (2, 5)).astype("int32")
    return [
        ("Dense", L.Dense(3), flat, {}),
        ("Embedding", L.Embedding(5, 3), tokens, {}),
        ("BatchNormalization", L.BatchNormalization(), flat, {"training": True}),
        ("LayerNormalization", L.LayerNormalization(), flat, {}),
        ("Normalization", L.Normalization(mean=0.5, variance=2.0), flat, {}),
        ("Resizing", L.Resizing(4, 4), image, {}),
        ("CenterCrop", L.CenterCrop(4, 4), image, {}),
        ("RandomFlip", L.RandomFlip(seed=1), image, {"training": True}),
        ("LSTM_states", L.LSTM(3, return_state=True, recurrent_initializer="glorot_uniform"),
         seq, {}),
        ("MultiHeadAttention_scores", L.MultiHeadAttention(2, 2), seq,
         {"value": seq, "return_attention_scores": True}),
        ("Activation_int", L.Activation("relu"), tokens, {}),
    ]


def dtype_of(x) -> str:
    return keras.backend.standardize_dtype(x.dtype)


def flat(x) -> list:
    return keras.tree.flatten(x)


def layer_record(layer) -> dict:
    return {
        "class_name": type(layer).__name__,
        "policy": layer.dtype_policy.name,
        "compute_dtype": layer.compute_dtype,
        "variable_dtype": layer.variable_dtype,
        "variables": {v.path: dtype_of(v) for v in layer.weights},
    }


def model_records(model, data) -> dict:
    inner = [layer for layer in model.layers if not isinstance(layer, L.InputLayer)]
    features = keras.Model(model.inputs, [layer.output for layer in inner])
    eager = features(data, training=False)
    records = {}
    for layer, out in zip(inner, eager):
        record = layer_record(layer)
        record["symbolic_output"] = [dtype_of(t) for t in flat(layer.output)]
        record["eager_output"] = [dtype_of(t) for t in flat(out)]
        records[layer.name] = record
    pred = flat(model(data))[0]
    loss = keras.losses.MeanSquaredError()(np.zeros(pred.shape, "float32"), pred)
    try:
        predict_dtypes = [str(np.asarray(p).dtype) for p in flat(model.predict(data, verbose=0))]
    except ValueError as exc:  # Keras's compiled predict on CPU in float16 (dot_general)
        predict_dtypes = f"error: {str(exc).splitlines()[0]}"
    model.compile(optimizer="adam", loss="mse")
    return {
        "layers": records,
        "model_policy": model.dtype_policy.name,
        "input_dtypes": [dtype_of(t) for t in model.inputs],
        "predict_dtypes": predict_dtypes,
        "optimizer": type(model.optimizer).__name__,
        "loss_dtype": dtype_of(loss),
    }


def main() -> None:
    fixture = {"keras_version": keras.__version__, "policies": {}}
    for policy in POLICIES:
        keras.config.set_dtype_policy(policy)
        keras.utils.set_random_seed(0)
        entry = {}
        for build in (image_model, sequence_model):
            model, data = build()
            entry[model.name] = model_records(model, data)
        standalone = {}
        for name, layer, x, kwargs in standalone_cases():
            out = layer(x, **kwargs)
            record = layer_record(layer)
            record["eager_output"] = [dtype_of(t) for t in flat(out)]
            standalone[name] = record
        entry["standalone"] = standalone
        entry["dense_config_dtype"] = L.Dense(2).get_config()["dtype"]
        entry["global_policy"] = keras.mixed_precision.global_policy().name
        fixture["policies"][policy] = entry
        print(policy, "done")
    keras.config.set_dtype_policy("float32")
    OUT.write_text(json.dumps(fixture, indent=1, sort_keys=True) + "\n")
    print("wrote", OUT)


if __name__ == "__main__":
    main()
