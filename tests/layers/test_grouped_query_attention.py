"""GroupedQueryAttention (GroupQueryAttention): Keras's weights, outputs, scores, masks
and config keys; counts and freezing through the harness."""

import numpy as np
import pytest

from hoarfrost.layers import GroupedQueryAttention, GroupQueryAttention
from hoarfrost.object_registration import builtin_class

from tests.layers.harness import check_named_fixture, load, run_multi_input_layer_test


@pytest.mark.parametrize("name", [
    "b2_gqa_self", "b2_gqa_cross_scores", "b2_gqa_mask_causal", "b2_gqa_gate_window"])
def test_matches_keras(name):
    import json
    kwargs = json.loads(str(load(name)["kwargs"]))
    check_named_fixture(name, GroupQueryAttention(**kwargs))


def test_harness_counts_and_freezing():
    # query (4*3*2 + 3*2), key and value (4*1*2 + 1*2 each), output (3*2*4 + 4).
    run_multi_input_layer_test(
        GroupedQueryAttention, {"head_dim": 2, "num_query_heads": 3, "num_key_value_heads": 1},
        [(2, 3, 4), (2, 5, 4)], lambda layer, xs: layer(xs[0], xs[1]), (2, 3, 4),
        30 + 10 + 10 + 28)


def test_errors_and_names():
    assert builtin_class("GroupQueryAttention") is GroupedQueryAttention
    with pytest.raises(ValueError, match="divisible"):
        GroupedQueryAttention(2, 3, 2)
    with pytest.raises(ValueError, match="length, features"):
        layer = GroupedQueryAttention(2, 2, 1)
        x = np.ones((1, 2, 2, 3), "float32")
        layer(x, x)


def test_a_dropout_after_it_gets_keras_s_name():
    """Keras's GroupedQueryAttention builds a Softmax and a Dropout inside (their names)."""
    from hoarfrost import Input, layers
    x = Input((4, 8))
    GroupedQueryAttention(head_dim=4, num_query_heads=2, num_key_value_heads=1)(x, x)
    assert layers.Dropout(0.1).name == "dropout_1"
    assert layers.Softmax().name == "softmax_1"
