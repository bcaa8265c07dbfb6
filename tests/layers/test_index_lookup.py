"""StringLookup and IntegerLookup: Keras's vocabularies, indices and encodings."""

import jax
import numpy as np
import pytest

from hoarfrost.layers import IntegerLookup, StringLookup

from tests.layers.fixture_checks import replay_preprocessing_fixture


@pytest.mark.parametrize("name", [
    "prep_string_lookup_vocab", "prep_string_lookup_adapt_mask_oov2",
    "prep_string_lookup_multi_hot", "prep_string_lookup_count_pad", "prep_string_lookup_tf_idf",
    "prep_string_lookup_tf_idf_given", "prep_string_lookup_oov_salt",
    "prep_integer_lookup_vocab", "prep_integer_lookup_adapt_mask_floormod",
    "prep_integer_lookup_farmhash", "prep_integer_lookup_one_hot",
    "prep_integer_lookup_invert"])
def test_matches_keras(name):
    replay_preprocessing_fixture(name)


def test_string_invert_maps_indices_back():
    # (Keras 3.15 on JAX fails here; the mapping is its TensorFlow one.)
    layer = StringLookup(vocabulary=["a", "b", "c"], invert=True, mask_token="[MASK]")
    out = layer(np.array([[0, 1, 2], [3, 4, 9]]))
    assert out.tolist() == [["[MASK]", "[UNK]", "a"], ["b", "c", "[UNK]"]]


def test_adapted_vocabulary_survives_the_config():
    layer = StringLookup(output_mode="tf_idf")
    layer.adapt(np.array([["a", "b"], ["a", "c"]]))
    clone = StringLookup.from_config(layer.get_config())
    x = np.array([["a", "c", "z"]])
    np.testing.assert_allclose(np.asarray(clone(x)), np.asarray(layer(x)), rtol=1e-6)
    with pytest.raises(ValueError, match="after setting a static vocabulary"):
        clone.adapt(np.array(["a"]))


def test_integer_lookup_runs_compiled_and_strings_do_not():
    layer = IntegerLookup(vocabulary=[5, 7, 9], num_oov_indices=2)
    x = np.array([[5, 6, 9, 11]])
    np.testing.assert_array_equal(np.asarray(jax.jit(layer)(x)), np.asarray(layer(x)))
    with pytest.raises(ValueError, match="num_oov_indices=0"):
        jax.jit(IntegerLookup(vocabulary=[1], num_oov_indices=0))(x)
    with pytest.raises(ValueError, match="runs on the host"):
        jax.jit(lambda v: StringLookup(vocabulary=["a"])(v))(x)


@pytest.mark.parametrize("make, message", [
    (lambda: StringLookup(vocabulary=["a", "a"]), "repeated"),
    (lambda: StringLookup(vocabulary=["a", ""], mask_token=""), "mask token"),
    (lambda: StringLookup(output_mode="tf_idf", vocabulary=["a"]), "idf_weights"),
    (lambda: StringLookup(max_tokens=3, vocabulary=["a", "b", "c"]), "max_tokens"),
    (lambda: StringLookup(sparse=True, output_mode="multi_hot"), "sparse"),
    (lambda: IntegerLookup(vocabulary_dtype="int32"), "int64"),
    (lambda: StringLookup(invert=True, output_mode="count"), "invert"),
])
def test_bad_arguments_name_themselves(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_num_oov_indices_zero_rejects_unknown_tokens():
    with pytest.raises(ValueError, match=r"out-of-vocabulary values \['z'\]"):
        StringLookup(vocabulary=["a"], num_oov_indices=0)(np.array(["a", "z"]))
