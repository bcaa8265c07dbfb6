"""Overridden `train_step` / `test_step` / `predict_step` (Keras 3's JAX form) and the hooks
they call run in fit / evaluate / predict, with the trainability contract intact."""

import subprocess
import sys

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import hoarfrost as keras
from hoarfrost import layers
from hoarfrost.datasets import mnist
from tests.test_distribution import SCRIPTS, TOL, _env, _result


class CountCorrect(keras.metrics.Metric):
    """A Keras-style metric: state from `add_variable`, `update_state` assigns to it."""

    def __init__(self, name="count_correct", **kwargs):
        super().__init__(name=name, **kwargs)
        self.correct = self.add_variable(shape=(), initializer="zeros", name="correct")
        self.seen = self.add_weight(shape=(), initializer="zeros", name="seen")

    def update_state(self, y_true, y_pred, sample_weight=None):
        hits = jnp.argmax(y_pred, -1) == jnp.asarray(y_true).reshape(-1).astype(jnp.int32)
        self.correct.assign(self.correct + jnp.sum(hits.astype("float32")))
        self.seen.assign(self.seen + hits.shape[0])

    def result(self):
        return self.correct.value / jnp.maximum(self.seen.value, 1.0)


class GuideModel(keras.Sequential):
    """The program of Keras's guide "Customizing what happens in fit() with JAX"."""

    def compute_loss_and_updates(self, trainable_variables, non_trainable_variables,
                                 metrics_variables, x, y, sample_weight, training=False):
        y_pred, non_trainable_variables = self.stateless_call(
            trainable_variables, non_trainable_variables, x, training=training)
        loss, (trainable_variables, non_trainable_variables, metrics_variables) = (
            self.stateless_compute_loss(trainable_variables, non_trainable_variables,
                                        metrics_variables, x=x, y=y, y_pred=y_pred,
                                        sample_weight=sample_weight, training=training))
        return loss, (y_pred, non_trainable_variables, metrics_variables)

    def train_step(self, state, data):
        (trainable_variables, non_trainable_variables, optimizer_variables,
         metrics_variables) = state
        x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
        grad_fn = jax.value_and_grad(self.compute_loss_and_updates, has_aux=True)
        (loss, (y_pred, non_trainable_variables, metrics_variables)), grads = grad_fn(
            trainable_variables, non_trainable_variables, metrics_variables, x, y,
            sample_weight, training=True)
        trainable_variables, optimizer_variables = self.optimizer.stateless_apply(
            optimizer_variables, grads, trainable_variables)
        return self._logs(loss, y, y_pred, sample_weight, metrics_variables), (
            trainable_variables, non_trainable_variables, optimizer_variables,
            self._new_metric_variables)

    def test_step(self, state, data):
        x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
        trainable_variables, non_trainable_variables, metrics_variables = state
        y_pred, non_trainable_variables = self.stateless_call(
            trainable_variables, non_trainable_variables, x, training=False)
        loss, (trainable_variables, non_trainable_variables, metrics_variables) = (
            self.stateless_compute_loss(trainable_variables, non_trainable_variables,
                                        metrics_variables, x=x, y=y, y_pred=y_pred,
                                        sample_weight=sample_weight, training=False))
        logs = self._logs(loss, y, y_pred, sample_weight, metrics_variables)
        return logs, (trainable_variables, non_trainable_variables, self._new_metric_variables)

    def _logs(self, loss, y, y_pred, sample_weight, metrics_variables):
        new_metrics_vars, logs = [], {}
        for metric in self.metrics:
            this_metric_vars = metrics_variables[
                len(new_metrics_vars): len(new_metrics_vars) + len(metric.variables)]
            if metric.name == "loss":
                this_metric_vars = metric.stateless_update_state(this_metric_vars, loss,
                                                                 sample_weight=sample_weight)
            else:
                this_metric_vars = metric.stateless_update_state(this_metric_vars, y, y_pred,
                                                                 sample_weight=sample_weight)
            logs[metric.name] = metric.stateless_result(this_metric_vars)
            new_metrics_vars += this_metric_vars
        self._new_metric_variables = new_metrics_vars
        return logs


def digits(n_train=2048, n_test=512):
    (x_train, y_train), (x_test, y_test) = mnist.load_sample()
    prep = lambda x: (x.reshape(len(x), -1) / 255.0).astype("float32")  # noqa: E731
    return (prep(x_train[:n_train]), y_train[:n_train]), (prep(x_test[:n_test]),
                                                          y_test[:n_test])


