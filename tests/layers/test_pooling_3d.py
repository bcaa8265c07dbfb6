"""MaxPooling3D, AveragePooling3D and the 3D global poolings: Keras's outputs."""

import pytest

from hoarfrost import layers

from tests.layers.fixture_checks import check_breadth_fixture
from tests.layers.harness import run_layer_test


@pytest.mark.parametrize("name", [
    "pool3d_max", "pool3d_max_same_strided", "pool3d_avg", "pool3d_avg_same",
    "pool3d_global_max", "pool3d_global_avg_keepdims_first"])
def test_matches_keras(name):
    layer = check_breadth_fixture(name)
    assert layer.count_params() == 0


def test_harness_and_aliases():
    run_layer_test(layers.MaxPooling3D, {"pool_size": 2}, (2, 2, 4, 4, 1), (2, 1, 2, 2, 1), 0,
                   train=False)
    run_layer_test(layers.GlobalAveragePooling3D, {}, (2, 2, 3, 4, 2), (2, 2), 0, train=False)
    assert layers.MaxPool3D is layers.MaxPooling3D and layers.AvgPool3D is layers.AveragePooling3D
    assert layers.GlobalMaxPool3D is layers.GlobalMaxPooling3D
    assert layers.GlobalAvgPool3D is layers.GlobalAveragePooling3D
