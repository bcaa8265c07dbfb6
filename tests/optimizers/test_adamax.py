"""Adamax against Keras 3 (fixture: tools/keras_fixtures/optimizers.py)."""

from tests.optimizers.keras_fixture import check_case


def test_equals_keras():
    check_case("adamax")