def test_the_jax_guide_program_trains_on_real_digits_through_its_own_steps():
    (x, y), (x_test, y_test) = digits()
    model = GuideModel([keras.Input(shape=(784,)), layers.Dense(32, activation="relu"),
                        layers.Dense(10)])
    count_correct = CountCorrect()
    model.compile(optimizer=keras.optimizers.Adam(3e-3),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=[count_correct])
    history = model.fit(x, y, batch_size=64, epochs=3, verbose=0)
    assert model.trace_counts["train"] == 1  # every batch is full: one compiled loop
    assert sorted(history.history) == ["count_correct", "loss"]
    assert history.history["loss"][-1] < 0.5 * history.history["loss"][0] + 0.2
    logs = model.evaluate(x_test, y_test, batch_size=128, return_dict=True, verbose=0)
    assert model.trace_counts["test"] == 1
    accuracy = float(np.mean(model.predict(x_test, verbose=0).argmax(-1) == y_test))
    assert accuracy >= 0.85, accuracy
    # The custom metric, updated in the custom test step, reports the real accuracy; its
    # variables were written back, so the stateful API reads the same.
    assert logs["count_correct"] == pytest.approx(accuracy, abs=1e-6)
    assert float(count_correct.result()) == pytest.approx(accuracy, abs=1e-6)
    assert float(count_correct.seen.numpy()) == len(x_test)


class Doubling(keras.Sequential):
    """Custom predict and test steps: what they return is what predict / evaluate give."""

    def predict_step(self, state, data):
        x, _, _ = keras.utils.unpack_x_y_sample_weight(data)
        outputs, non_trainable = self.stateless_call(state[0], state[1], x, training=False)
        return outputs * 2.0, non_trainable

    def test_step(self, state, data):
        x, y, _ = keras.utils.unpack_x_y_sample_weight(data)
        y_pred, _ = self.stateless_call(state[0], state[1], x)
        return {"gap": jnp.max(jnp.abs(y_pred - y)), "nested": {"rows": x.shape[0]}}, state


def test_predict_step_and_test_step_overrides_are_what_predict_and_evaluate_run():
    model = Doubling([keras.Input(shape=(3,)), layers.Dense(2)])
    model.compile(optimizer="sgd", loss="mse")
    x = np.random.default_rng(0).normal(size=(10, 3)).astype("float32")
    plain = np.asarray(model(x))
    np.testing.assert_allclose(model.predict(x, batch_size=4, verbose=0), 2 * plain,
                               rtol=1e-6)
    np.testing.assert_allclose(model.predict_on_batch(x), 2 * plain, rtol=1e-6)
    # Logs that are not the metrics': the last step's, nested dicts flattened (Keras).
    logs = model.evaluate(x, plain, batch_size=5, return_dict=True, verbose=0)
    assert sorted(logs) == ["gap", "rows"] and logs["rows"] == 5.0
    assert logs["gap"] == pytest.approx(0.0, abs=1e-6)
    assert model.test_on_batch(x, plain + 1, return_dict=True)["gap"] == pytest.approx(1.0)
    # Under its own steps, evaluate and predict still call the per-batch hooks, with dict
    # logs (the step's, flattened) and each batch's outputs, as Keras's loops do.
    seen = []
    hooks = keras.callbacks.LambdaCallback(
        on_test_batch_begin=lambda batch, logs: seen.append(("test begin", batch, dict(logs))),
        on_test_batch_end=lambda batch, logs: seen.append(("test end", batch, sorted(logs))),
        on_predict_batch_end=lambda batch, logs: seen.append(
            ("predict end", batch, logs["outputs"].shape)))
    model.evaluate(x, plain, batch_size=5, verbose=0, callbacks=[hooks])
    model.predict(x, batch_size=4, verbose=0, callbacks=[hooks])
    assert seen == [("test begin", 0, {}), ("test end", 0, ["gap", "rows"]),
                    ("test begin", 1, {}), ("test end", 1, ["gap", "rows"]),
                    ("predict end", 0, (4, 2)), ("predict end", 1, (4, 2)),
                    ("predict end", 2, (2, 2))]
    with pytest.raises(TypeError, match=r"\['on_test_batch_ends'\].*name no callback hook"):
        keras.callbacks.LambdaCallback(on_test_batch_ends=print)


