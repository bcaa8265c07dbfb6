"""Adafactor against Keras 3: factored second moments over the last two dimensions."""

import numpy as np
import pytest

from hoarfrost import optimizers
from hoarfrost.variables import Variable
from tests.optimizers.keras_fixture import check_case


@pytest.mark.parametrize("case", ["adafactor", "adafactor_no_relative_step"])
def test_equals_keras(case):
    check_case(case)


def test_factors_the_last_two_dimensions():
    optimizer = optimizers.Adafactor()
    spec = optimizer.slot_spec(Variable(np.zeros((2, 3, 4), "float32"), name="w"))
    assert {k: v.shape for k, v in spec.items()} == {
        "r": (2, 3), "c": (2, 4), "velocity": (2, 3, 4), "count": ()}
    assert set(optimizer.slot_spec(Variable(np.zeros(4, "float32"), name="b"))) == {
        "velocity", "count"}
