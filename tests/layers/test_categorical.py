"""CategoryEncoding, Discretization, Hashing (FarmHash / SipHash without TensorFlow):
Keras's outputs."""

import jax
import numpy as np
import pytest

from hoarfrost import Input, Model, layers
from hoarfrost.layers import CategoryEncoding, Discretization, Hashing

from tests.layers.fixture_checks import replay_preprocessing_fixture


@pytest.mark.parametrize("name", [
    "prep_category_multi_hot", "prep_category_one_hot", "prep_category_count_weights",
    "prep_discretization_bins", "prep_discretization_adapt_one_hot",
    "prep_discretization_adapt_count", "prep_hashing", "prep_hashing_mask_salt",
    "prep_hashing_ints_multi_hot", "prep_hashing_floats_one_hot"])
def test_matches_keras(name):
    replay_preprocessing_fixture(name)


def test_count_weights_and_out_of_range_ids():
    layer = CategoryEncoding(3, output_mode="count")
    out = layer(np.array([[0, 2, 2]]), count_weights=np.array([[0.5, 1.0, 2.0]], "float32"))
    np.testing.assert_allclose(np.asarray(out), [[0.5, 0.0, 3.0]])
    with pytest.raises(ValueError, match=r"0 <= values < num_tokens.*from 0 to 3"):
        layer(np.array([[0, 3]]))
    with pytest.raises(ValueError, match="count_weights"):
        CategoryEncoding(3)(np.array([[0]]), count_weights=np.ones((1, 1)))


def test_category_encoding_and_discretization_run_inside_a_compiled_model():
    inputs = Input((3,))
    bins = Discretization(bin_boundaries=[0.0, 1.0], output_mode="int")(inputs)
    outputs = layers.Dense(1)(CategoryEncoding(3, output_mode="multi_hot")(bins))
    model = Model(inputs, outputs)
    model.compile("sgd", "mse")
    x = np.array([[-1.0, 0.5, 2.0], [0.1, 0.2, 0.3]], "float32")
    model.fit(x, np.zeros((2, 1), "float32"), verbose=0)
    np.testing.assert_array_equal(
        np.asarray(jax.jit(lambda v: CategoryEncoding(3)(v))(np.array([[0, 2]]))), [[1, 0, 1]])


def test_hashing_runs_on_the_host_and_says_so_in_a_model():
    with pytest.raises(ValueError, match="runs on the host"):
        Hashing(4)(Input((1,)))
    out = Hashing(3, mask_value="", output_mode="count")(np.array([["", "a", "a"]]))
    assert np.asarray(out)[0, 0] == 1 and np.asarray(out).sum() == 3


def test_discretization_adapt_learns_quantiles_and_round_trips():
    layer = Discretization(num_bins=4)
    layer.adapt(np.arange(100, dtype="float32"))
    assert len(layer.bin_boundaries) == 3
    clone = Discretization.from_config(layer.get_config())
    assert clone.bin_boundaries == layer.bin_boundaries
    with pytest.raises(ValueError, match="not both"):
        Discretization(bin_boundaries=[0.0], num_bins=2)


@pytest.mark.parametrize("name", ["b2_hashed_crossing", "b2_hashed_crossing_three_one_hot",
                                  "b2_hashed_crossing_scalars"])
def test_hashed_crossing_matches_keras(name):
    import json

    from hoarfrost.layers import HashedCrossing
    from tests.layers.harness import load

    data = load(name)
    layer = HashedCrossing(**json.loads(str(data["kwargs"])))
    out = np.asarray(layer([data[f"input_{i}"] for i in range(int(data["num_inputs"]))]))
    np.testing.assert_array_equal(out, data["output"])
    assert sorted(layer.get_config()) == json.loads(str(data["config_keys"]))
    with pytest.raises(ValueError, match="at least two"):
        layer([data["input_0"]])