class NoCall(keras.Model):
    """Keras's GAN shape: a Model with parts and a `train_step`, and no `call()`; its noise
    is drawn from a SeedGenerator inside Keras's `StatelessScope(state_mapping=...)`."""

    def __init__(self):
        super().__init__()
        self.part = keras.Sequential([keras.Input(shape=(2,)), layers.Dense(1)])
        self.seed_generator = keras.random.SeedGenerator(1)
        self.tracker = keras.metrics.Mean(name="gap")

    @property
    def metrics(self):  # as the guide's GAN: without it, Keras's loss tracker comes first
        return [self.tracker]

    def train_step(self, state, data):
        trainable, non_trainable, optimizer_variables, metrics_variables = state
        mapping = list(zip(self.non_trainable_variables, non_trainable))
        with keras.StatelessScope(state_mapping=mapping) as scope:
            noise = keras.random.normal((data.shape[0], 2), seed=self.seed_generator)
        non_trainable = [scope.get_current_value(v) for v in self.non_trainable_variables]

        def loss_fn(trainable):
            out, _ = self.part.stateless_call(trainable, [], data + 0.0 * noise)
            return jnp.mean(jnp.square(out - 1.0))

        loss, grads = jax.value_and_grad(loss_fn)(trainable)
        trainable, optimizer_variables = self.optimizer.stateless_apply(
            optimizer_variables, grads, trainable)
        metrics_variables = self.tracker.stateless_update_state(metrics_variables, loss)
        return {"gap": self.tracker.stateless_result(metrics_variables)}, (
            trainable, non_trainable, optimizer_variables, metrics_variables)


def test_a_model_without_call_trains_through_its_own_step_as_in_keras():
    model = NoCall()
    model.compile(optimizer=keras.optimizers.SGD(0.1))
    x = np.ones((8, 2), "float32")
    seed_state = model.seed_generator.state.numpy()
    history = model.fit(x, batch_size=4, epochs=2, verbose=0)
    assert list(history.history) == ["gap"]
    assert history.history["gap"][1] < history.history["gap"][0]
    # The seed generator's state went through the scope and came back advanced.
    assert not np.array_equal(model.seed_generator.state.numpy(), seed_state)
    # Keras's fit would need call() to build a compiled loss or metrics: say so.
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(ValueError, match=r"given loss.*NoCall does not implement call\(\)"):
        model.fit(x, x[:, :1], verbose=0)


class Distiller(keras.Model):
    """Keras's knowledge-distillation example: only `compute_loss` is overridden."""

    def __init__(self, student, teacher):
        super().__init__()
        self.student, self.teacher = student, teacher

    def compile(self, optimizer, metrics, student_loss_fn, distillation_loss_fn, alpha):
        super().compile(optimizer=optimizer, metrics=metrics)
        self.student_loss_fn, self.distillation_loss_fn = student_loss_fn, distillation_loss_fn
        self.alpha = alpha

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, allow_empty=False):
        teacher_pred = self.teacher(x, training=False)
        student_loss = self.student_loss_fn(y, y_pred)
        distillation_loss = self.distillation_loss_fn(teacher_pred, y_pred)
        return self.alpha * student_loss + (1 - self.alpha) * distillation_loss

    def call(self, x):
        return self.student(x)


def test_a_compute_loss_override_is_what_the_default_fit_minimises():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(64, 4)).astype("float32")
    noise = rng.normal(size=(64, 2)).astype("float32")  # labels the student must ignore
    teacher = keras.Sequential([keras.Input(shape=(4,)), layers.Dense(2)])
    teacher.trainable = False
    student = keras.Sequential([keras.Input(shape=(4,)), layers.Dense(2)])
    distiller = Distiller(student, teacher)
    distiller.compile(keras.optimizers.Adam(0.05), metrics=["mae"],
                      student_loss_fn=keras.losses.MeanSquaredError(),
                      distillation_loss_fn=keras.losses.MeanSquaredError(), alpha=0.0)
    frozen = [w.numpy() for w in teacher.weights]
    history = distiller.fit(x, noise, batch_size=16, epochs=30, verbose=0)
    # alpha=0: the loss is the distance to the teacher only, and it goes to zero.
    assert history.history["loss"][-1] < 1e-3 < history.history["loss"][0]
    np.testing.assert_allclose(student.predict(x, verbose=0), teacher.predict(x, verbose=0),
                               atol=0.05)
    assert all(np.array_equal(w.numpy(), f) for w, f in zip(teacher.weights, frozen))
    assert "mae" in history.history  # compiled metrics still run (against y)


