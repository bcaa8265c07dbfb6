"""Dtypes under each dtype policy equal Keras's (tools/keras_fixtures/mixed_precision.py).

The same two small models (an image CNN, a sequence model) and standalone
layers as the fixture script; per layer: policy, compute and variable dtypes,
the dtype of each weight (in `weights` order), the symbolic output dtype and
the dtype of the output of a real call (taken with `jax.eval_shape` of the
model's call: the same trace as running it, without running it). Per model:
its policy, the input dtype, the optimizer `compile()` leaves and the dtype of
a loss on its output.
"""

from __future__ import annotations

import json
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import hoarfrost
from hoarfrost import Input, Model, config, layers as L, losses, mixed_precision
from hoarfrost.variables import StatelessScope


FIXTURE = json.loads((Path(__file__).parents[1] / "fixtures"
                      / "keras_mixed_precision.json").read_text())
POLICIES = ("float32", "mixed_bfloat16", "mixed_float16", "bfloat16")


@pytest.fixture(autouse=True)
def global_policy_restored():
    saved = dict(config._state)
    yield
    config._state.clear()
    config._state.update(saved)


def image_model():
    x = Input((8, 8, 3), name="image")
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
    data = np.random.default_rng(0).uniform(0, 255, (4, 8, 8, 3)).astype("float32")
    return Model(x, [sm, act], name="image_model"), data


def sequence_model():
    x = Input((6,), dtype="int32", name="tokens")
    e = L.Embedding(10, 4, name="embedding")(x)
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
    return Model(x, out, name="sequence_model"), data


def standalone_cases():
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


def names(values) -> list[str]:
    return [np.dtype(v.dtype).name for v in jax.tree.leaves(values)]


def layer_record(layer) -> dict:
    return {"class_name": type(layer).__name__, "policy": layer.dtype_policy.name,
            "compute_dtype": layer.compute_dtype, "variable_dtype": layer.variable_dtype}


def check_layer(layer, keras: dict, where: str) -> None:
    ours = layer_record(layer)
    for key in ours:
        assert ours[key] == keras[key], f"{where} {layer.name}: {key} {ours[key]} != {keras[key]}"
    expected = list(keras["variables"].values())  # Keras's weights order = ours
    assert names(layer.weights) == expected, f"{where} {layer.name}: variables"


@pytest.mark.parametrize("policy", POLICIES)
def test_layer_and_model_dtypes_equal_keras(policy):
    keras = FIXTURE["policies"][policy]
    mixed_precision.set_global_policy(policy)
    assert mixed_precision.global_policy().name == keras["global_policy"]
    assert L.Dense(2).get_config()["dtype"] == keras["dense_config_dtype"]
    for build in (image_model, sequence_model):
        model, data = build()
        expected = keras[model.name]
        inner = [layer for layer in model.layers if not isinstance(layer, L.InputLayer)]
        assert sorted(layer.name for layer in inner) == sorted(expected["layers"])
        spec = jax.eval_shape(
            lambda x: Model(model.inputs, [layer.output for layer in inner])(x), data)
        for layer, out in zip(inner, spec):
            want = expected["layers"][layer.name]
            check_layer(layer, want, f"{policy} {model.name}")
            symbolic = [t.dtype.name for t in jax.tree.leaves(
                layer.output, is_leaf=hoarfrost.backend.is_keras_tensor)]
            assert symbolic == want["symbolic_output"], f"{policy} {layer.name} symbolic"
            assert names(out) == want["eager_output"], f"{policy} {layer.name} output"
        assert model.dtype_policy.name == expected["model_policy"]
        assert [t.dtype.name for t in model.inputs] == expected["input_dtypes"]
        model.compile(optimizer="adam", loss="mse")
        assert type(model.optimizer).__name__ == expected["optimizer"]
        prediction = jax.eval_shape(lambda x: model(x), data)
        prediction = jax.tree.leaves(prediction)[0]
        loss = jax.eval_shape(
            lambda p: losses.MeanSquaredError()(np.zeros(p.shape, "float32"), p), prediction)
        assert loss.dtype.name == expected["loss_dtype"]
    for name, layer, x, kwargs in standalone_cases():
        want = keras["standalone"][name]
        with StatelessScope(symbolic=True):  # a traced call: state it assigns is dropped
            out = jax.eval_shape(lambda inputs: layer(inputs, **kwargs), x)
        check_layer(layer, want, f"{policy} standalone")
        assert names(out) == want["eager_output"], f"{policy} standalone {name}"


def test_predict_returns_keras_dtypes():
    mixed_precision.set_global_policy("mixed_bfloat16")
    model, data = image_model()
    got = [np.asarray(p).dtype.name for p in model.predict(data, verbose=0)]
    assert got == FIXTURE["policies"]["mixed_bfloat16"]["image_model"]["predict_dtypes"]


def test_normalization_layers_compute_in_float32_as_keras():
    """BatchNormalization and LayerNormalization under a mixed policy: float32 weights
    and statistics applied in float32 to the 16-bit input, the result cast to the
    compute dtype (bit-exact against a float32 layer on the same input)."""
    x = np.random.default_rng(3).normal(2.0, 3.0, (8, 5)).astype("float32")
    x16 = np.asarray(jnp.asarray(x, jnp.bfloat16))  # what a mixed layer before them gives
    for cls, kwargs in ((L.BatchNormalization, {"training": True}), (L.LayerNormalization, {})):
        mixed, reference = cls(dtype="mixed_bfloat16"), cls()
        mixed(x16), reference(x16.astype("float32"))
        rng = np.random.default_rng(4)
        weights = [rng.uniform(0.5, 1.5, w.shape).astype("float32") for w in mixed.weights]
        mixed.set_weights(weights)
        reference.set_weights(weights)
        got = mixed(jnp.asarray(x16), **kwargs)
        want = reference(x16.astype("float32"), **kwargs).astype(jnp.bfloat16)
        assert got.dtype == jnp.bfloat16
        np.testing.assert_array_equal(np.asarray(got), np.asarray(want))
        assert all(w.dtype == np.float32 for w in mixed.weights)
        if cls is L.BatchNormalization:  # moving statistics updated in float32
            np.testing.assert_array_equal(mixed.moving_mean.numpy(),
                                          reference.moving_mean.numpy())


