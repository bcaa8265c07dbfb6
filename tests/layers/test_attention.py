"""MultiHeadAttention, Attention and AdditiveAttention, against Keras."""

import json

import jax
import numpy as np
import pytest

import hoarfrost
from hoarfrost import Input, Model, layers, masking
from hoarfrost.layers.attention import AdditiveAttention, Attention, MultiHeadAttention
from hoarfrost.saving import load_model

from tests.layers.harness import check_keras_fixture
from tests.layers.harness_extra import (assert_config_keys, check_named_fixture, load,
                                        run_multi_input_layer_test)

MHA_FIXTURES = ["mha_self", "mha_cross_scores", "mha_causal", "mha_causal_scores", "mha_mask",
                "mha_mask_scores", "mha_no_bias_output_shape", "mha_attention_axes",
                "mha_gate_dropout", "mha_sliding_window"]


@pytest.mark.parametrize("name", MHA_FIXTURES)
def test_multi_head_attention_matches_keras(name):
    kwargs = json.loads(str(load(name)["kwargs"]))
    check_named_fixture(name, MultiHeadAttention(**kwargs))


def test_fully_masked_query_rows_follow_each_keras_path():
    """Keras's fused path (no scores, no dropout) attends uniformly from a query
    row whose keys are all masked; the scores path outputs zeros there."""
    fast, scores = load("mha_mask"), load("mha_mask_scores")
    assert not fast["in_attention_mask"][1, 2].any()
    weights = scores["output_inference_1"]
    np.testing.assert_array_equal(weights[1, :, 2], 0.0)
    layer = check_named_fixture("mha_mask_scores", MultiHeadAttention(num_heads=2, key_dim=2))
    uniform = jax.jit(lambda q, v, m: layer(q, v, attention_mask=m))(
        fast["in_query"], fast["in_value"], fast["in_attention_mask"])
    np.testing.assert_allclose(np.asarray(uniform)[0], fast["output_inference_0"][0], rtol=1e-5,
                               atol=1e-5)


def test_weight_layout_and_paths_are_keras():
    mha = MultiHeadAttention(num_heads=2, key_dim=3, value_dim=4, output_shape=5, name="mha")
    mha(Input((3, 6)), Input((4, 7)), key=Input((4, 8)))
    assert [(w.path, w.shape) for w in mha.weights] == [
        ("mha/query/kernel", (6, 2, 3)), ("mha/query/bias", (2, 3)),
        ("mha/key/kernel", (8, 2, 3)), ("mha/key/bias", (2, 3)),
        ("mha/value/kernel", (7, 2, 4)), ("mha/value/bias", (2, 4)),
        ("mha/attention_output/kernel", (2, 4, 5)), ("mha/attention_output/bias", (5,))]
    assert mha.query_dense.kernel is mha.weights[0]
    assert mha.output_dense.name == "attention_output"


def test_functional_graph_records_every_input_in_keras_order():
    x, y, z, mask = Input((3, 4)), Input((5, 4)), Input((5, 4)), Input((3, 5), dtype="bool")
    k = layers.Dense(4, name="dk")(z)
    q = layers.Dense(4, name="dq")(x)
    v = layers.Dense(4, name="dv")(y)
    out = MultiHeadAttention(2, 2, name="mha")(q, v, key=k, attention_mask=mask)
    model = Model([x, y, z, mask], out)
    # As Keras: the query, value and key branches in argument order.
    assert [w.path for w in model.weights][:6] == ["dq/kernel", "dq/bias", "dv/kernel",
                                                   "dv/bias", "dk/kernel", "dk/bias"]
    clone = type(model).from_config(json.loads(json.dumps(model.get_config())))
    assert [w.path for w in clone.weights] == [w.path for w in model.weights]
    assert clone.output.shape == (None, 3, 4)


