"""Ftrl against Keras 3 (fixture: tools/keras_fixtures/optimizers.py)."""

import pytest

from hoarfrost import optimizers
from tests.optimizers.keras_fixture import check_case


@pytest.mark.parametrize("case", ["ftrl", "ftrl_regularized"])
def test_equals_keras(case):
    check_case(case)


@pytest.mark.parametrize("argument, value", [
    ("initial_accumulator_value", -0.1), ("learning_rate_power", 0.5),
    ("l1_regularization_strength", -1.0), ("l2_regularization_strength", -1.0),
    ("l2_shrinkage_regularization_strength", -1.0)])
def test_arguments_checked_as_keras(argument, value):
    with pytest.raises(ValueError, match=f"`{argument}`.*{value}"):
        optimizers.Ftrl(**{argument: value})
