"""Adadelta (Optax's `scale_by_adadelta` under Keras's slot names) against Keras 3."""

import optax

from hoarfrost import optimizers
from tests.optimizers.keras_fixture import check_case


def test_equals_keras():
    check_case("adadelta")


def test_is_optax_transformation_with_keras_names():
    slots = optimizers.Adadelta()._transform.init(optax.tree.zeros_like(1.0))
    assert list(slots) == ["accumulated_grad", "accumulated_delta_var"]
