"""The trainability contract (SPEC.md), point by point, with bit-exact checks.

Each contract point runs on a Sequential, a functional and a nested model.
"""

import jax
import numpy as np
import pytest

import hoarfrost
from hoarfrost import Input, Model, Sequential, layers, optimizers
from hoarfrost.callbacks import Callback
from hoarfrost.summary import count_params


def make_model(kind: str):
    """Three Dense layers (3 -> 7 -> 4 -> 1, 65 parameters) as `kind`."""
    if kind == "sequential":
        return Sequential([layers.Dense(7, input_dim=3), layers.Dense(4), layers.Dense(1)])
    if kind == "functional":
        x = Input((3,))
        y = layers.Dense(1)(layers.Dense(4)(layers.Dense(7)(x)))
        return Model(x, y)
    inner = Sequential([layers.Dense(7), layers.Dense(4)], name="inner")
    x = Input((3,))
    return Model(x, layers.Dense(1)(inner(x)))


KINDS = ["sequential", "functional", "nested"]


def dense_layers(model):
    """The three Dense layers, outermost order, whatever the model kind."""
    found = []
    for layer in model.layers:
        if isinstance(layer, layers.Dense):
            found.append(layer)
        elif isinstance(layer, Model):
            found.extend(dense_layers(layer))
    return found


def snapshot(model):
    return {w.name: w.numpy() for w in model.weights}


def slots_snapshot(optimizer, variables):
    return {v.name: jax.tree.map(np.array, optimizer.slots_for(v)) for v in variables
            if optimizer.has_slots(v)}


def data(n=64, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, 3)).astype("float32"), rng.normal(size=(n, 1)).astype("float32")


def assert_same(a, b, names):
    for name in names:
        assert np.array_equal(a[name], b[name]), name


def assert_changed(a, b, names):
    for name in names:
        assert not np.array_equal(a[name], b[name]), name


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("when", ["before_compile", "after_compile", "after_training"])
def test_live_freeze_takes_effect_at_next_step(kind, when):
    """Contract 1: the flag at the moment the step starts decides, compile or not."""
    model = make_model(kind)
    x, y = data()
    middle = dense_layers(model)[1]
    if when == "before_compile":
        middle.trainable = False
    model.compile(optimizer="adam", loss="mse")
    if when == "after_training":
        model.fit(x, y, epochs=1, verbose=0)
    middle.trainable = False
    before = snapshot(model)
    model.fit(x, y, epochs=2, batch_size=16, verbose=0)
    after = snapshot(model)
    frozen = [w.name for w in middle.weights]
    assert_same(before, after, frozen)
    assert_changed(before, after, [n for n in before if n not in frozen])


@pytest.mark.parametrize("kind", KINDS)
def test_whole_model_frozen_after_compile_trains_nothing(kind):
    """Report 2, case 3: model.trainable = False after compile freezes everything."""
    model = make_model(kind)
    x, y = data()
    model.compile(optimizer="adam", loss="mse")
    model.trainable = False
    before = snapshot(model)
    model.train_on_batch(x[:1], y[:1])
    model.fit(x, y, verbose=0)
    assert_same(before, snapshot(model), before)
    assert count_params(model) == (65, 0, 65)


class FreezeAtBatch(Callback):
    """Freeze a layer at the end of batch `at`; record weights after every batch."""

    def __init__(self, layer, at):
        super().__init__()
        self.layer, self.at, self.seen = layer, at, []

    def on_train_batch_end(self, batch, logs=None):
        self.seen.append([w.numpy() for w in self.layer.weights])
        if batch == self.at:
            self.layer.trainable = False


@pytest.mark.parametrize("kind", KINDS)
def test_freeze_inside_a_callback_applies_at_the_next_step(kind):
    model = make_model(kind)
    x, y = data()
    model.compile(optimizer="adam", loss="mse")
    target = dense_layers(model)[0]
    callback = FreezeAtBatch(target, at=1)
    model.fit(x, y, batch_size=8, epochs=1, verbose=0, callbacks=[callback])
    kernels = [seen[0] for seen in callback.seen]
    assert not np.array_equal(kernels[0], kernels[1])  # batch 1 still trained
    for later in kernels[2:]:
        assert np.array_equal(kernels[1], later)  # frozen from batch 2 on


