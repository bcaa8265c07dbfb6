"""Fine-tuning toolkit: audit, FreezeGuard, GradualUnfreezing, fine_tune."""

import numpy as np
import pytest

from hoarfrost import Input, Model, Sequential, layers, optimizers
from hoarfrost.audit import weight_changes
from hoarfrost.callbacks import Callback
from hoarfrost.finetuning import FreezeGuard, GradualUnfreezing


def base_and_head():
    base = Sequential([layers.Dense(6, activation="relu", name="b1"),
                       layers.Dense(6, activation="relu", name="b2")], name="base")
    x = Input((4,))
    return Model(x, layers.Dense(1, name="head")(base(x))), base


def data(n=64):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 4)).astype("float32")
    return x, x.sum(1, keepdims=True)


def test_weight_changes_reports_every_weight_bitwise():
    model, base = base_and_head()
    model.compile(optimizer="adam", loss="mse")
    base.trainable = False
    report = weight_changes(model, lambda: model.fit(*data(), verbose=0))
    assert report.unchanged == ["b1/kernel", "b1/bias", "b2/kernel", "b2/bias"]
    assert report.changed == ["head/kernel", "head/bias"]
    assert all(c.max_abs_change == 0.0 for c in report if not c.changed)
    assert "not updated" in str(report) and "head/kernel" in str(report)


def test_freeze_guard_passes_honest_training_and_catches_a_change():
    model, base = base_and_head()
    model.compile(optimizer="adam", loss="mse")
    base.trainable = False
    guard = FreezeGuard()
    model.fit(*data(), epochs=2, verbose=0, callbacks=[guard])
    assert (guard.checks, guard.epochs_checked, guard.most_watched) == (8, 2, 4)
    assert "8 checks" in guard.verdict and "up to 4 at once" in guard.verdict

    class Tamper(Callback):  # what a buggy framework would do behind your back
        def on_epoch_end(self, epoch, logs=None):
            base.layers[0].kernel.assign(base.layers[0].kernel.numpy() + 1e-7)

    with pytest.raises(RuntimeError, match="b1/kernel"):
        model.fit(*data(), epochs=1, verbose=0, callbacks=[Tamper(), guard])


def test_gradual_unfreezing_schedule_and_rates_read_back_from_the_optimizer():
    model, base = base_and_head()
    optimizer = optimizers.SGD(learning_rate=0.1)
    model.compile(optimizer=optimizer, loss="mse")
    base.trainable = False
    seen = []

    class Record(Callback):
        def on_epoch_begin(self, epoch, logs=None):
            seen.append((epoch, [w.path for w in model.trainable_weights],
                         optimizer.learning_rate_for(model.get_layer("b2").kernel),
                         optimizer.learning_rate_for(model.get_layer("head").kernel)))

    unfreeze = GradualUnfreezing({1: "b2", 2: "b1"}, lr_multiplier=0.1, warmup=2)
    b1_before = model.get_layer("b1").kernel.numpy()
    model.fit(*data(), epochs=4, verbose=0, callbacks=[unfreeze, Record()])
    epochs = {epoch: (paths, b2_rate, head_rate) for epoch, paths, b2_rate, head_rate in seen}
    assert epochs[0][0] == ["head/kernel", "head/bias"]
    assert epochs[1][0] == ["b2/kernel", "b2/bias", "head/kernel", "head/bias"]
    assert len(epochs[2][0]) == 6
    assert epochs[1][1] == pytest.approx(0.01)  # 0.1 x base rate right after thawing
    assert epochs[2][1] == pytest.approx(0.055)  # halfway through a 2-epoch warmup
    assert epochs[3][1] == pytest.approx(0.1)
    assert all(head == pytest.approx(0.1) for _, _, head in epochs.values())
    assert not np.array_equal(b1_before, model.get_layer("b1").kernel.numpy())


def test_gradual_unfreezing_resumed_run_matches_uninterrupted(tmp_path):
    from hoarfrost.models import load_model
    x, y = data()

    def run(split):
        import hoarfrost
        hoarfrost.backend.clear_session()
        hoarfrost.utils.set_random_seed(1)
        model, base = base_and_head()
        model.compile(optimizer="adam", loss="mse")
        base.trainable = False
        schedule = GradualUnfreezing({1: "b2"}, lr_multiplier=0.2, warmup=2)
        if split is None:
            model.fit(x, y, epochs=3, shuffle=False, verbose=0, callbacks=[schedule])
            return model
        model.fit(x, y, epochs=split, shuffle=False, verbose=0, callbacks=[schedule])
        model.save(tmp_path / "mid.keras")
        resumed = load_model(tmp_path / "mid.keras")
        resumed.fit(x, y, initial_epoch=split, epochs=3, shuffle=False, verbose=0,
                    callbacks=[GradualUnfreezing({1: "b2"}, lr_multiplier=0.2, warmup=2)])
        return resumed

    whole, resumed = run(None), run(2)
    assert [w.path for w in whole.trainable_weights] == [w.path for w in resumed.trainable_weights]
    for a, b in zip(whole.get_weights(), resumed.get_weights()):
        assert np.array_equal(a, b)


def test_fine_tune_trains_head_first_then_all_with_base_rate():
    model, base = base_and_head()
    model.compile(optimizer=optimizers.SGD(learning_rate=0.05), loss="mse")
    x, y = data()
    b1 = model.get_layer("b1").kernel
    start = b1.numpy()
    moved_in_phase_one = []

    class Watch(Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 0:
                moved_in_phase_one.append(not np.array_equal(start, b1.numpy()))

    first, second = model.fine_tune(x, y, epochs=2, head="head", freeze_epochs=1,
                                    base_lr_multiplier=0.1, verbose=0, callbacks=[Watch()])
    assert moved_in_phase_one == [False]
    assert len(first.history["loss"]) == 1 and len(second.history["loss"]) == 2
    assert not np.array_equal(start, b1.numpy())
    assert model.optimizer.learning_rate_for(b1) == pytest.approx(0.005)
    assert model.optimizer.learning_rate_for(model.get_layer("head").kernel) == pytest.approx(0.05)


def test_fine_tuning_callbacks_live_in_hoarfrost_callbacks_too():
    import hoarfrost.callbacks
    assert hoarfrost.callbacks.FreezeGuard is FreezeGuard
    assert hoarfrost.callbacks.GradualUnfreezing is GradualUnfreezing
