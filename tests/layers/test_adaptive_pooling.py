"""AdaptiveAveragePooling1D/2D/3D and AdaptiveMaxPooling1D/2D/3D: Keras's outputs and
config keys; symbolic shapes."""

import pytest

from hoarfrost import Input
from hoarfrost.layers import AdaptiveAveragePooling2D, AdaptiveMaxPooling1D

from tests.layers.fixture_checks import check_breadth_fixture


@pytest.mark.parametrize("kind", ["average", "max"])
@pytest.mark.parametrize("case", ["1d", "2d", "2d_first", "3d"])
def test_matches_keras(kind, case):
    check_breadth_fixture(f"b2_adaptive_{kind}{case}")


def test_shapes_and_errors():
    assert AdaptiveAveragePooling2D((2, 3))(Input((7, 9, 4))).shape == (None, 2, 3, 4)
    assert AdaptiveMaxPooling1D(2, data_format="channels_first")(Input((3, 8))).shape == \
        (None, 3, 2)
    with pytest.raises(TypeError, match="tuple of 2"):
        AdaptiveAveragePooling2D((1, 2, 3))
