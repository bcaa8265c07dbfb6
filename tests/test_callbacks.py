"""Callbacks with Keras's names, arguments and defaults.

Monitored quantities are driven by a callback that writes a chosen sequence
into the epoch logs (`Scores`), so each rule (patience, min_delta, baseline,
cooldown, ...) is checked on exact numbers while the model really trains.
"""

import csv
import json
import math
import os

import numpy as np
import pytest

import hoarfrost
from hoarfrost import Sequential, callbacks, layers, metrics, optimizers
from hoarfrost.callbacks import (BackupAndRestore, Callback, CallbackList, CSVLogger,
                                 EarlyStopping, LambdaCallback, LearningRateScheduler,
                                 ModelCheckpoint, ReduceLROnPlateau, TerminateOnNaN)

N, FEATURES = 64, 4
RNG = np.random.default_rng(0)
X = RNG.normal(size=(N, FEATURES)).astype("float32")
Y = (X @ RNG.normal(size=(FEATURES, 1)) + 0.1 * RNG.normal(size=(N, 1))).astype("float32")


def fresh_regression(optimizer=None, dropout: float = 0.0):
    model = Sequential([layers.Dense(8, activation="relu", input_dim=FEATURES),
                        layers.Dropout(dropout), layers.Dense(1)])
    model.compile(optimizer or optimizers.SGD(0.01), "mse", metrics=["mae"])
    return model


_CACHE: dict = {}


def regression(optimizer=None, dropout: float = 0.0):
    """A model as if new: its first weights, no optimizer slots, the given rate.

    Cached per optimizer class, so each test does not pay for compiling the
    same steps again (a fresh model is a new compile, ~0.5 s on a small CPU).
    """
    optimizer = optimizer or optimizers.SGD(0.01)
    key = (type(optimizer), optimizer.learning_rate_schedule is not None, dropout)
    if key not in _CACHE:
        hoarfrost.utils.set_random_seed(1)  # the same first weights whichever test builds it
        model = fresh_regression(type(optimizer)(learning_rate=optimizer.learning_rate_schedule or 0.01),
                                 dropout)
        _CACHE[key] = (model, model.get_weights())
    model, initial = _CACHE[key]
    model.set_weights(initial)
    model.reset_optimizer_state()
    if optimizer.learning_rate_schedule is None:
        model.optimizer.learning_rate = float(optimizer.learning_rate)
    return model


class Scores(Callback):
    """Writes `scores[epoch]` into the logs as `key` (place it before the callback under test)."""

    def __init__(self, scores, key="score"):
        super().__init__()
        self.scores, self.key = list(scores), key

    def on_epoch_end(self, epoch, logs=None):
        logs[self.key] = self.scores[epoch]


class Recorder(Callback):
    """Weights, learning rate and compile count at each epoch's end."""

    def __init__(self):
        super().__init__()
        self.weights, self.rates, self.traces = [], [], []

    def on_epoch_end(self, epoch, logs=None):
        self.weights.append(self.model.get_weights())
        self.rates.append(float(self.model.optimizer.learning_rate))
        self.traces.append(self.model.trace_counts["train"])


def same(a, b) -> bool:
    return len(a) == len(b) and all(np.array_equal(x, y) for x, y in zip(a, b))


def fit(model, cbs, epochs, **kwargs):
    kwargs.setdefault("batch_size", 16)
    return model.fit(X, Y, epochs=epochs, callbacks=cbs, verbose=0, **kwargs)


# --- EarlyStopping --------------------------------------------------------------------------
def test_early_stopping_patience_and_bit_exact_restore(capsys):
    model, record = regression(), Recorder()
    stop = EarlyStopping(monitor="score", patience=2, restore_best_weights=True, verbose=1,
                         mode="min")
    history = fit(model, [Scores([5, 3, 4, 2.5, 2.6, 2.7, 2.8, 1]), stop, record], epochs=8)
    assert len(history.history["loss"]) == 6  # best at epoch 3, two epochs of patience
    assert (stop.best, stop.best_epoch, stop.stopped_epoch) == (2.5, 3, 5)
    assert model.stop_training
    assert same(model.get_weights(), record.weights[3])  # bit for bit
    assert not same(record.weights[5], record.weights[3])
    out = capsys.readouterr().out
    assert "Epoch 6: early stopping" in out and "best epoch: 4" in out


