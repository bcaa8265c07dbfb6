"""LossScaleOptimizer: Keras's dynamic loss scaling, in `apply`, `stateless_apply` and `fit`."""

import jax
import numpy as np
import pytest

from hoarfrost import Sequential, layers, optimizers
from hoarfrost.variables import Variable
from tests.optimizers.keras_fixture import check_case


@pytest.mark.parametrize("case", ["loss_scale_optimizer", "loss_scale_optimizer_adam"])
def test_equals_keras(case):
    """Six steps with a non-finite gradient among them (skipped, scale halved), growth
    every `dynamic_growth_steps` finite steps; Keras's variables in Keras's order."""
    check_case(case)


def leaves(optimizer, variable):
    return [np.asarray(leaf) for leaf in jax.tree.leaves(optimizer.slots_for(variable))]


def test_a_non_finite_step_changes_nothing_but_the_scale():
    inner = optimizers.Adam(0.1, use_ema=True, gradient_accumulation_steps=2)
    optimizer = optimizers.LossScaleOptimizer(inner, initial_scale=8.0, dynamic_growth_steps=3)
    w = Variable(np.ones(3, "float32"), name="w")
    optimizer.apply([np.full(3, 8.0, "float32")], [w])  # a finite step: counter 1
    before, slots = w.numpy(), leaves(optimizer, w)
    optimizer.apply([np.array([1.0, np.nan, 1.0], "float32")], [w])
    assert np.array_equal(w.numpy(), before)
    assert all(np.array_equal(a, b) for a, b in zip(leaves(optimizer, w), slots))
    assert int(optimizer.iterations.numpy()) == 0 and int(inner._iterations.numpy()) == 1
    assert float(optimizer.dynamic_scale.numpy()) == 4.0
    assert int(optimizer.step_counter.numpy()) == 0


def test_fit_scales_the_loss_and_grows_the_scale():
    """A power-of-two scale is exact: training equals the inner optimizer's alone, bit for
    bit; the scale doubles every `dynamic_growth_steps` finite steps."""
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(16, 3)).astype("float32"), rng.normal(size=(16, 1)).astype("float32")
    weights = []
    for optimizer in (optimizers.SGD(0.1, momentum=0.9),
                      optimizers.LossScaleOptimizer(optimizers.SGD(0.1, momentum=0.9),
                                                    initial_scale=4.0, dynamic_growth_steps=2)):
        model = Sequential([layers.Dense(2, input_dim=3, kernel_initializer="ones"),
                            layers.Dense(1, kernel_initializer="ones")])
        model.compile(optimizer, "mse")
        model.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0)
        weights.append(model.get_weights())
    assert all(np.array_equal(a, b) for a, b in zip(*weights))
    assert float(optimizer.dynamic_scale.numpy()) == 16.0  # 4 steps: doubled twice
    assert int(optimizer.iterations.numpy()) == 4


def test_fit_skips_overflowing_steps_and_lowers_the_scale():
    x, y = np.full((4, 2), 3.0, "float32"), np.zeros((4, 1), "float32")
    model = Sequential([layers.Dense(1, input_dim=2, kernel_initializer="ones")])
    optimizer = optimizers.LossScaleOptimizer(optimizers.Adam(0.1), initial_scale=2.0 ** 126)
    model.compile(optimizer, "mse")
    before = model.get_weights()
    model.train_on_batch(x, y)  # the scaled loss overflows: no step
    assert all(np.array_equal(a, b) for a, b in zip(model.get_weights(), before))
    assert float(optimizer.dynamic_scale.numpy()) == 2.0 ** 125
    assert int(optimizer.iterations.numpy()) == 0
    for _ in range(8):
        model.train_on_batch(x, y)
    assert int(optimizer.iterations.numpy()) > 0  # the scale came down until steps were finite
    assert not np.array_equal(model.get_weights()[0], before[0])


def test_state_is_snapshotted_saved_and_reset_with_the_slots():
    optimizer = optimizers.LossScaleOptimizer(optimizers.SGD(0.1, momentum=0.5),
                                              initial_scale=8.0)
    w = Variable(np.ones(2, "float32"), name="w")
    optimizer.apply([np.ones(2, "float32")], [w])
    snapshot = optimizer.snapshot([w])
    arrays = optimizer.save_state([w])
    assert float(arrays["dynamic_scale"]) == 8.0 and int(arrays["step_counter"]) == 1
    optimizer.apply([np.full(2, np.inf, "float32")], [w])
    assert float(optimizer.dynamic_scale.numpy()) == 4.0
    optimizer.restore(snapshot)
    assert float(optimizer.dynamic_scale.numpy()) == 8.0
    assert int(optimizer.step_counter.numpy()) == 1
    optimizer.apply([np.full(2, np.inf, "float32")], [w])
    optimizer.load_state(arrays, [w])
    assert float(optimizer.dynamic_scale.numpy()) == 8.0
    with pytest.raises(ValueError, match="'dynamic_scale'"):
        optimizer.load_state({k: v for k, v in arrays.items() if k != "dynamic_scale"}, [w])
    optimizer.reset_slots()
    assert float(optimizer.dynamic_scale.numpy()) == 8.0
    assert int(optimizer.step_counter.numpy()) == 0 and not optimizer.has_slots(w)


def test_rate_and_slots_are_the_inner_optimizers():
    inner = optimizers.SGD(0.1, momentum=0.9)
    optimizer = optimizers.LossScaleOptimizer(inner)
    optimizer.learning_rate = 0.5
    assert float(inner.learning_rate) == 0.5 and float(optimizer.learning_rate) == 0.5
    w = Variable(np.ones(2, "float32"), name="w")
    optimizer.apply([np.ones(2, "float32") * 2.0 ** 15], [w])
    assert np.allclose(inner.slots_for(w)["momentum"], -0.5)
    assert optimizer.scale_loss(2.0) == 2.0 * 2.0 ** 15


@pytest.mark.parametrize("kwargs, message", [
    (dict(weight_decay=0.1), "does not support `weight_decay`"),
    (dict(dynamic=False), "dynamic=False"),
    (dict(clipnorm=1.0), "does not support `clipnorm`"),
    (dict(foo=1), "does not support arguments"),
])
def test_unsupported_arguments_raise_by_name(kwargs, message):
    with pytest.raises(ValueError, match=message):
        optimizers.LossScaleOptimizer(optimizers.SGD(), **kwargs)
    # Keras's own config defaults are accepted (configs of older Keras versions carry them).
    optimizers.LossScaleOptimizer(optimizers.SGD(), use_ema=False, clipnorm=None)


def test_config_round_trip():
    optimizer = optimizers.LossScaleOptimizer(optimizers.Adam(0.01, use_ema=True),
                                              initial_scale=64.0, dynamic_growth_steps=5)
    clone = optimizers.deserialize(optimizers.serialize(optimizer))
    assert type(clone.inner_optimizer) is optimizers.Adam and clone.inner_optimizer.use_ema
    assert clone.get_config() == optimizer.get_config()