def test_unfreeze_between_epochs_resumes_training():
    model = make_model("sequential")
    x, y = data()
    model.compile(optimizer="adam", loss="mse")
    first = model.layers[0]
    epochs_seen = []

    class Toggle(Callback):
        def on_epoch_begin(self, epoch, logs=None):
            first.trainable = epoch != 1
            epochs_seen.append(first.kernel.numpy())

    model.fit(x, y, epochs=3, verbose=0, callbacks=[Toggle()])
    end = first.kernel.numpy()
    assert not np.array_equal(epochs_seen[0], epochs_seen[1])  # epoch 0 trained
    assert np.array_equal(epochs_seen[1], epochs_seen[2])  # epoch 1 frozen
    assert not np.array_equal(epochs_seen[2], end)  # epoch 2 trained again


@pytest.mark.parametrize("optimizer", [
    optimizers.Adam(), optimizers.AdamW(weight_decay=0.1),
    optimizers.SGD(learning_rate=0.1, momentum=0.9), optimizers.RMSprop(momentum=0.5),
    optimizers.Adagrad()], ids=lambda o: type(o).__name__)
def test_frozen_values_and_slots_are_bit_identical(optimizer):
    """Contract 2: no momentum drift, no weight decay, no step count for frozen variables."""
    model = make_model("sequential")
    x, y = data()
    model.compile(optimizer=optimizer, loss="mse")
    model.fit(x, y, epochs=1, verbose=0)  # slots now hold momentum
    frozen = model.layers[0]
    frozen.trainable = False
    values = snapshot(model)
    slots = slots_snapshot(optimizer, frozen.weights)
    assert set(slots) == {w.name for w in frozen.weights}
    model.fit(x, y, epochs=3, verbose=0)
    assert_same(values, snapshot(model), [w.name for w in frozen.weights])
    after = slots_snapshot(optimizer, frozen.weights)
    for name in slots:
        for a, b in zip(jax.tree.leaves(slots[name]), jax.tree.leaves(after[name])):
            assert np.array_equal(a, b), name


def test_unfreezing_resumes_from_preserved_slots_and_reset_starts_fresh():
    """Contract 3: slots survive a freeze; reset_optimizer_state() drops them."""
    model = make_model("sequential")
    x, y = data()
    optimizer = optimizers.Adam()
    model.compile(optimizer=optimizer, loss="mse")
    model.fit(x, y, batch_size=16, epochs=1, verbose=0)  # 4 steps
    first = model.layers[0]
    assert int(optimizer.slots_for(first.kernel)["count"]) == 4
    first.trainable = False
    model.fit(x, y, batch_size=16, epochs=1, verbose=0)
    assert int(optimizer.slots_for(first.kernel)["count"]) == 4
    first.trainable = True
    model.fit(x, y, batch_size=16, epochs=1, verbose=0)
    assert int(optimizer.slots_for(first.kernel)["count"]) == 8  # resumed, not restarted
    assert int(optimizer.iterations.numpy()) == 12
    model.reset_optimizer_state(first.weights)
    model.fit(x, y, batch_size=16, epochs=1, verbose=0)
    assert int(optimizer.slots_for(first.kernel)["count"]) == 4
    assert int(optimizer.slots_for(model.layers[1].kernel)["count"]) == 16


def test_recompiling_keeps_slots_with_same_object_or_same_name():
    model = make_model("sequential")
    x, y = data()
    model.compile(optimizer="adam", loss="mse")
    optimizer = model.optimizer
    model.fit(x, y, epochs=1, verbose=0)
    moments = slots_snapshot(optimizer, model.weights)
    model.compile(optimizer="Adam", loss="mse")
    assert model.optimizer is optimizer
    model.compile(optimizer=optimizer, loss="mae")
    assert model.optimizer is optimizer
    kept = slots_snapshot(model.optimizer, model.weights)
    for name in moments:
        for a, b in zip(jax.tree.leaves(moments[name]), jax.tree.leaves(kept[name])):
            assert np.array_equal(a, b)
    model.compile(optimizer=optimizers.Adam(), loss="mse")
    assert model.optimizer is not optimizer and not model.optimizer.snapshot(copy=False).variables