def test_early_stopping_min_delta_baseline_and_start_from_epoch():
    # Improvements smaller than min_delta do not count.
    stop = EarlyStopping(monitor="score", min_delta=0.5, patience=1, mode="min")
    history = fit(regression(), [Scores([3, 2.8, 2.7, 1]), stop], epochs=4)
    assert len(history.history["loss"]) == 2
    # No epoch beats the baseline: stops after `patience`, restoring the best of those.
    model, record = regression(), Recorder()
    stop = EarlyStopping(monitor="score", baseline=1.0, patience=3, mode="min",
                         restore_best_weights=True)
    history = fit(model, [Scores([3, 2, 2.5, 2.2, 0.5]), stop, record], epochs=5)
    assert len(history.history["loss"]) == 3
    assert same(model.get_weights(), record.weights[1])
    # Warm-up epochs are not monitored.
    stop = EarlyStopping(monitor="score", patience=0, start_from_epoch=3, mode="min")
    history = fit(regression(), [Scores([1, 2, 3, 4, 5, 6]), stop], epochs=6)
    assert len(history.history["loss"]) == 5


def test_early_stopping_restores_best_even_without_stopping():
    model, record = regression(), Recorder()
    stop = EarlyStopping(monitor="score", patience=10, restore_best_weights=True, mode="max")
    fit(model, [Scores([1, 3, 2]), stop, record], epochs=3)
    assert stop.stopped_epoch == 0 and same(model.get_weights(), record.weights[1])


def test_early_stopping_mode_auto_from_the_metric():
    model = Sequential([layers.Dense(1, activation="sigmoid", input_dim=FEATURES)])
    model.compile(optimizers.SGD(0.01), "binary_crossentropy",
                  metrics=["accuracy", metrics.Precision(name="prec"), "mse"])
    model.evaluate(X, (X[:, :1] > 0).astype("float32"), verbose=0)  # resolves the metrics
    for monitor, op in [("val_accuracy", ">"), ("prec", ">"), ("val_loss", "<"), ("mse", "<")]:
        stop = EarlyStopping(monitor=monitor, patience=5)
        stop.set_model(model)
        stop._set_monitor_op()
        assert stop.monitor_op(2, 1) == (op == ">"), monitor
    stop = EarlyStopping(monitor="custom", patience=5)
    with pytest.raises(ValueError, match="mode='max'"):
        fit(regression(), [Scores([1], key="custom"), stop], epochs=1)
    with pytest.warns(UserWarning, match="not available. Available metrics are: loss,mae"):
        fit(regression(), [EarlyStopping(monitor="val_loss")], epochs=1)


# --- learning rate ------------------------------------------------------------------------
def test_reduce_lr_on_plateau_sets_the_rate_the_next_step_uses():
    model, record = regression(optimizers.SGD(0.1)), Recorder()
    reduce = ReduceLROnPlateau(monitor="score", factor=1e-30, patience=1, min_delta=0,
                               mode="min")
    history = fit(model, [Scores([1, 1, 1, 1]), reduce, record], epochs=3)
    # Epoch 1 does not improve on epoch 0: the rate drops at its end.
    rate = np.float32(float(np.float32(0.1)) * 1e-30)
    assert record.rates[:2] == [np.float32(0.1), rate]
    assert history.history["learning_rate"] == pytest.approx([0.1, 0.1, rate], rel=1e-6)
    # The next compiled step applied it (w - 1e-31 * g == w in float32), without recompiling.
    assert same(record.weights[2], record.weights[1])
    assert not same(record.weights[1], record.weights[0])
    assert record.traces[2] == record.traces[1]


def test_reduce_lr_on_plateau_cooldown_and_min_lr(capsys):
    model, record = regression(optimizers.SGD(0.1)), Recorder()
    reduce = ReduceLROnPlateau(monitor="score", factor=0.5, patience=1, cooldown=2,
                               min_lr=0.03, min_delta=0, verbose=1, mode="min")
    fit(model, [Scores([1] * 8), reduce, record], epochs=8)
    f32 = np.float32
    # Reduced at the end of epoch 1; cooldown for 2 epochs (the second one already counts
    # as waiting); reduced at the end of epoch 3 to 0.025, clipped to min_lr; no further.
    assert record.rates == [f32(0.1), f32(0.05), f32(0.05), f32(0.03), f32(0.03), f32(0.03),
                            f32(0.03), f32(0.03)]
    assert "Epoch 2: ReduceLROnPlateau reducing learning rate to 0.05" in capsys.readouterr().out
    with pytest.raises(ValueError, match="factor >= 1.0"):
        ReduceLROnPlateau(factor=1.0)