class Stacked(keras.Model):
    """The GAN's combined model: generator then discriminator, a JAX-form train_step."""

    def __init__(self, generator, discriminator):
        super().__init__()
        self.generator, self.discriminator = generator, discriminator

    def call(self, z, training=False):
        return self.discriminator(self.generator(z, training=training), training=training)

    def train_step(self, state, data):
        trainable, non_trainable, optimizer_variables, metrics_variables = state
        z, y, _ = keras.utils.unpack_x_y_sample_weight(data)

        def loss_fn(trainable):
            y_pred, new_non_trainable = self.stateless_call(trainable, non_trainable, z,
                                                            training=True)
            return jnp.mean(jnp.square(y_pred - y)), new_non_trainable

        (loss, non_trainable), grads = jax.value_and_grad(loss_fn, has_aux=True)(trainable)
        trainable, optimizer_variables = self.optimizer.stateless_apply(
            optimizer_variables, grads, trainable)
        tracker = self.metrics[0]
        metrics_variables = tracker.stateless_update_state(metrics_variables, loss)
        return ({"loss": tracker.stateless_result(metrics_variables)},
                (trainable, non_trainable, optimizer_variables, metrics_variables))


def test_a_gan_toggling_the_discriminator_between_its_two_updates_does_what_it_says():
    rng = np.random.default_rng(2)
    generator = keras.Sequential([keras.Input(shape=(3,)), layers.Dense(2)], name="g")
    discriminator = keras.Sequential([keras.Input(shape=(2,)), layers.Dense(1)], name="d")
    discriminator.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse")
    gan = Stacked(generator, discriminator)
    gan.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse")
    real = rng.normal(size=(8, 2)).astype("float32") + 3.0
    z = rng.normal(size=(8, 3)).astype("float32")
    labels = np.concatenate([np.ones((8, 1)), np.zeros((8, 1))]).astype("float32")
    for _ in range(3):
        discriminator.trainable = True
        fake = generator.predict(z, verbose=0)
        d_before = [w.numpy() for w in discriminator.weights]
        discriminator.train_on_batch(np.concatenate([real, fake]), labels)
        assert not np.array_equal(discriminator.weights[0].numpy(), d_before[0])
        discriminator.trainable = False
        d_before = [w.numpy() for w in discriminator.weights]
        g_before = [w.numpy() for w in generator.weights]
        gan.train_on_batch(z, np.ones((8, 1), "float32"))
        # The generator trained through the frozen discriminator; D did not move a bit,
        # and the GAN's optimizer never even made slots for it.
        assert all(np.array_equal(w.numpy(), b) for w, b in zip(discriminator.weights,
                                                                d_before))
        assert not np.array_equal(generator.weights[0].numpy(), g_before[0])
        assert not any(gan.optimizer.has_slots(w) for w in discriminator.weights)
    assert gan.trace_counts["train"] == 1  # the same split each time: compiled once
    # Between fits too: D trainable in the GAN is a second split, compiled once.
    discriminator.trainable = True
    gan.fit(z, np.ones((8, 1), "float32"), batch_size=8, epochs=1, verbose=0)
    assert all(gan.optimizer.has_slots(w) for w in discriminator.weights)
    discriminator.trainable = False
    gan.fit(z, np.ones((8, 1), "float32"), batch_size=8, epochs=1, verbose=0)
    assert gan.trace_counts["train"] == 2  # back to a seen split: no new compilation


def test_frozen_variables_and_their_slots_stay_bit_identical_under_a_custom_step():
    x = np.random.default_rng(3).normal(size=(32, 4)).astype("float32")
    y = (x[:, :1] > 0).astype("float32")
    model = GuideModel([keras.Input(shape=(4,)), layers.Dense(8, name="base"),
                        layers.BatchNormalization(name="norm"), layers.Dense(1, name="head")])
    model.compile(optimizer=keras.optimizers.Adam(0.01, weight_decay=0.1), loss="mse")
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)  # every layer trains: slots exist
    base, norm = model.get_layer("base"), model.get_layer("norm")
    base.trainable = norm.trainable = False
    frozen = base.weights + norm.weights
    values = [w.numpy() for w in frozen]
    slots = [jax.tree.map(np.asarray, model.optimizer.slots_for(w)) for w in base.weights]
    head = model.get_layer("head").kernel.numpy()
    model.fit(x, y, batch_size=8, epochs=2, verbose=0)
    assert all(np.array_equal(w.numpy(), v) for w, v in zip(frozen, values))
    for w, before in zip(base.weights, slots):
        after = model.optimizer.slots_for(w)
        assert all(np.array_equal(a, b) for a, b in zip(jax.tree.leaves(after),
                                                        jax.tree.leaves(before)))
    assert not np.array_equal(model.get_layer("head").kernel.numpy(), head)
    base.trainable = norm.trainable = True
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)  # the first split again
    assert model.trace_counts["train"] == 2
    assert not np.array_equal(base.kernel.numpy(), values[0])


