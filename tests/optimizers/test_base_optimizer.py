"""The optimizer-state API: the optimizer owns each variable's slots.

What users (and the engine) rely on: a step gathers the slots of the
variables it trains and scatters them back; a snapshot survives later steps
and `restore` puts it back bit for bit; `save_state` / `load_state` round-trip
through a flat dict of arrays keyed by variable path and slot name; nothing
touches the slots of a variable a call does not name.
"""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from hoarfrost import Sequential, layers, optimizers
from hoarfrost.optimizers import OptimizerState, keras_rmsprop, keras_sgd
from hoarfrost.variables import Variable


def trained(optimizer, steps: int = 2):
    """A two-layer model trained `steps` batches with `optimizer`."""
    model = Sequential([layers.Dense(3, input_dim=2, name="a"), layers.Dense(1, name="b")])
    model.compile(optimizer, "mse")
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(4, 2)).astype("float32"), rng.normal(size=(4, 1)).astype("float32")
    for _ in range(steps):
        model.train_on_batch(x, y)
    return model, (x, y)


def leaves(state):
    return [np.asarray(leaf) for leaf in jax.tree.leaves(state)]


def test_slot_names_are_keras_names():
    variable = Variable(np.zeros((2, 3), "float32"), name="w")
    names = {
        optimizers.Adam(): {"count", "momentum", "velocity"},
        optimizers.Adam(amsgrad=True): {"count", "momentum", "velocity", "velocity_hat"},
        optimizers.SGD(momentum=0.9): {"momentum"},
        optimizers.SGD(): set(),
        optimizers.RMSprop(momentum=0.5, centered=True):
            {"velocity", "average_gradient", "momentum"},
    }
    for optimizer, expected in names.items():
        assert set(optimizer.slots_for(variable)) == expected, type(optimizer).__name__
        spec = optimizer.slot_spec(variable)
        assert {k: v.shape for k, v in spec.items()} == {
            k: (() if k == "count" else (2, 3)) for k in expected}


def test_gather_makes_missing_slots_and_scatter_takes_results_back():
    optimizer = optimizers.SGD(0.1, momentum=0.9)
    a, b = (Variable(np.ones(n, "float32"), name=f"v{n}") for n in (2, 3))
    state = optimizer.gather_slots([a, b])
    assert isinstance(state, OptimizerState) and state.variables == (a, b)
    assert state.slots[0] is optimizer.slots_for(a)  # the optimizer's own arrays
    new = state.replace(slots=[{"momentum": jnp.full(2, 5.0)}, None],
                        iterations=state.iterations + 7)
    optimizer.scatter_slots(new)
    assert np.array_equal(optimizer.slots_for(a)["momentum"], [5.0, 5.0])
    assert not optimizer.has_slots(b)  # None drops them
    assert int(optimizer.iterations.numpy()) == 7


def test_state_is_a_pytree_for_jit():
    optimizer = optimizers.Adam()
    variable = Variable(np.ones(2, "float32"), name="v")
    state = optimizer.gather_slots([variable])
    doubled = jax.jit(lambda s: jax.tree.map(lambda x: x * 2, s))(state)
    assert doubled.variables == (variable,)
    assert int(doubled.iterations) == 0 and doubled.slots[0].keys() == state.slots[0].keys()


def test_snapshot_survives_training_and_restore_is_bit_identical():
    model, (x, y) = trained(optimizers.Adam(0.01))
    optimizer = model.optimizer
    snapshot = optimizer.snapshot(model.weights)
    saved = leaves(snapshot.slots)
    model.train_on_batch(x, y)  # donates the optimizer's live arrays
    assert all(np.array_equal(a, b) for a, b in zip(leaves(snapshot.slots), saved))
    assert not all(np.array_equal(a, b) for a, b in zip(leaves(optimizer.snapshot(
        model.weights).slots), saved))
    optimizer.restore(snapshot)
    restored = optimizer.snapshot(model.weights)
    assert all(np.array_equal(a, b) for a, b in zip(leaves(restored.slots), saved))
    assert int(restored.iterations) == 2


