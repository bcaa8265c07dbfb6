"""ReversibleEmbedding: Keras's lookup and reverse logits (tied, untied, soft cap), masks,
config keys, and freezing under fit."""

import numpy as np
import pytest

from hoarfrost import Input, Model
from hoarfrost.layers import ReversibleEmbedding

from tests.layers.fixture_checks import check_breadth_fixture
from tests.layers.harness import run_layer_test


@pytest.mark.parametrize("name", [
    "b2_reversible_tied", "b2_reversible_tied_reverse", "b2_reversible_untied",
    "b2_reversible_untied_reverse", "b2_reversible_soft_cap", "b2_reversible_soft_cap_reverse"])
def test_matches_keras(name):
    check_breadth_fixture(name)


def test_masks_and_shapes():
    layer = ReversibleEmbedding(5, 3, mask_zero=True)
    ids = np.array([[1, 0, 2]], "int32")
    hidden = layer(ids)
    assert np.array_equal(np.asarray(layer.compute_mask(ids)), [[True, False, True]])
    assert layer.compute_mask(hidden) is None
    assert layer(Input((4, 3)), reverse=True).shape == (None, 4, 5)
    assert layer(Input((4,), dtype="int32")).shape == (None, 4, 3)


def test_harness_untied_and_tied_training():
    run_layer_test(ReversibleEmbedding, {"input_dim": 6, "output_dim": 2, "tie_weights": False},
                   (2, 3), (2, 3, 2), 6 * 2 * 2, input_dtype="int32", train=False)
    # Tied weights train through both directions; frozen, they stay bit-identical.
    rng = np.random.default_rng(0)
    ids = rng.integers(0, 6, size=(8, 3)).astype("int32")
    inputs = Input((3,), dtype="int32")
    layer = ReversibleEmbedding(6, 2)
    model = Model(inputs, layer(layer(inputs), reverse=True))
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    before = layer.embeddings.numpy()
    model.fit(ids, ids, epochs=1, batch_size=4, verbose=0)
    assert not np.array_equal(before, layer.embeddings.numpy())
    layer.trainable = False
    before = layer.embeddings.numpy()
    model.fit(ids, ids, epochs=1, batch_size=4, verbose=0)
    assert np.array_equal(before, layer.embeddings.numpy())


def test_quantization_is_refused():
    with pytest.raises(NotImplementedError, match="quantization"):
        ReversibleEmbedding(4, 2, dtype="int8_from_float32")