class StatefulStep(keras.Sequential):
    def train_step(self, data):  # the TensorFlow / PyTorch form
        return {}


class BadLogs(keras.Sequential):
    def train_step(self, state, data):
        return 1.0, state


class ShortState(keras.Sequential):
    def train_step(self, state, data):
        return {}, state[:3]


def test_unsupported_step_forms_raise_naming_what_to_write():
    x, y = np.zeros((4, 2), "float32"), np.zeros((4, 1), "float32")
    for cls, call, match in [
            (StatefulStep, "fit", r"train_step\(self, data\) is the TensorFlow / PyTorch form"
                                  r".*train_step\(self, state, data\)"),
            (BadLogs, "fit", r"logs must be a dict"),
            (ShortState, "fit", r"must return a state of 4 lists")]:
        model = cls([keras.Input(shape=(2,)), layers.Dense(1)])
        model.compile(optimizer="sgd", loss="mse")
        with pytest.raises((TypeError, ValueError), match=match):
            getattr(model, call)(x, y, verbose=0)
    # Nothing overridden and no loss: still an error, not a model that trains on nothing.
    plain = keras.Sequential([keras.Input(shape=(2,)), layers.Dense(1)])
    plain.compile(optimizer="sgd")
    with pytest.raises(ValueError, match="given no loss"):
        plain.fit(x, y, verbose=0)


class OwnTracker(keras.Sequential):
    """Keras's stateful hooks inside the default JAX step: a tracker updated in
    `compute_loss`, listed by an overridden `metrics`."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.tracker = keras.metrics.Mean(name="custom_loss")

    def compute_loss(self, x, y, y_pred, sample_weight, training=True):
        loss = jnp.mean(jnp.square(y_pred - y))
        self.tracker.update_state(loss)
        return loss

    @property
    def metrics(self):
        return [self.tracker]


def test_stateful_hooks_run_in_the_default_step_and_without_targets_raise():
    x = np.random.default_rng(4).normal(size=(16, 2)).astype("float32")
    y = x[:, :1] * 2
    model = OwnTracker([keras.Input(shape=(2,)), layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(0.1))  # no loss: compute_loss has it
    history = model.fit(x, y, batch_size=4, epochs=2, verbose=0)
    assert list(history.history) == ["custom_loss"]
    assert history.history["custom_loss"][1] < history.history["custom_loss"][0]
    assert model.metrics_variables == model.tracker.variables
    # The tracker's variables were written back: the stateful API sees the epoch's mean.
    assert float(model.tracker.result()) == pytest.approx(history.history["custom_loss"][1])
    compiled = keras.Sequential([keras.Input(shape=(2,)), layers.Dense(1)])
    compiled.tracker = keras.metrics.Mean(name="extra")  # tracked: Keras's default steps run
    compiled.compile(optimizer="sgd", loss="mse")
    # As Keras: the loss tracker and the (still empty) compiled metrics from compile() on.
    assert [m.name for m in compiled.metrics] == ["loss", "compile_metrics", "extra"]
    with pytest.raises(ValueError, match=r"compile\(\) was given a loss \('mse'\), but the "
                                         "batch has no targets"):
        compiled.fit(x, verbose=0)


class SuperStep(keras.Sequential):
    """Overrides that defer to Keras's default steps: they run instead of the fused step."""

    def train_step(self, state, data):
        return super().train_step(state, data)

    def test_step(self, state, data):
        return super().test_step(state, data)


