"""TextVectorization without TensorFlow: Keras's standardization, splitting, n-grams,
vocabularies and output modes, and its use with fit."""

import numpy as np
import pytest

from hoarfrost import Sequential, layers
from hoarfrost.layers import TextVectorization

from tests.layers.fixture_checks import replay_preprocessing_fixture


@pytest.mark.parametrize("name", [
    "prep_text_int", "prep_text_int_ragged_len", "prep_text_bigrams_multi_hot",
    "prep_text_count_lower", "prep_text_tf_idf", "prep_text_character_strip",
    "prep_text_vocabulary_none_split", "prep_text_adapt_batches"])
def test_matches_keras(name):
    replay_preprocessing_fixture(name)


def test_in_the_input_pipeline_with_fit_and_after_a_config_round_trip():
    texts = np.array(["good movie", "bad movie", "good good fun", "bad awful"] * 4)
    labels = np.array([1, 0, 1, 0] * 4, "float32")
    vectorize = TextVectorization(output_mode="multi_hot")
    vectorize.adapt(texts)
    model = Sequential([layers.Input((vectorize.vocabulary_size(),)),
                        layers.Dense(1, activation="sigmoid")])
    model.compile("adam", "binary_crossentropy")
    x = vectorize(texts)
    history = model.fit(x, labels, epochs=5, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    clone = TextVectorization.from_config(vectorize.get_config())
    np.testing.assert_array_equal(np.asarray(clone(texts)), np.asarray(x))


def test_callables_and_host_only():
    layer = TextVectorization(standardize=lambda s: np.char.upper(s.astype(str)),
                              split=lambda s: s.split("-"), output_sequence_length=3)
    layer.adapt(["a-b", "b-c"])
    assert layer.get_vocabulary()[2:] == ["B", "C", "A"]
    np.testing.assert_array_equal(np.asarray(layer(["c-a"])), [[3, 4, 0]])
    with pytest.raises(ValueError, match="runs on the host"):
        layer(layers.Input((1,)))
    with pytest.raises(ValueError, match="ragged=True"):
        TextVectorization(ragged=True)
