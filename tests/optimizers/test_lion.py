"""Lion (Optax's `scale_by_lion` under Keras's slot name) against Keras 3."""

import pytest

from hoarfrost import optimizers
from tests.optimizers.keras_fixture import check_case


def test_equals_keras():
    check_case("lion")


def test_beta_1_range():
    with pytest.raises(ValueError, match="beta_1"):
        optimizers.Lion(beta_1=0.0)