def test_keras_default_steps_compute_what_the_fused_step_computes():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(32, 4)).astype("float32")
    y = (x[:, :1] > 0).astype("float32")
    weights = rng.normal(size=(32,)).astype("float32") ** 2

    def build(cls):
        keras.utils.set_random_seed(7)
        model = cls([keras.Input(shape=(4,)),
                     layers.Dense(8, activation="relu", kernel_regularizer="l2"),
                     layers.BatchNormalization(), layers.Dense(1, activation="sigmoid")])
        model.compile(optimizer=keras.optimizers.Adam(0.01), loss="binary_crossentropy",
                      metrics=["accuracy"], weighted_metrics=["mae"])
        return model

    fused, own = build(keras.Sequential), build(SuperStep)
    batches = []
    callback = keras.callbacks.LambdaCallback(
        on_train_batch_end=lambda batch, logs: batches.append(dict(logs)))
    histories = [m.fit(x, y, sample_weight=weights, batch_size=8, epochs=2, shuffle=False,
                       verbose=0, callbacks=[callback] if m is own else None)
                 for m in (fused, own)]
    assert histories[0].history.keys() == histories[1].history.keys()
    for key, values in histories[0].history.items():
        np.testing.assert_allclose(histories[1].history[key], values, rtol=1e-5, atol=1e-6)
    for a, b in zip(fused.weights, own.weights):  # BatchNormalization statistics too
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-5, atol=1e-6)
    assert len(batches) == 8 and set(batches[-1]) == set(histories[1].history)
    logs = [m.evaluate(x, y, batch_size=16, return_dict=True, verbose=0) for m in (fused, own)]
    assert logs[0].keys() == logs[1].keys()
    for key in logs[0]:
        assert logs[1][key] == pytest.approx(logs[0][key], rel=1e-5, abs=1e-6)


class TensorFlowStyle(keras.Sequential):
    """test_step / predict_step written for the TensorFlow backend (stateful): they run,
    their variable reads and writes going to the step's state."""

    def test_step(self, data):
        x, y = data
        y_pred = self(x, training=False)
        loss = self.compute_loss(x, y, y_pred)
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss)
            else:
                metric.update_state(y, y_pred)
        return {m.name: m.result() for m in self.metrics}

    def predict_step(self, data):
        return self(data, training=False) + 1.0


def test_stateful_test_and_predict_steps_run_on_values():
    x = np.random.default_rng(6).normal(size=(12, 3)).astype("float32")
    y = x[:, :1] * 3
    model = TensorFlowStyle([keras.Input(shape=(3,)), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    plain = np.asarray(model(x))
    np.testing.assert_allclose(model.predict(x, batch_size=4, verbose=0), plain + 1, rtol=1e-6)
    logs = model.evaluate(x, y, batch_size=4, return_dict=True, verbose=0)
    assert logs["loss"] == pytest.approx(float(np.mean((plain - y) ** 2)), rel=1e-5)
    assert logs["mae"] == pytest.approx(float(np.mean(np.abs(plain - y))), rel=1e-5)


def test_own_steps_run_under_data_and_model_parallel_as_on_one_device():
    """tests/distribution_scripts/custom_steps.py on 2 virtual CPU devices (a subprocess,
    as tests/test_distribution.py runs its scripts): a model's `train_step(self, state,
    data)`, `test_step` and stateful `predict_step` under `DataParallel` and
    `ModelParallel(layout_map=...)` match the run on one device to float32 rounding
    (the gradient's halves are summed in another order; see tests/test_distribution.py's
    TOL), each batch is split over the batch axis, the state keeps its layout, and the
    trainability contract holds as on one device."""
    proc = subprocess.run([sys.executable, str(SCRIPTS / "custom_steps.py")], env=_env(2),
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-4000:]
    result = _result(proc.stdout)
    assert result["devices"] == 2
    dp, mp = result["dp"], result["mp"]
    for key in ("first", "second", "eval", "predict"):
        assert dp[key] < TOL, (key, dp)
    assert dp["batch_shardings"] == [[[8, 6], 2]] * 2  # 16 rows: 8 on each device
    assert dp["kernel_devices"] == 2 and dp["kernel_spec"] == "P()"
    # Frozen after the first fit: values and Adam slots bit-identical, the rest trains,
    # and each split (all trainable, base and norm frozen) compiled once, as on one device.
    assert dp["frozen_equal"] and dp["slots_equal"] and dp["head_changed"], dp
    assert dp["traces"] == dp["ref_traces"] == {"train": 2, "test": 1, "predict": 1}
    assert mp["first"] < TOL, mp
    assert mp["kernel_spec"] == "P(None, 'model')" and mp["kernel_shards"] == [[6, 4]]
    assert mp["slot_specs"] == ["P(None, 'model')"]  # Adam's moments follow their kernel
    assert mp["head_spec"] == "P()"  # no key matches it: replicated, also after training
    assert mp["batch_shardings"] == [[[16, 6], 2]]  # the 'data' axis has one device
