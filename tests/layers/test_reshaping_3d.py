"""ZeroPadding3D, Cropping3D, UpSampling3D: Keras's outputs and config keys."""

import numpy as np
import pytest

from hoarfrost import Input
from hoarfrost.layers import Cropping3D, UpSampling3D, ZeroPadding3D

from tests.layers.fixture_checks import check_breadth_fixture
from tests.layers.harness import run_layer_test


@pytest.mark.parametrize("name", [
    "b2_zero_padding3d", "b2_zero_padding3d_first", "b2_cropping3d", "b2_cropping3d_first",
    "b2_up_sampling3d", "b2_up_sampling3d_first"])
def test_matches_keras(name):
    check_breadth_fixture(name)


@pytest.mark.parametrize("cls, kwargs, out_shape", [
    (ZeroPadding3D, {"padding": (1, 0, 2)}, (2, 4, 2, 6, 1)),
    (Cropping3D, {"cropping": ((1, 0), 0, (0, 1))}, (2, 1, 2, 1, 1)),
    (UpSampling3D, {"size": 2}, (2, 4, 4, 4, 1)),
])
def test_harness(cls, kwargs, out_shape):
    run_layer_test(cls, kwargs, (2, 2, 2, 2, 1), out_shape, 0, train=False)


def test_unknown_sizes_and_bad_arguments():
    assert Cropping3D(1)(Input((None, 4, 4, 2))).shape == (None, None, 2, 2, 2)
    with pytest.raises(ValueError, match="smaller than the spatial size"):
        Cropping3D(((1, 1), 0, 0))(np.zeros((1, 2, 3, 3, 1), "float32"))
    with pytest.raises(ValueError, match="tuple of 3"):
        ZeroPadding3D((1, 2))
    with pytest.raises(ValueError, match="positive"):
        UpSampling3D((2, 0, 1))