def test_learning_rate_scheduler():
    model, record = regression(optimizers.SGD(0.1)), Recorder()
    scheduler = LearningRateScheduler(lambda epoch, lr: 0.0 if epoch == 2 else lr * 0.5)
    history = fit(model, [scheduler, record], epochs=3)
    assert record.rates == [np.float32(0.05), np.float32(0.025), 0.0]
    assert history.history["learning_rate"] == [float(np.float32(r)) for r in record.rates]
    assert same(record.weights[2], record.weights[1])  # a rate of 0 is applied at once
    # The old one-argument form.
    model = regression(optimizers.SGD(0.1))
    fit(model, [LearningRateScheduler(lambda epoch: 0.01 * (epoch + 1))], epochs=2)
    assert float(model.optimizer.learning_rate) == np.float32(0.02)
    with pytest.raises(ValueError, match="should be a float"):
        fit(regression(), [LearningRateScheduler(lambda epoch, lr: "fast")], epochs=1)


def test_rate_callbacks_refuse_a_schedule_optimizer():
    model = regression(optimizers.SGD(lambda step: 0.01))
    for callback in (ReduceLROnPlateau(), LearningRateScheduler(lambda e, lr: lr)):
        with pytest.raises(TypeError, match="schedule"):
            fit(model, [callback], epochs=1)


# --- TerminateOnNaN ------------------------------------------------------------------------
# SGD(0.5) on the cached model, unshuffled: finite for three epochs, then the loss
# overflows (batch 1 of the fourth epoch).
EPOCHS_TO_NAN = 5


def reference_run():
    """Per-batch weights (at batch begin) and losses (at batch end) of a diverging run."""
    model = regression(optimizers.SGD(0.5))
    begins, losses = [], []
    watch = LambdaCallback(
        on_train_batch_begin=lambda b, logs: begins.append(model.get_weights()),
        on_train_batch_end=lambda b, logs: losses.append(float(logs["loss"])))
    fit(model, [watch], epochs=EPOCHS_TO_NAN, shuffle=False)
    bad = next(i for i, loss in enumerate(losses) if not math.isfinite(loss))
    return begins, bad


