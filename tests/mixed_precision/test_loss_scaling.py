"""float16 loss scaling in training: `compile()` wraps the optimizer in
`optimizers.LossScaleOptimizer` under "mixed_float16" as Keras does, each step
scales the loss and lets the optimizer unscale and skip non-finite steps, the
scale state lives on the optimizer across chunks, trainable-set changes and
`compile()`, and frozen variables and their slots stay bit-identical.
"""

import jax.numpy as jnp
import numpy as np
import pytest

import hoarfrost
from hoarfrost import Input, Model, config, constraints, layers, optimizers
from hoarfrost.optimizers import LossScaleOptimizer


@pytest.fixture(autouse=True)
def global_policy_restored():
    saved = dict(config._state)
    yield
    config._state.clear()
    config._state.update(saved)


def small_model(policy):
    hoarfrost.mixed_precision.set_global_policy(policy)
    x = Input((4,))
    hidden = layers.Dense(8, activation="relu", name="a")(x)
    # A constraint on "b": a skipped step must not apply it either (bit-identical).
    return Model(x, layers.Dense(2, name="b", kernel_constraint=constraints.MaxNorm(3.0))(hidden))


def test_compile_wraps_the_optimizer_under_mixed_float16_only():
    model = small_model("mixed_float16")
    model.compile(optimizer="adam", loss="mse")
    assert isinstance(model.optimizer, LossScaleOptimizer)
    assert model.optimizer.name == "loss_scale_optimizer"
    assert isinstance(model.optimizer.inner_optimizer, optimizers.Adam)
    wrapped = model.optimizer
    model.compile(optimizer="adam", loss="mse")  # a name, not a reset: the same optimizer
    assert model.optimizer is wrapped
    given = LossScaleOptimizer(optimizers.SGD(), initial_scale=8.0)
    model.compile(optimizer=given, loss="mse")
    assert model.optimizer is given
    model.compile(optimizer=optimizers.SGD(), loss="mse", auto_scale_loss=False)
    assert type(model.optimizer) is optimizers.SGD
    other = small_model("mixed_bfloat16")
    other.compile(optimizer="adam", loss="mse")
    assert type(other.optimizer) is optimizers.Adam  # bfloat16 needs no scaling
    assert hoarfrost.mixed_precision.LossScaleOptimizer is LossScaleOptimizer


def test_scaled_steps_skip_non_finite_keep_frozen_bit_identical_and_resume():
    model = small_model("mixed_float16")
    optimizer = LossScaleOptimizer(optimizers.Adam(0.01), initial_scale=16.0,
                                   dynamic_growth_steps=2)
    model.compile(optimizer=optimizer, loss="mse", steps_per_execution=2)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 4)).astype("float32")
    y = rng.normal(size=(32, 2)).astype("float32")
    a, b = model.get_layer("a"), model.get_layer("b")

    history = model.fit(x, y, batch_size=8, epochs=1, verbose=0)  # 4 finite steps
    assert history.history["loss"][0] < 10.0  # the true loss, not the scaled one
    assert int(optimizer.iterations.numpy()) == 4
    assert float(optimizer.dynamic_scale.numpy()) == 2.0 ** 6  # doubled every 2 steps
    assert a.kernel.dtype == np.float32 and a.kernel.numpy().dtype == np.float32

    # Frozen after compile: values and slots bit-identical; the scale goes on.
    a.trainable = False
    frozen = [w.numpy() for w in a.weights]
    frozen_slots = [{k: np.asarray(v) for k, v in optimizer.slots_for(w).items()}
                    for w in a.weights]
    b_before = b.kernel.numpy()
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    assert all(np.array_equal(f, w.numpy()) for f, w in zip(frozen, a.weights))
    for saved, w in zip(frozen_slots, a.weights):
        assert all(np.array_equal(v, np.asarray(optimizer.slots_for(w)[k]))
                   for k, v in saved.items())
    assert not np.array_equal(b_before, b.kernel.numpy())
    assert float(optimizer.dynamic_scale.numpy()) == 2.0 ** 8
    assert int(optimizer.iterations.numpy()) == 8

    # A step whose float16 gradients overflow changes nothing but the scale.
    optimizer.dynamic_scale.assign(2.0 ** 40)
    everything = [w.numpy() for w in model.weights]
    b_slots = {k: np.asarray(v) for k, v in optimizer.slots_for(b.kernel).items()}
    model.train_on_batch(x[:8], y[:8])
    assert all(np.array_equal(e, w.numpy()) for e, w in zip(everything, model.weights))
    assert all(np.array_equal(v, np.asarray(optimizer.slots_for(b.kernel)[k]))
               for k, v in b_slots.items())
    assert float(optimizer.dynamic_scale.numpy()) == 2.0 ** 39
    assert int(optimizer.step_counter.numpy()) == 0
    assert int(optimizer.iterations.numpy()) == 8  # a skipped step is not counted (Keras)

    # Unfreezing resumes from the preserved slots.
    optimizer.dynamic_scale.assign(2.0 ** 10)
    a.trainable = True
    count = int(optimizer.slots_for(a.kernel)["count"])
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    assert int(optimizer.slots_for(a.kernel)["count"]) == count + 4
    assert not np.array_equal(frozen[0], a.kernel.numpy())
    assert jnp.isfinite(a.kernel.value).all()
