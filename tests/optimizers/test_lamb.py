"""Lamb (Optax's Adam and trust ratio under Keras's slot names) against Keras 3."""

from tests.optimizers.keras_fixture import check_case


def test_equals_keras():
    check_case("lamb")


def test_weight_decay_before_the_trust_ratio_equals_keras():
    """Keras decays the variable first; the trust ratio then uses the decayed norm."""
    check_case("weight_decay")