def test_terminate_on_nan_names_the_batch_and_keeps_the_last_finite_weights(capsys):
    begins, bad = reference_run()
    steps = N // 16
    assert bad >= steps  # diverges after the first epoch
    model = regression(optimizers.SGD(0.5))
    guard = TerminateOnNaN()
    history = fit(model, [guard], epochs=EPOCHS_TO_NAN, shuffle=False)
    assert (guard.nan_epoch, guard.nan_batch, guard.restored_batch) == (
        bad // steps, bad % steps, bad % steps)
    assert model.stop_training and len(history.history["loss"]) == bad // steps + 1
    assert same(model.get_weights(), begins[bad])  # bit for bit, all finite
    assert all(np.isfinite(w).all() for w in model.get_weights())
    assert int(model.optimizer.iterations.value) == bad  # the bad step is undone
    assert (f"Batch {bad % steps} (epoch {bad // steps + 1}): invalid loss"
            in capsys.readouterr().out)
    # Its restored buffers are live ones: fit goes on from there (undonated, unaliased).
    fit(model, [], epochs=1, shuffle=False)


def test_terminate_on_nan_raise_error_restores_adam_state_too():
    model = regression(optimizers.Adam(1e6))
    states, finite = [], []

    def watch_batch_begin(batch, logs):
        states.append(optimizer_state(model))
        finite.append(all(np.isfinite(w).all() for w in model.get_weights()))

    guard = TerminateOnNaN(raise_error=True)
    with pytest.raises(RuntimeError, match=r"encountered at batch 3 \(epoch 1\).*before batch 2"):
        fit(model, [LambdaCallback(on_train_batch_begin=watch_batch_begin), guard], epochs=3,
            shuffle=False)
    # Step 2 overflowed a weight to inf with a still finite loss; the loss of batch 3 is
    # NaN. The copy from before batch 3 is not finite, so the one before batch 2 is used.
    assert (guard.nan_batch, guard.restored_batch) == (3, 2) and finite[2:4] == [True, False]
    assert all(np.isfinite(w).all() for w in model.get_weights())
    # Slots and step count go back with the weights, to the same moment.
    assert same(optimizer_state(model), states[2])
    assert int(model.optimizer.iterations.value) == 2


def _leaves(tree):
    import jax
    return jax.tree.leaves(tree)


def optimizer_state(model):
    state = model.optimizer.snapshot(model.weights)
    slots = [np.asarray(leaf) for leaf in _leaves(state.slots)]
    return slots + [np.asarray(model.optimizer.iterations.value)]


def test_terminate_on_nan_with_explicit_steps_per_execution():
    hoarfrost.utils.set_random_seed(1)
    model = fresh_regression(optimizers.SGD(0.5))
    model.compile(model.optimizer, "mse", steps_per_execution=2)
    guard = TerminateOnNaN()
    fit(model, [guard], epochs=EPOCHS_TO_NAN, shuffle=False)
    # The copy is taken before each chunk of 2 steps.
    assert guard.nan_batch is not None and guard.restored_batch % 2 == 0
    assert guard.restored_batch <= guard.nan_batch
    assert all(np.isfinite(w).all() for w in model.get_weights())


def test_which_callbacks_force_one_step_per_call():
    per_batch = [TerminateOnNaN(), BackupAndRestore("unused", save_freq=2),
                 ModelCheckpoint("m.keras", save_freq=3)]
    per_epoch = [EarlyStopping(), ReduceLROnPlateau(), LearningRateScheduler(lambda e: 0.1),
                 CSVLogger("unused.csv"), BackupAndRestore("unused"),
                 ModelCheckpoint("m.keras")]
    for callback in per_batch:
        assert CallbackList([callback], verbose=0).needs_every_batch(), callback
    for callback in per_epoch:
        assert not CallbackList([callback], verbose=0).needs_every_batch(), callback


# --- CSVLogger --------------------------------------------------------------------------------
def read_csv(path, sep=","):
    with open(path, newline="") as handle:
        return list(csv.reader(handle, delimiter=sep))


def test_csv_logger_rows_flushed_each_epoch(tmp_path):
    path = tmp_path / "log.csv"
    seen = []
    peek = LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append(len(read_csv(path))))
    history = fit(regression(), [CSVLogger(path, separator=";"), peek], epochs=3)
    rows = read_csv(path, ";")
    assert rows[0] == ["epoch", "loss", "mae", "val_loss", "val_mae"]
    assert [r[0] for r in rows[1:]] == ["0", "1", "2"]
    assert [float(r[1]) for r in rows[1:]] == history.history["loss"]
    assert rows[1][3:] == ["NA", "NA"]
    assert seen == [2, 3, 4]  # on disk by the end of each epoch


def test_csv_logger_append_keeps_one_header_and_stable_columns(tmp_path):
    path = tmp_path / "log.csv"
    fit(regression(), [CSVLogger(path)], epochs=2, validation_split=0.25)
    # A second run with different logs: columns stay those of the file's header.
    with pytest.warns(UserWarning, match="no column for"):
        fit(regression(), [Scores([7, 8], key="extra"), CSVLogger(path, append=True)],
            epochs=2)
    with open(path, "a") as handle:  # a row cut short by a crash
        handle.write("9,1.5")
    fit(regression(), [CSVLogger(path, append=True)], epochs=1)
    rows = read_csv(path)
    assert rows[0] == ["epoch", "loss", "mae", "val_loss", "val_mae"]
    assert sum(r[0] == "epoch" for r in rows) == 1
    assert all(len(r) == 5 for r in rows if r[0] != "9")
    assert [r[0] for r in rows[1:]] == ["0", "1", "0", "1", "9", "0"]
    assert rows[3][3:] == ["NA", "NA"] and rows[1][3] != "NA"
    # append=False starts over.
    fit(regression(), [CSVLogger(path)], epochs=1)
    assert len(read_csv(path)) == 2


# --- BackupAndRestore -----------------------------------------------------------------------
class Crash(Callback):
    def __init__(self, at_epoch):
        super().__init__()
        self.at_epoch = at_epoch

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.at_epoch:
            raise RuntimeError(f"simulated crash at epoch {epoch}")


