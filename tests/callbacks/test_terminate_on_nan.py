"""`TerminateOnNaN` when the loss turns NaN: training stops at the right batch, the
weights are the last finite ones kept, frozen variables and their optimizer slots are
untouched, and no callback hears of a batch after the stop, also inside a chunk of
`steps_per_execution` steps."""

import math

import jax
import numpy as np
import pytest

import hoarfrost
from hoarfrost import Sequential, layers, optimizers
from hoarfrost.callbacks import Callback, TerminateOnNaN

X = np.random.default_rng(0).normal(size=(64, 4)).astype("float32")
Y = np.random.default_rng(1).normal(size=(64, 1)).astype("float32")


def diverging(steps_per_execution):
    """A model whose layers all have Adam slots, then with layer "frozen" frozen and a
    learning rate that makes the loss NaN a few batches into the next epoch."""
    hoarfrost.utils.set_random_seed(5)
    model = Sequential([layers.Dense(8, activation="relu", input_dim=4, name="a"),
                        layers.Dense(8, activation="relu", name="frozen"),
                        layers.Dense(1, name="head")])
    model.compile(optimizers.Adam(0.01), "mse", steps_per_execution=steps_per_execution)
    model.fit(X, Y, batch_size=4, epochs=1, shuffle=False, verbose=0)
    model.get_layer("frozen").trainable = False
    model.optimizer.learning_rate = 1e8
    return model


def frozen_state(model) -> list:
    variables = model.get_layer("frozen").weights
    slots = model.optimizer.snapshot(variables).slots
    return [np.asarray(v.value) for v in variables] + [
        np.asarray(leaf) for leaf in jax.tree.leaves(slots)]


def state(model) -> list:
    slots = model.optimizer.snapshot(model.weights).slots
    return model.get_weights() + [np.asarray(leaf) for leaf in jax.tree.leaves(slots)] + [
        np.asarray(model.optimizer.iterations.value)]


def same(a, b) -> bool:
    return len(a) == len(b) and all(np.array_equal(x, y) for x, y in zip(a, b))


class Record(Callback):
    """The state at each batch's begin, and each batch's end and loss, as callbacks see."""

    def __init__(self):
        super().__init__()
        self.begins, self.ends, self.losses = {}, [], []

    def on_train_batch_begin(self, batch, logs=None):
        self.begins.setdefault(batch, state(self.model))

    def on_train_batch_end(self, batch, logs=None):
        self.ends.append(batch)
        self.losses.append(float(np.asarray(logs["loss"])))


@pytest.mark.parametrize("steps_per_execution", ["auto", 8])
def test_terminate_on_nan_stops_at_the_bad_batch_keeping_finite_and_frozen_state(
        capsys, steps_per_execution):
    chunk = 1 if steps_per_execution == "auto" else steps_per_execution
    model = diverging(steps_per_execution)
    initial = (model.get_weights(), model.optimizer.snapshot(model.weights))
    reference = Record()
    model.fit(X, Y, batch_size=4, epochs=1, shuffle=False, verbose=0, callbacks=[reference])
    bad = next(i for i, loss in enumerate(reference.losses) if not math.isfinite(loss))
    assert 0 < bad % 8 < 7, "the loss should turn NaN inside a chunk of 8"
    # The copies kept: from before the chunk holding the bad batch, and the one before;
    # the newest finite one is put back (weights can overflow before the loss does).
    start = bad - bad % chunk
    restored = next(b for b in (start, start - chunk)
                    if all(np.isfinite(w).all() for w in reference.begins[b][:6]))

    model.set_weights(initial[0])  # the same model again: nothing compiles anew
    model.optimizer.restore(initial[1])
    frozen = frozen_state(model)
    guard, after = TerminateOnNaN(), Record()
    history = model.fit(X, Y, batch_size=4, epochs=3, shuffle=False, verbose=0,
                        callbacks=[guard, after])
    assert (guard.nan_epoch, guard.nan_batch, guard.restored_batch) == (0, bad, restored)
    assert after.ends == list(range(bad + 1))  # nothing fires after the stop
    assert model.stop_training and len(history.history["loss"]) == 1
    out = capsys.readouterr().out
    assert f"Batch {bad} (epoch 1): invalid loss nan" in out
    where = "before that batch" if restored == bad else f"before batch {restored} of epoch 1"
    assert f"restored the weights from {where} (the last finite ones)" in out
    assert out.count("invalid loss") == 1
    # The last finite state kept: weights, slots, step count.
    assert same(state(model), reference.begins[restored])
    assert all(np.isfinite(w).all() for w in model.get_weights())
    assert same(frozen_state(model), frozen)  # frozen weights and slots, bit for bit
    # Its restored buffers are live ones: fit goes on from there (undonated, unaliased).
    steps = int(model.optimizer.iterations.value)
    model.fit(X, Y, batch_size=4, epochs=1, verbose=0)
    assert int(model.optimizer.iterations.value) == steps + len(X) // 4