def test_toggling_compiles_once_per_trainable_set():
    """Contract 4: A -> B -> A compiles two step functions, not three."""
    model = make_model("sequential")
    x, y = data()
    model.compile(optimizer="adam", loss="mse", steps_per_execution=1)
    model.fit(x, y, batch_size=16, epochs=1, verbose=0)
    assert model.trace_counts["train"] == 1
    model.layers[0].trainable = False
    model.fit(x, y, batch_size=16, epochs=1, verbose=0)
    assert model.trace_counts["train"] == 2
    model.layers[0].trainable = True
    model.fit(x, y, batch_size=16, epochs=2, verbose=0)
    assert model.trace_counts["train"] == 2


def _dot_count(model, x, y) -> int:
    """The matrix products in one lowered training step."""
    from hoarfrost.engine.partition import partition
    from hoarfrost.engine.step import Hyper, TrainCarry
    part = partition(model)
    builder = model._builder(part, "train")
    carry = TrainCarry([v.value for v in part.trainable], [v.value for v in part.state],
                       model.optimizer.gather_slots(part.trainable), model._fresh_metric_states())
    hyper = Hyper([v.value for v in part.frozen], model.optimizer.learning_rate.value,
                  jax.random.key(0))
    perm = np.arange(len(x), dtype=np.int32)
    text = builder.train.lower(carry, hyper, (x, y, None), perm, 0, steps=1,
                               batch_size=len(x)).as_text()
    return text.count("dot_general")