def backed_up_run(backup_dir, crash_at=None, fresh=False):
    """4 epochs of Adam with dropout and shuffling; the fit's random keys from seed 3."""
    model = (fresh_regression(optimizers.Adam(0.01), dropout=0.25) if fresh
             else regression(optimizers.Adam(0.01), dropout=0.25))
    hoarfrost.utils.set_random_seed(3)
    cbs = [BackupAndRestore(backup_dir)] + ([Crash(crash_at)] if crash_at else [])
    history = fit(model, cbs, epochs=4, shuffle=True)
    return model, history, cbs[0]


def test_backup_and_restore_resumes_bit_identically(tmp_path):
    backup = tmp_path / "backup"
    with pytest.raises(RuntimeError, match="simulated crash at epoch 2"):
        backed_up_run(backup, crash_at=2)
    metadata = json.loads((backup / "training_metadata.json").read_text())
    assert metadata["epoch"] == 2
    assert sorted(os.listdir(backup)) == sorted([metadata["file"], "training_metadata.json"])

    # A new process would build a new model: nothing of the crashed run is in memory.
    resumed, history, callback = backed_up_run(backup, fresh=True)
    assert callback.restored_epoch == 2
    assert history.epoch == [2, 3] and len(history.history["loss"]) == 2
    assert not backup.exists()  # deleted after the completed fit

    reference, ref_history, _ = backed_up_run(tmp_path / "other")
    assert same(resumed.get_weights(), reference.get_weights())
    assert same(optimizer_state(resumed), optimizer_state(reference))
    assert history.history["loss"] == ref_history.history["loss"][2:]


def test_backup_survives_a_crash_during_the_save(tmp_path, monkeypatch):
    backup = tmp_path / "backup"
    model = regression()
    calls = {"n": 0}
    real_save = type(model).save

    def flaky_save(self, filepath, overwrite=True):
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError("disk full")
        real_save(self, filepath, overwrite)

    monkeypatch.setattr(type(model), "save", flaky_save)
    with pytest.raises(OSError, match="disk full"):
        fit(model, [BackupAndRestore(backup, delete_checkpoint=False)], epochs=5)
    monkeypatch.undo()
    assert json.loads((backup / "training_metadata.json").read_text())["epoch"] == 2
    fresh = regression()
    history = fit(fresh, [BackupAndRestore(backup, delete_checkpoint=False)], epochs=3)
    assert history.epoch == [2]
    assert backup.exists()


def test_backup_and_restore_checks(tmp_path):
    with pytest.raises(ValueError, match="save_freq"):
        BackupAndRestore(tmp_path, save_freq="batch")
    with pytest.raises(ValueError, match="backup_dir"):
        BackupAndRestore("")
    backup = tmp_path / "b"
    fit(regression(), [BackupAndRestore(backup, save_freq=2, delete_checkpoint=False)],
        epochs=1)
    metadata = json.loads((backup / "training_metadata.json").read_text())
    assert (metadata["epoch"], metadata["batch"]) == (0, 3)  # 4 batches: saved after 2 and 4
    other = regression(optimizers.Adam())
    with pytest.raises(ValueError, match="SGD optimizer, but model .* Adam"):
        fit(other, [BackupAndRestore(backup)], epochs=2)


# --- ModelCheckpoint -----------------------------------------------------------------------
def test_model_checkpoint_formats_and_keeps_the_best(tmp_path):
    model, record = regression(), Recorder()
    path = str(tmp_path / "ckpt" / "m-{epoch:02d}-{score:.1f}.keras")
    best = ModelCheckpoint(path, monitor="score", save_best_only=True, mode="min")
    fit(model, [Scores([3, 2, 2.5, 1]), best, record], epochs=4)
    assert sorted(os.listdir(tmp_path / "ckpt")) == ["m-01-3.0.keras", "m-02-2.0.keras",
                                                     "m-04-1.0.keras"]
    loaded = hoarfrost.models.load_model(tmp_path / "ckpt" / "m-02-2.0.keras")
    assert same(loaded.get_weights(), record.weights[1])

    weights_path = str(tmp_path / "w.weights.safetensors")
    fit(model, [ModelCheckpoint(weights_path, save_weights_only=True)], epochs=1)
    clone = fresh_regression()
    clone.load_weights(weights_path)
    assert same(clone.get_weights(), model.get_weights())
    with pytest.raises(ValueError, match=r"must end in `\.keras`.*or `\.h5`"):
        ModelCheckpoint(tmp_path / "m.zip")
    with pytest.raises(ValueError, match="weights.safetensors"):
        ModelCheckpoint(tmp_path / "m.keras", save_weights_only=True)
    with pytest.raises(KeyError, match="val_acc"):
        fit(model, [ModelCheckpoint(str(tmp_path / "{val_acc}.keras"))], epochs=1)