def _small_classifier(policy=None):
    hoarfrost.backend.clear_session()
    hoarfrost.utils.set_random_seed(0)
    if policy is not None:
        mixed_precision.set_global_policy(policy)
    model = hoarfrost.Sequential([
        Input((6,)), L.Dense(8, activation="relu"), L.BatchNormalization(), L.Dropout(0.2),
        L.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def test_float32_policy_trains_bit_identically_to_no_policy():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(48, 6)).astype("float32")
    y = rng.integers(0, 3, 48)
    results = []
    for policy in (None, "float32"):
        model = _small_classifier(policy)
        history = model.fit(x, y, epochs=2, batch_size=8, verbose=0).history
        results.append((history, model.get_weights(), model.predict(x, verbose=0)))
    (h0, w0, p0), (h1, w1, p1) = results
    assert h0 == h1
    assert all(np.array_equal(a, b) for a, b in zip(w0, w1))
    np.testing.assert_array_equal(p0, p1)


def test_mixed_bfloat16_learns_digits_like_float32_and_freezing_stays_exact():
    (x_train, y_train), (x_test, y_test) = hoarfrost.datasets.mnist.load_sample()
    # 4,096 rows: 64 whole batches of 64 (a ragged last batch would compile a second step).
    x_train, y_train = x_train[:4096] / 255.0, y_train[:4096]
    x_test = x_test / 255.0
    accuracy = {}
    for policy in ("float32", "mixed_bfloat16"):
        mixed_precision.set_global_policy(policy)
        model = hoarfrost.Sequential([
            Input((28, 28)), L.Flatten(), L.Dense(64, name="hidden"),
            L.BatchNormalization(momentum=0.9, name="bn"), L.Activation("relu"),
            L.Dense(10, name="head"),
            L.Activation("softmax", dtype="float32")])
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"])
        model.fit(x_train, y_train, epochs=2, batch_size=64, verbose=0)
        accuracy[policy] = model.evaluate(x_test, y_test, batch_size=500, verbose=0)[1]
    assert accuracy["float32"] >= 0.87 and accuracy["mixed_bfloat16"] >= 0.87, accuracy
    assert abs(accuracy["float32"] - accuracy["mixed_bfloat16"]) <= 0.03, accuracy
    assert model.predict(x_test[:2], verbose=0).dtype == np.float32  # the float32 softmax
    assert all(w.dtype == np.float32 for w in model.weights)

    # The trainability contract under mixed_bfloat16: frozen after compile, bit-identical
    # (weights, moving statistics and Adam slots); unfreezing resumes from the slots.
    frozen_layers = [model.get_layer("hidden"), model.get_layer("bn")]
    for layer in frozen_layers:
        layer.trainable = False
    frozen = [w for layer in frozen_layers for w in layer.weights]
    values = [w.numpy() for w in frozen]
    optimizer = model.optimizer
    slots = {w.path: {k: np.asarray(v) for k, v in optimizer.slots_for(w).items()}
             for w in frozen if w.trainable or w in optimizer._slots}
    head = model.get_layer("head").kernel.numpy()
    model.fit(x_train[:1024], y_train[:1024], epochs=1, batch_size=64, verbose=0)
    assert all(np.array_equal(v, w.numpy()) for v, w in zip(values, frozen))
    for w in frozen:
        if w.path in slots:
            assert all(np.array_equal(v, np.asarray(optimizer.slots_for(w)[k]))
                       for k, v in slots[w.path].items()), w.path
    assert not np.array_equal(head, model.get_layer("head").kernel.numpy())
    for layer in frozen_layers:
        layer.trainable = True
    kernel = model.get_layer("hidden").kernel
    count = int(optimizer.slots_for(kernel)["count"])
    model.fit(x_train[:1024], y_train[:1024], epochs=1, batch_size=64, verbose=0)
    assert int(optimizer.slots_for(kernel)["count"]) == count + 16


def test_save_and_load_keep_each_layers_policy(tmp_path):
    mixed_precision.set_global_policy("mixed_bfloat16")
    model = hoarfrost.Sequential([Input((4,)), L.Dense(3, name="mixed"),
                                  L.Dense(2, name="full", dtype="float32")])
    x = np.random.default_rng(6).normal(size=(5, 4)).astype("float32")
    expected = model.predict(x, verbose=0)
    assert model.get_config()["dtype"] == hoarfrost.dtype_policies.serialize(
        hoarfrost.DTypePolicy("mixed_bfloat16"))
    model.save(tmp_path / "model.keras")
    mixed_precision.set_global_policy("float32")
    loaded = hoarfrost.models.load_model(tmp_path / "model.keras")
    assert [layer.dtype_policy.name for layer in loaded.layers] == ["mixed_bfloat16", "float32"]
    assert loaded.get_layer("mixed").get_config()["dtype"]["config"] == {"name": "mixed_bfloat16"}
    assert all(w.dtype == np.float32 for w in loaded.weights)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), expected)