def test_frozen_prefix_skips_its_backward_pass():
    """Contract 4: with the first Dense frozen, its weight gradient and the
    gradient flowing into it are never computed (8 matrix products -> 6)."""
    model = Sequential([layers.Dense(16, activation="relu", input_dim=8),
                        layers.Dense(16, activation="relu"), layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    x = np.ones((4, 8), np.float32)
    y = np.ones((4, 1), np.float32)
    model._prepare_targets(x, y)
    model._metric_states = model._fresh_metric_states()
    all_trainable = _dot_count(model, x, y)
    model.layers[0].trainable = False
    first_frozen = _dot_count(model, x, y)
    assert all_trainable == 3 + 3 + 2  # forward, kernel gradients, input gradients
    assert first_frozen == 3 + 2 + 1


class MovingMean(layers.Layer):
    """A layer with non-trainable state updated only in training (like BatchNorm)."""

    def build(self, input_shape):
        self.scale = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="scale")
        self.moving_mean = self.add_weight(shape=(input_shape[-1],), initializer="zeros",
                                           trainable=False, name="moving_mean")

    def call(self, inputs, training=None):
        if training:
            self.moving_mean.assign(0.9 * self.moving_mean.value + 0.1 * inputs.mean(axis=0))
        return inputs * self.scale


def test_state_updates_only_in_training_and_never_when_frozen():
    """Contract 5: non-trainable state moves in fit only, and not in a frozen layer."""
    stats = MovingMean()
    model = Sequential([layers.Dense(3, input_dim=3), stats, layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    x, y = data()
    zero = stats.moving_mean.numpy()
    model.predict(x, verbose=0)
    model.evaluate(x, y, verbose=0)
    assert np.array_equal(stats.moving_mean.numpy(), zero)
    model.fit(x, y, epochs=1, verbose=0)
    moved = stats.moving_mean.numpy()
    assert not np.array_equal(moved, zero)
    stats.trainable = False
    assert stats.moving_mean not in model.trainable_weights
    model.fit(x, y, epochs=2, verbose=0)
    assert np.array_equal(stats.moving_mean.numpy(), moved)
    assert count_params(model) == (12 + 6 + 4, 12 + 4, 6)


@pytest.mark.parametrize("kind", KINDS)
def test_weights_order_is_stable_and_views_filter_it(kind):
    """Contract 6."""
    model = make_model(kind)
    order = [w.name for w in model.weights]
    middle = dense_layers(model)[1]
    middle.trainable = False
    assert [w.name for w in model.weights] == order
    assert [w.name for w in model.trainable_weights] == [
        n for n in order if not n.startswith(middle.name + "/")]
    assert [w.name for w in model.non_trainable_weights] == [w.name for w in middle.weights]
    values = [np.full(w.shape, i, np.float32) for i, w in enumerate(model.weights)]
    model.set_weights(values)
    for got, want in zip(model.get_weights(), values):
        assert np.array_equal(got, want)


def summary_lines(model, **kwargs):
    lines = []
    model.summary(print_fn=lines.append, **kwargs)
    return lines


def totals(lines):
    found = {}
    for line in lines:
        for key in ("Total params", "Trainable params", "Non-trainable params"):
            if line.strip().startswith(key + ":"):
                found[key] = int(line.split(":")[1].split("(")[0].replace(",", ""))
    return found["Total params"], found["Trainable params"], found["Non-trainable params"]


@pytest.mark.parametrize("kind", ["sequential", "functional"])
@pytest.mark.parametrize("case", [1, 2, 3, 4])
def test_notebook_cases_summary_counts(kind, case):
    """Contract 7 and report 2: 65 = 0 + 65 or 65 = 33 + 32, never 97 or 130."""
    model = make_model(kind)
    target = model.layers[1] if kind == "sequential" else model.layers[2]
    freeze_all = case in (1, 3)
    compile_first = case in (3, 4)
    if compile_first:
        model.compile(loss="mse", optimizer="adam")
    if freeze_all:
        model.trainable = False
    else:
        target.trainable = False
    if not compile_first:
        model.compile(loss="mse", optimizer="adam")
    before = snapshot(model)
    model.train_on_batch(*data(1))
    after = snapshot(model)
    lines = summary_lines(model, show_trainable=True)
    expected = (65, 0, 65) if freeze_all else (65, 33, 32)
    assert totals(lines) == expected
    frozen = list(before) if freeze_all else [w.name for w in target.weights]
    assert_same(before, after, frozen)
    assert_changed(before, after, [n for n in before if n not in frozen])
    rows = [line for line in lines if "(Dense)" in line]
    assert [("N" in row.split("│")[-2]) for row in rows] == [
        freeze_all or layer is target for layer in dense_layers(model)]


def test_nested_model_summary_counts_each_variable_once():
    model = make_model("nested")
    inner = model.get_layer("inner")
    inner.trainable = False
    total, trainable, frozen = totals(summary_lines(model, expand_nested=True))
    assert (total, trainable, frozen) == (65, 5, 60)
    assert total == model.count_params() == trainable + frozen


def test_unique_layer_names_and_variable_paths():
    """Contract 8: a dict keyed by w.name keeps every weight."""
    first = make_model("sequential")
    second = make_model("sequential")
    assert [layer.name for layer in first.layers] == ["dense", "dense_1", "dense_2"]
    assert [layer.name for layer in second.layers] == ["dense_3", "dense_4", "dense_5"]
    assert first.weights[2].name == "dense_1/kernel" == first.weights[2].path
    keyed = {w.name: w for w in first.weights + second.weights}
    assert len(keyed) == 12
    with pytest.raises(ValueError, match="unique"):
        Sequential([layers.Dense(2, name="same", input_dim=2), layers.Dense(2, name="same")])


def test_per_variable_freezing():
    """A frozen kernel with a trainable bias: only the bias moves."""
    model = make_model("sequential")
    x, y = data()
    model.compile(optimizer="adam", loss="mse")
    first = model.layers[0]
    first.kernel.trainable = False
    before = snapshot(model)
    model.fit(x, y, verbose=0)
    after = snapshot(model)
    assert_same(before, after, ["dense/kernel"])
    assert_changed(before, after, ["dense/bias"])
    assert count_params(model) == (65, 65 - 21, 21)


def test_multi_step_matches_single_steps():
    """steps_per_execution runs the same steps: bit-identical weights on CPU."""
    x, y = data(96)
    results = []
    for steps in (1, 4, "auto"):
        hoarfrost.backend.clear_session()
        hoarfrost.utils.set_random_seed(3)
        model = make_model("sequential")
        model.compile(optimizer="adam", loss="mse", steps_per_execution=steps)
        model.fit(x, y, batch_size=8, epochs=2, verbose=0)
        results.append(model.get_weights())
    for other in results[1:]:
        for a, b in zip(results[0], other):
            np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
