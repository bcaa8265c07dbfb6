"""GroupNormalization, RMSNormalization, UnitNormalization and
BatchNormalization(renorm=True): Keras's outputs, weights and state updates."""

import numpy as np
import pytest

from hoarfrost import Input, Sequential
from hoarfrost.layers import (BatchNormalization, Dense, GroupNormalization, RMSNormalization,
                              UnitNormalization)

from tests.layers.fixture_checks import check_breadth_fixture
from tests.layers.harness import run_layer_test


@pytest.mark.parametrize("name", [
    "norm_group", "norm_group_axis1_no_center", "norm_group_instance", "norm_rms",
    "norm_rms_two_axes", "norm_unit", "norm_unit_two_axes", "norm_batch_renorm",
    "norm_batch_renorm_clipped"])
def test_matches_keras(name):
    check_breadth_fixture(name, rtol=1e-5, atol=1e-5)


def test_group_normalization_harness_and_instance_groups():
    layer = run_layer_test(GroupNormalization, {"groups": 2}, (2, 3, 4), (2, 3, 4), 8)
    assert [w.path.split("/")[-1] for w in layer.weights] == ["gamma", "beta"]
    instance = GroupNormalization(groups=-1)
    instance(np.ones((1, 2, 6), "float32"))
    assert instance.get_config()["groups"] == 6  # as Keras: resolved at build


def test_rms_and_unit_normalization_harness():
    rms = run_layer_test(RMSNormalization, {}, (2, 3, 4), (2, 3, 4), 4)
    assert rms.get_config()["axis"] == [-1]  # Keras stores the axes as a list once built
    run_layer_test(UnitNormalization, {"axis": [1, 2]}, (2, 3, 4), (2, 3, 4), 0, train=False)
    out = np.asarray(UnitNormalization()(np.array([[3.0, 4.0], [0.0, 0.0]], "float32")))
    np.testing.assert_allclose(out, [[0.6, 0.8], [0.0, 0.0]], rtol=1e-6)


def test_renorm_state_is_non_trainable_and_frozen_layer_keeps_it_bit_identical():
    layer = run_layer_test(BatchNormalization, {"renorm": True}, (4, 3), (4, 3), 6, 15)
    assert [w.path.split("/")[-1] for w in layer.non_trainable_weights] == [
        "moving_mean", "moving_variance", "moving_stddev", "renorm_mean", "renorm_stddev"]
    # Trainable: fit moves the renorm statistics; frozen (above, in the harness): not a bit.
    model = Sequential([Input((3,)), BatchNormalization(renorm=True), Dense(1)])
    model.compile("sgd", "mse")
    bn = model.layers[0]
    before = [w.numpy() for w in bn.non_trainable_weights]
    x = np.random.default_rng(0).normal(size=(8, 3)).astype("float32") * 3 + 1
    model.fit(x, x[:, :1], batch_size=4, epochs=1, verbose=0)
    assert all(not np.array_equal(b, w.numpy()) for b, w in zip(before, bn.non_trainable_weights))


@pytest.mark.parametrize("make, message", [
    (lambda: GroupNormalization(groups=0), "`groups` must be a positive integer"),
    (lambda: BatchNormalization(renorm=True, renorm_clipping={"rmid": 1}), "renorm_clipping"),
    (lambda: BatchNormalization(renorm=True, renorm_clipping={"rmax": 1, "rmin": 2}),
     "rmax >= rmin"),
    (lambda: UnitNormalization(axis="last"), "`axis`"),
])
def test_bad_arguments_name_themselves(make, message):
    with pytest.raises((ValueError, TypeError), match=message):
        make()


def test_groups_must_divide_channels():
    with pytest.raises(ValueError, match="multiple of the number of groups"):
        GroupNormalization(groups=3)(np.ones((1, 4), "float32"))