def test_public_names():
    for name in ("EarlyStopping", "ReduceLROnPlateau", "LearningRateScheduler", "TerminateOnNaN",
                 "CSVLogger", "BackupAndRestore", "ModelCheckpoint", "ProgbarLogger", "History",
                 "LambdaCallback", "Callback"):
        assert hasattr(callbacks, name)


def test_evaluate_predict_and_validation_call_their_begin_and_end_hooks():
    class Record(Callback):
        def __init__(self):
            super().__init__()
            self.calls = []

        def on_test_begin(self, logs=None):
            self.calls.append("test_begin")

        def on_test_end(self, logs=None):
            self.calls.append(("test_end", sorted(logs)))

        def on_predict_begin(self, logs=None):
            self.calls.append("predict_begin")

        def on_predict_end(self, logs=None):
            self.calls.append("predict_end")

    x = np.ones((16, 3), "float32")
    model = Sequential([layers.Input((3,)), layers.Dense(1)])
    model.compile("sgd", "mse", metrics=["mae"])
    record = Record()
    model.fit(x, np.ones((16, 1)), validation_data=(x, np.ones((16, 1))), epochs=2, verbose=0,
              callbacks=[record])
    assert record.calls == ["test_begin", ("test_end", ["loss", "mae"])] * 2
    record.calls.clear()
    model.evaluate(x, np.ones((16, 1)), verbose=0, callbacks=[record])
    model.predict(x, verbose=0, callbacks=[record])
    assert record.calls == ["test_begin", ("test_end", ["loss", "mae"]), "predict_begin",
                            "predict_end"]


# --- hooks of evaluate and predict; logs always a dict ---------------------------------------
class AllHooks(Callback):
    """Records every hook call with its logs (which must be a dict)."""

    def __init__(self):
        super().__init__()
        self.calls = []
        names = [n for n in dir(Callback) if n.startswith("on_")]
        for name in names:
            setattr(self, name, self._recorder(name))

    def _recorder(self, name):
        def hook(*args):
            *position, logs = args
            assert isinstance(logs, dict), (name, logs)
            self.calls.append((name, *position, sorted(logs)))
        return hook


def test_evaluate_and_predict_call_their_batch_hooks_with_keras_logs():
    """As Keras (steps_per_execution 1): `on_test_batch_*` per batch with the running
    metrics, `on_predict_batch_end` with `{"outputs": ...}`; every hook's logs a dict."""
    model = regression()
    hooks = AllHooks()
    model.evaluate(X, Y, batch_size=32, callbacks=[hooks], verbose=0)
    assert hooks.calls == [
        ("on_test_begin", []),
        ("on_test_batch_begin", 0, []), ("on_test_batch_end", 0, ["loss", "mae"]),
        ("on_test_batch_begin", 1, []), ("on_test_batch_end", 1, ["loss", "mae"]),
        ("on_test_end", ["loss", "mae"])]
    hooks.calls.clear()
    outputs = model.predict(X, batch_size=32, callbacks=[hooks], verbose=0)
    assert hooks.calls == [
        ("on_predict_begin", []),
        ("on_predict_batch_begin", 0, []), ("on_predict_batch_end", 0, ["outputs"]),
        ("on_predict_batch_begin", 1, []), ("on_predict_batch_end", 1, ["outputs"]),
        ("on_predict_end", [])]
    assert outputs.shape == (N, 1)


def test_fit_hooks_get_dict_logs_and_validation_calls_the_test_hooks():
    model = regression()
    hooks = AllHooks()
    model.fit(X, Y, batch_size=32, epochs=1, callbacks=[hooks], verbose=0,
              validation_data=(X[:16], Y[:16]))
    names = [call[0] for call in hooks.calls]
    assert names[:2] == ["on_train_begin", "on_epoch_begin"]
    assert names.count("on_train_batch_begin") == 2 and names.count("on_train_batch_end") == 2
    assert ("on_test_batch_end", 0, ["loss", "mae"]) in hooks.calls
    assert hooks.calls[-2][:2] == ("on_epoch_end", 0)
    assert hooks.calls[-2][2] == ["loss", "mae", "val_loss", "val_mae"]
