"""Functional graphs: symbolic inputs and outputs of layers and models."""

import numpy as np
import pytest

import hoarfrost
from hoarfrost import layers


def test_feature_extractor_from_layer_outputs_shares_weights():
    """`Model(model.input, model.get_layer(name).output)`, the transfer-learning idiom, on a
    Sequential (also after add() rebuilt it) and on a functional model: the extractor
    computes the inner layer's output with the same variables."""
    seq = hoarfrost.Sequential([hoarfrost.Input((4,)), layers.Dense(3, name="a"),
                                layers.Dense(2, name="b")])
    seq.add(layers.Dense(5, name="c"))
    assert seq.output_shape == (None, 5) and seq.input.shape == (None, 4)
    x = np.arange(8, dtype="float32").reshape(2, 4)
    inp = hoarfrost.Input((4,))
    graph = hoarfrost.Model(inp, layers.Dense(2, name="d")(layers.Dense(3, name="e")(inp)))
    for model, name in ((seq, "a"), (graph, "e")):
        extractor = hoarfrost.Model(model.input, model.get_layer(name).output)
        layer = model.get_layer(name)
        assert extractor.get_layer(name) is layer
        assert extractor.count_params() == layer.count_params()
        np.testing.assert_array_equal(np.asarray(extractor(x)), np.asarray(layer(x)))
    assert graph.input is inp and graph.output.shape == (None, 2)
    with pytest.raises(ValueError, match='"unused".*never been called'):
        layers.Dense(1, name="unused").output


def test_inputs_one_rank_off_are_adapted_as_keras_does():
    """Keras's `_adjust_input_rank`: (n, 4, 4) for Input((4, 4, 1)) is expanded, (n, 3, 1)
    for Input((3,)) squeezed, (n,) for Input((1,)) expanded (Sequential too); any other
    shape still fails, naming the input."""
    images = hoarfrost.Input((4, 4, 1))
    flat = hoarfrost.Model(images, layers.Flatten()(images))
    x = np.arange(32, dtype="float32").reshape(2, 4, 4)
    np.testing.assert_array_equal(flat(x), flat(x[..., None]))
    vectors = hoarfrost.Input((3,))
    identity = hoarfrost.Model(vectors, layers.Identity()(vectors))
    np.testing.assert_array_equal(identity(np.ones((2, 3, 1), "float32")), np.ones((2, 3)))
    scalar = hoarfrost.Sequential([hoarfrost.Input((1,)), layers.Identity()])
    assert scalar(np.ones(5, "float32")).shape == (5, 1)
    with pytest.raises(ValueError, match=r"expected shape \(None, 3\).*\(2, 3, 2\)"):
        identity(np.ones((2, 3, 2), "float32"))
