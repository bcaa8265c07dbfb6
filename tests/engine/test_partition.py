"""Trainability toggled before every batch, 200 batches, under AdamW with
BatchNormalization: every step is checked against the bookkeeping of which variables
were trainable when it started, and each distinct trainable set compiles at most once."""

import jax
import numpy as np

from hoarfrost import Sequential, layers, optimizers
from hoarfrost.callbacks import Callback

BATCHES, BATCH = 200, 4
X = np.random.default_rng(0).normal(size=(40, 5)).astype("float32")
Y = np.random.default_rng(1).normal(size=(40, 3)).astype("float32")
FROZEN_SETS = [(), ("a",), ("bn",), ("b",), ("a", "bn")]  # layers frozen for a step


def state(model) -> dict:
    """Each variable's value and optimizer slots (None before it has any), by path."""
    snapshot = model.optimizer.snapshot(model.weights)
    return {v.path: (np.asarray(v.value), None if slots is None else
                     [np.asarray(leaf) for leaf in jax.tree.leaves(slots)])
            for v, slots in zip(model.weights, snapshot.slots)}


class ToggleAndAudit(Callback):
    """Before each batch: freeze a random set of layers and record the state. After it:
    check the step against that record."""

    def __init__(self):
        super().__init__()
        self.order = np.random.default_rng(2).integers(len(FROZEN_SETS), size=BATCHES)
        self.steps, self.used = 0, set()

    def on_train_batch_begin(self, batch, logs=None):
        frozen = FROZEN_SETS[self.order[self.steps]]
        for name in ("a", "bn", "b"):
            self.model.get_layer(name).trainable = name not in frozen
        self.used.add(frozen)
        self.paths = [v.path for v in self.model.weights]
        self.trains = {v.path for v in self.model.trainable_weights}
        self.bn_training = "bn" not in frozen
        self.iterations = int(self.model.optimizer.iterations.value)
        self.before = state(self.model)

    def on_train_batch_end(self, batch, logs=None):
        after, step = state(self.model), self.steps
        assert [v.path for v in self.model.weights] == self.paths  # order never changes
        assert int(self.model.optimizer.iterations.value) == self.iterations + 1
        for path, (value, slots) in self.before.items():
            new_value, new_slots = after[path]
            if path in self.trains:  # updated, slots too
                assert not np.array_equal(value, new_value), (step, path)
                assert new_slots is not None and (slots is None or not all(
                    np.array_equal(a, b) for a, b in zip(slots, new_slots))), (step, path)
            elif path.startswith("bn/moving") and self.bn_training:  # state in training mode
                assert not np.array_equal(value, new_value), (step, path)
            else:  # frozen: value and slots bit for bit (no decay, no drift, no statistics)
                assert np.array_equal(value, new_value), (step, path)
                assert (slots is None) == (new_slots is None), (step, path)
                assert slots is None or all(np.array_equal(a, b)
                                            for a, b in zip(slots, new_slots)), (step, path)
        self.steps += 1


def test_toggling_every_batch_for_200_batches_holds_the_contract():
    model = Sequential([layers.Dense(8, input_dim=5, name="a"),
                        layers.BatchNormalization(name="bn"), layers.Dense(3, name="b")])
    model.compile(optimizers.AdamW(0.01, weight_decay=0.05), "mse")
    audit = ToggleAndAudit()
    model.fit(X, Y, batch_size=BATCH, epochs=BATCHES * BATCH // len(X), shuffle=True,
              verbose=0, callbacks=[audit])
    assert audit.steps == BATCHES and len(audit.used) == len(FROZEN_SETS)
    assert 0 < model.trace_counts["train"] <= len(FROZEN_SETS)
