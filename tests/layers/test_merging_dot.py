"""Dot, against Keras."""

import numpy as np
import pytest

from hoarfrost import Input
from hoarfrost.layers.merging import Dot, dot

from tests.layers.harness import check_keras_fixture
from tests.layers.harness_extra import assert_config_keys, run_multi_input_layer_test


@pytest.mark.parametrize("name", ["merge_dot_axes_1_2", "merge_dot_2d", "merge_dot_normalize",
                                  "merge_dot_rank4", "merge_dot_2d_3d"])
def test_matches_keras(name):
    layer = check_keras_fixture(name, rtol=1e-5, atol=1e-5)
    assert_config_keys(layer, name)


@pytest.mark.parametrize("kwargs,shapes,expected", [
    ({"axes": (1, 2)}, [(2, 3, 5), (2, 4, 3)], (2, 5, 4)),
    ({"axes": 1, "normalize": True}, [(2, 4), (2, 4)], (2, 1)),
])
def test_harness(kwargs, shapes, expected):
    run_multi_input_layer_test(Dot, kwargs, shapes, lambda layer, xs: layer(xs), expected, 0,
                               train=False)


def test_cosine_similarity_and_functional_form():
    a = np.array([[3.0, 4.0], [1.0, 0.0]], np.float32)
    b = np.array([[6.0, 8.0], [0.0, 2.0]], np.float32)
    np.testing.assert_allclose(np.asarray(Dot(axes=1, normalize=True)([a, b])), [[1.0], [0.0]],
                               atol=1e-6)
    assert dot([Input((3, 4)), Input((5, 4))], axes=-1).shape == (None, 3, 5)
    assert Dot((2, 1)).compute_output_shape([(None, 3, 4, 5), (None, 4, 6)]) == (None, 3, 5, 6)


def test_errors_name_the_layer():
    with pytest.raises(TypeError, match=r'"d1".*`axes`'):
        Dot(axes="last", name="d1")
    with pytest.raises(ValueError, match=r'"d2".*two integers'):
        Dot(axes=(1, 2, 3), name="d2")
    with pytest.raises(ValueError, match=r'"d3".*axis 1.*size 3.*axis 1.*size 4'):
        Dot(axes=1, name="d3")([Input((3,)), Input((4,))])
    with pytest.raises(ValueError, match=r'"d4".*exactly 2 inputs'):
        Dot(axes=1, name="d4")([Input((3,))])
    with pytest.raises(ValueError, match=r'"d5".*non-batch axis'):
        Dot(axes=0, name="d5")([Input((3,)), Input((3,))])