def test_keras_masks_from_embedding():
    data = load("mha_embedding_mask")
    tokens = Input((5,), dtype="int32")
    embedded = layers.Embedding(8, 6, mask_zero=True)(tokens)
    model = Model(tokens, MultiHeadAttention(num_heads=2, key_dim=3)(embedded, embedded))
    model.set_weights([data[f"weight_{i}"] for i in range(int(data["num_weights"]))])
    out = model(data["tokens"])
    np.testing.assert_allclose(np.asarray(out), data["output"], rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(np.asarray(masking.get_mask(out)), data["mask"])


def test_multi_head_attention_harness():
    run_multi_input_layer_test(
        MultiHeadAttention, {"num_heads": 2, "key_dim": 3, "value_dim": 2}, [(2, 4, 5), (2, 3, 6)],
        lambda layer, xs: layer(xs[0], xs[1]), (2, 4, 5),
        expected_trainable=5 * 6 + 6 + 6 * 6 + 6 + 6 * 4 + 4 + 4 * 5 + 5,
        train=False)  # freezing under fit: the transformer test below


def test_attention_scores_shape_in_functional_model():
    q, v = Input((4, 6)), Input((3, 6))
    out, scores = MultiHeadAttention(num_heads=2, key_dim=3, output_shape=(2, 5))(
        q, v, return_attention_scores=True)
    assert out.shape == (None, 4, 2, 5) and scores.shape == (None, 2, 4, 3)
    assert MultiHeadAttention(2, 3).compute_output_shape((None, 4, 6), (None, 3, 6)) == \
        (None, 4, 6)


def test_transformer_block_trains_and_frozen_attention_stays_bit_identical(tmp_path):
    tokens = Input((6,), dtype="int32")
    x = layers.Embedding(10, 8)(tokens)
    mha = MultiHeadAttention(num_heads=2, key_dim=4)
    x = layers.Add()([x, mha(x, x, use_causal_mask=True)])
    outputs = layers.Dense(3, activation="softmax")(layers.GlobalAveragePooling1D()(x))
    model = Model(tokens, outputs)
    model.compile(optimizer=hoarfrost.optimizers.Adam(0.02),
                  loss="sparse_categorical_crossentropy")
    rng = np.random.default_rng(0)
    x_data = rng.integers(0, 10, size=(32, 6)).astype("int32")
    y_data = (x_data[:, 0] % 3).astype("int32")  # learnable from the first token
    start = [w.numpy() for w in mha.weights]
    history = model.fit(x_data, y_data, epochs=8, batch_size=8, verbose=0)
    assert history.history["loss"][-1] < 0.7 * history.history["loss"][0]
    assert all(not np.array_equal(a, w.numpy()) for a, w in zip(start, mha.weights))

    mha.trainable = False
    frozen = [w.numpy() for w in mha.weights]
    embedding = model.layers[1].embeddings.numpy()
    model.fit(x_data, y_data, epochs=1, batch_size=8, verbose=0)
    for before, w in zip(frozen, mha.weights):
        assert np.array_equal(before, w.numpy()), w.path
    # Gradients still flow through the frozen attention to the embedding.
    assert not np.array_equal(embedding, model.layers[1].embeddings.numpy())

    path = tmp_path / "transformer.keras"
    model.save(path)
    loaded = load_model(path)
    assert not loaded.get_layer(mha.name).trainable
    np.testing.assert_array_equal(loaded.predict(x_data, verbose=0),
                                  model.predict(x_data, verbose=0))


def test_multi_head_attention_errors_name_the_layer():
    with pytest.raises(ValueError, match=r'"m1".*num_heads.*positive.*0'):
        MultiHeadAttention(num_heads=0, key_dim=2, name="m1")
    with pytest.raises(ValueError, match=r'"m2".*needs a `value`'):
        MultiHeadAttention(2, 2, name="m2")(np.ones((1, 2, 3), np.float32))
    with pytest.raises(ValueError, match=r'"m3".*value and key.*\(None, 4, 3\).*\(None, 5, 3\)'):
        MultiHeadAttention(2, 2, name="m3")(np.ones((1, 2, 3), np.float32),
                                           np.ones((1, 4, 3), np.float32),
                                           key=np.ones((1, 5, 3), np.float32))
    with pytest.raises(ValueError, match=r'"m4".*rank >= 3'):
        MultiHeadAttention(2, 2, name="m4")(np.ones((1, 3), np.float32),
                                           np.ones((1, 3), np.float32))
    with pytest.raises(NotImplementedError, match="flash_attention"):
        MultiHeadAttention(2, 2, flash_attention=True)


@pytest.mark.parametrize("name,rtol", [("attn_dot_scale_scores", 1e-5),
                                       ("attn_concat_causal", 1e-5),
                                       ("attn_additive_scores", 1e-5)])
def test_attention_layers_match_keras(name, rtol):
    layer = check_keras_fixture(name, rtol=rtol, atol=1e-5)
    assert_config_keys(layer, name)


def test_masked_attention_layers_match_keras():
    check_named_fixture("attn_masked", Attention(dropout=0.4))
    check_named_fixture("attn_additive_masked_no_scale", AdditiveAttention(use_scale=False))


@pytest.mark.parametrize("cls,kwargs,count", [
    (Attention, {"use_scale": True, "score_mode": "concat"}, 2),
    (AdditiveAttention, {}, 4),
])
def test_attention_harness(cls, kwargs, count):
    run_multi_input_layer_test(cls, kwargs, [(2, 3, 4), (2, 5, 4)], lambda layer, xs: layer(xs),
                               (2, 3, 4), expected_trainable=count)


def test_attention_output_keeps_query_mask_and_zeroes_masked_queries():
    q, v = np.ones((1, 3, 2), np.float32), np.ones((1, 4, 2), np.float32)
    q_mask = np.array([[True, False, True]])
    out = Attention()([q, v], mask=[q_mask, None])
    np.testing.assert_array_equal(np.asarray(out)[0, 1], 0.0)
    np.testing.assert_array_equal(np.asarray(masking.get_mask(out)), q_mask)
    with pytest.raises(ValueError, match=r'"att".*list of 2 or 3 inputs'):
        Attention(name="att")([q])
    with pytest.raises(ValueError, match="score_mode"):
        Attention(score_mode="general")


def test_layers_after_attention_get_keras_s_names():
    """Keras's MultiHeadAttention builds a Softmax and a Dropout inside, which take the
    "softmax" and "dropout" names: the model's own layers after it are numbered on."""
    x = Input((4, 8))
    h = layers.Dropout(0.1)(x)
    h = MultiHeadAttention(num_heads=2, key_dim=4)(h, h)
    h = layers.Dropout(0.1)(h)
    out = layers.Softmax()(h)
    assert [layer.name for layer in Model(x, out).layers[1:]] == [
        "dropout", "multi_head_attention", "dropout_2", "softmax_1"]
