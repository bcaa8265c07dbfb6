import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hoarfrost import Input, Model
from hoarfrost.layers.embedding import Embedding
from hoarfrost.saving.serialization import deserialize_layer, serialize_layer

from tests.layers.harness import check_keras_fixture, run_layer_test


def test_embedding():
    run_layer_test(Embedding, {"input_dim": 7, "output_dim": 3}, (2, 5), (2, 5, 3), 21,
                   input_dtype="int32")


def test_embedding_rank_3_indices():
    run_layer_test(Embedding, {"input_dim": 6, "output_dim": 2}, (2, 3, 4), (2, 3, 4, 2), 12,
                   input_dtype="int32")


def test_embedding_looks_up_rows_and_casts_float_indices():
    layer = Embedding(4, 2)
    layer.build(None)
    table = np.arange(8, dtype=np.float32).reshape(4, 2)
    layer.set_weights([table])
    assert [w.path for w in layer.weights] == [f"{layer.name}/embeddings"]
    np.testing.assert_array_equal(np.asarray(layer(np.array([[3, 0, 1]]))), table[[[3, 0, 1]]])
    np.testing.assert_array_equal(np.asarray(layer(np.array([[2.0, 1.0]], np.float32))),
                                  table[[[2, 1]]])


def test_embedding_default_initializer_is_keras_uniform():
    layer = Embedding(300, 40)
    layer.build(None)
    values = layer.get_weights()[0]
    assert values.min() >= -0.05 and values.max() <= 0.05
    assert abs(values.std() - 0.1 / np.sqrt(12)) < 0.002
    assert layer.get_config()["embeddings_initializer"]["class_name"] == "RandomUniform"


def test_compute_mask():
    tokens = np.array([[1, 0, 2], [0, 0, 3]])
    assert Embedding(4, 2).compute_mask(tokens) is None
    np.testing.assert_array_equal(np.asarray(Embedding(4, 2, mask_zero=True).compute_mask(tokens)),
                                  tokens != 0)


def test_weights_and_input_length_arguments():
    table = np.ones((5, 2), np.float32)
    layer = Embedding(5, 2, weights=[table])
    assert layer.built
    np.testing.assert_array_equal(layer.get_weights()[0], table)
    assert Embedding(5, 2, input_length=7)._batch_input_shape == (None, 7)


@pytest.mark.parametrize("bad", [0, -3, 2.5, True, None])
def test_rejects_bad_dims(bad):
    with pytest.raises(ValueError, match="input_dim"):
        Embedding(bad, 3)
    with pytest.raises(ValueError, match="output_dim"):
        Embedding(3, bad)


def test_config_round_trip_through_serialization():
    layer = Embedding(9, 4, mask_zero=True, embeddings_regularizer="l2", name="tok")
    clone = deserialize_layer(serialize_layer(layer), {"Embedding": Embedding})
    assert clone.get_config() == layer.get_config()
    assert clone.mask_zero and clone.name == "tok"


def test_symbolic_unknown_sequence_length():
    inputs = Input(shape=(None,), dtype="int32")
    out = Embedding(5, 3)(inputs)
    assert out.shape == (None, None, 3)
    model = Model(inputs, out)
    assert model.predict(np.array([[1, 2, 3, 4]]), verbose=0).shape == (1, 4, 3)
    assert model.predict(np.array([[1, 2]]), verbose=0).shape == (1, 2, 3)


@settings(max_examples=12, deadline=None)
@given(batch=st.integers(1, 4), length=st.integers(1, 6), vocab=st.integers(1, 8),
       dim=st.integers(1, 5))
def test_embedding_shapes_fuzzed(batch, length, vocab, dim):
    layer = Embedding(vocab, dim, embeddings_initializer="zeros")  # only shapes matter
    x = np.random.default_rng(0).integers(0, vocab, size=(batch, length))
    layer.build(None)
    table = np.arange(vocab * dim, dtype=np.float32).reshape(vocab, dim)
    layer.set_weights([table])
    out = layer(x)
    assert out.shape == (batch, length, dim)
    assert layer.count_params() == vocab * dim
    np.testing.assert_array_equal(np.asarray(out), table[x])


@pytest.mark.parametrize("name", ["emb_basic", "emb_rank3"])
def test_matches_keras(name):
    check_keras_fixture(name, cls=Embedding)
