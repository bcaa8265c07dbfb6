"""Nadam against Keras 3 (fixture: tools/keras_fixtures/optimizers.py)."""

from hoarfrost import optimizers
from tests.optimizers.keras_fixture import check_case


def test_equals_keras():
    """Six steps, the slots (Keras's one `u_product` equals each variable's) and `iterations`."""
    check_case("nadam")


def test_combined_with_accumulation_ema_and_clipping_equals_keras():
    check_case("accumulation_ema")


def test_slots():
    assert optimizers.Nadam()._slot_groups() == [("momentum", "velocity")]