def test_restore_drops_slots_made_after_the_snapshot():
    optimizer = optimizers.Adam()
    old, new = Variable(np.ones(2, "float32"), name="old"), Variable(np.ones(3, "float32"),
                                                                      name="new")
    optimizer.build([old])
    snapshot = optimizer.snapshot([old, new])
    assert snapshot.slots[1] is None
    optimizer.build([new])
    optimizer.restore(snapshot)
    assert optimizer.has_slots(old) and not optimizer.has_slots(new)


def test_restore_rejects_slots_of_another_optimizer():
    variable = Variable(np.ones(2, "float32"), name="dense/kernel")
    sgd, adam = optimizers.SGD(momentum=0.9), optimizers.Adam()
    sgd.build([variable])
    with pytest.raises(ValueError, match=r"Adam\.restore\(\).*'dense/kernel'.*momentum"):
        adam.restore(sgd.snapshot([variable]))
    assert not adam.has_slots(variable)


def test_save_state_keys_and_load_state_round_trip_continues_bit_identically():
    model, (x, y) = trained(optimizers.Adam(0.01))
    arrays = model.optimizer.save_state(model.weights)
    assert sorted(arrays) == sorted(
        ["iterations"] + [f"{path}/{slot}" for path in ("a/kernel", "a/bias", "b/kernel",
                                                        "b/bias")
                          for slot in ("count", "momentum", "velocity")])
    assert np.array_equal(arrays["a/kernel/momentum"],
                          model.optimizer.slots_for(model.weights[0])["momentum"])
    assert arrays["iterations"] == 2

    twin, _ = trained(optimizers.Adam(0.01), steps=0)
    twin.set_weights(model.get_weights())
    twin.optimizer.load_state(arrays, twin.weights)
    assert int(twin.optimizer.iterations.numpy()) == 2
    model.train_on_batch(x, y)
    twin.train_on_batch(x, y)
    for mine, theirs in zip(model.get_weights(), twin.get_weights()):
        assert np.array_equal(mine, theirs)


def test_load_state_checks_everything_first():
    model, _ = trained(optimizers.SGD(0.1, momentum=0.9), steps=1)
    optimizer, weights = model.optimizer, model.weights
    arrays = optimizer.save_state(weights)
    before = leaves(optimizer.snapshot(weights))
    broken = {k: v for k, v in arrays.items() if k != "iterations"}
    with pytest.raises(ValueError, match="no 'iterations'"):
        optimizer.load_state(broken, weights)
    with pytest.raises(ValueError, match=r"'a/kernel/momentum' has shape \(1,\)"):
        optimizer.load_state({**arrays, "a/kernel/momentum": np.zeros(1, "float32")}, weights)
    with pytest.raises(ValueError, match=r"\['c/kernel/momentum'\] match no slot"):
        optimizer.load_state({**arrays, "c/kernel/momentum": np.zeros(1, "float32")}, weights)
    assert all(np.array_equal(a, b) for a, b in zip(leaves(optimizer.snapshot(weights)),
                                                     before))
    # A variable without saved slots has none afterwards: the state is what was saved.
    optimizer.load_state({k: v for k, v in arrays.items() if not k.startswith("b/")},
                         weights)
    assert [optimizer.has_slots(v) for v in weights] == [True, True, False, False]


def test_keras_sgd_and_rmsprop_are_optax_transformations():
    """They compose with Optax (the rate reaches them through `chain`'s extra arguments)."""
    w, g = jnp.asarray([1.0, -2.0]), jnp.asarray([3.0, 0.5])
    for transform, first_update in (
            (keras_sgd(momentum=0.9), -0.1 * jnp.clip(g, -1, 1)),
            (keras_rmsprop(rho=0.9), -0.1 * jnp.clip(g, -1, 1) * jax.lax.rsqrt(
                0.1 * jnp.square(jnp.clip(g, -1, 1)) + 1e-7))):
        chained = optax.chain(optax.clip(1.0), transform)
        state = chained.init(w)
        update, state = chained.update(g, state, w, learning_rate=0.1)
        np.testing.assert_allclose(update, first_update, rtol=1e-6)
        assert np.array_equal(optax.apply_updates(w, update), w + update)
