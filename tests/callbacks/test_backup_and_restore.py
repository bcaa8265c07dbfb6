"""A fit resumed by `BackupAndRestore` after a crash, and a model saved, loaded and trained
on, end bit for bit where an uninterrupted fit does, in the cases that keep state beyond
the weights: a frozen layer under Adam, BatchNormalization with Dropout, trainability
toggled every epoch under AdamW, a learning-rate schedule under Nesterov SGD.

The crash is taken from the uninterrupted run itself: after epoch `CRASH - 1` its backup
directory is copied (what a process killed then leaves; `test_kill_during_save.py`
kills real processes) and the model is saved.
"""

import shutil

import jax
import numpy as np
import pytest

import hoarfrost
from hoarfrost import Sequential, layers, optimizers
from hoarfrost.callbacks import BackupAndRestore, Callback
from hoarfrost.models import load_model

EPOCHS, CRASH, SEED = 4, 2, 11
X = np.random.default_rng(0).normal(size=(24, 6)).astype("float32")
Y = np.random.default_rng(1).normal(size=(24, 3)).astype("float32")


def frozen_layer_adam():
    model = Sequential([layers.Dense(8, activation="relu", input_dim=6, name="a"),
                        layers.Dense(8, activation="relu", name="frozen"), layers.Dense(3)])
    model.get_layer("frozen").trainable = False
    model.compile(optimizers.Adam(0.01), "mse")
    return model


def batch_norm_dropout():
    model = Sequential([layers.Dense(8, input_dim=6), layers.BatchNormalization(),
                        layers.Dropout(0.3), layers.Dense(3)])
    model.compile(optimizers.Adam(0.01), "mse")
    return model


def toggled_adamw():
    model = Sequential([layers.Dense(8, activation="relu", input_dim=6, name="a"),
                        layers.Dense(3, name="b")])
    model.compile(optimizers.AdamW(0.01, weight_decay=0.1), "mse")
    return model


def schedule_nesterov():
    model = Sequential([layers.Dense(8, activation="tanh", input_dim=6), layers.Dense(3)])
    model.compile(optimizers.SGD(SCHEDULE, momentum=0.9, nesterov=True), "mse")
    return model


SCHEDULE = optimizers.schedules.ExponentialDecay(0.05, decay_steps=3, decay_rate=0.5)


class Toggle(Callback):
    """Freezes layer "a" in odd epochs, "b" in even ones (part of the training recipe)."""

    def on_epoch_begin(self, epoch, logs=None):
        self.model.get_layer("a").trainable = epoch % 2 == 0
        self.model.get_layer("b").trainable = epoch % 2 == 1


class CopyAtCrash(Callback):
    """After epoch `CRASH - 1` (its backup written), copy the backup and save the model."""

    def __init__(self, backup, copy, saved):
        super().__init__()
        self.backup, self.copy, self.saved = backup, copy, saved

    def on_epoch_end(self, epoch, logs=None):
        if epoch == CRASH - 1:
            shutil.copytree(self.backup, self.copy)
            self.model.save(self.saved)


CASES = {"frozen layer + Adam": (frozen_layer_adam, []),
         "BatchNormalization + Dropout": (batch_norm_dropout, []),
         "per-epoch toggling + AdamW": (toggled_adamw, [Toggle]),
         "schedule + Nesterov SGD": (schedule_nesterov, [])}


def build(case):
    hoarfrost.utils.set_random_seed(SEED)
    return CASES[case][0]()


def fit(model, case, callbacks, initial_epoch=0):
    hoarfrost.utils.set_random_seed(SEED + 1)
    recipe = [make() for make in CASES[case][1]]
    return model.fit(X, Y, batch_size=8, epochs=EPOCHS, initial_epoch=initial_epoch,
                     callbacks=callbacks + recipe, shuffle=True, verbose=0)


def state(model) -> list:
    """Everything a step reads: weights (with BatchNormalization's statistics), every
    optimizer slot, the step count, the trainable flags."""
    snapshot = model.optimizer.snapshot(model.weights)
    return (model.get_weights() + [np.asarray(leaf) for leaf in jax.tree.leaves(snapshot.slots)]
            + [np.asarray(model.optimizer.iterations.value),
               np.asarray([w.trainable for w in model.weights])])


def same(a, b) -> bool:
    return len(a) == len(b) and all(np.array_equal(x, y) for x, y in zip(a, b))


@pytest.mark.parametrize("case", CASES)
def test_resumed_and_reloaded_fits_end_bit_for_bit_as_an_uninterrupted_one(tmp_path, case):
    backup, crashed, saved = tmp_path / "backup", tmp_path / "crashed", tmp_path / "m.keras"
    reference = build(case)
    history = fit(reference, case, [BackupAndRestore(backup),
                                    CopyAtCrash(backup, crashed, saved)])
    assert not backup.exists() and crashed.exists()

    resumed = build(case)  # a new process would build the model anew
    restore = BackupAndRestore(crashed)
    resumed_history = fit(resumed, case, [restore])
    assert restore.restored_epoch == CRASH and resumed_history.epoch == [2, 3]
    assert same(state(resumed), state(reference))
    assert resumed_history.history["loss"] == history.history["loss"][CRASH:]

    loaded = load_model(saved)  # the schedule too, from its config
    loaded_history = fit(loaded, case, [], initial_epoch=CRASH)
    assert same(state(loaded), state(reference))
    assert loaded_history.history["loss"] == history.history["loss"][CRASH:]
