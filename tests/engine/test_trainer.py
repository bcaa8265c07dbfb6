"""What fit, evaluate and predict do with Keras's arguments: steps, no targets, a frozen model.

The Keras 3.15 behaviours matched here were observed on the JAX backend:
16 rows in batches of 4 with `steps_per_epoch=3, epochs=2` run 3 batches,
then the pass's last batch and the warning "Your input ran out of data";
`predict(steps=1)` returns one batch's rows; `batch_size=None` with `steps`
makes `ceil(n / steps)`-row batches.
"""

import warnings

import numpy as np
import pytest

from hoarfrost import Input, Model, Sequential, layers, ops
from hoarfrost.callbacks import Callback

RNG = np.random.default_rng(0)
X = RNG.normal(size=(16, 3)).astype("float32")
Y = (X @ np.array([[1.0], [-2.0], [0.5]], np.float32)).astype("float32")


def dense(name=None):
    return Sequential([Input((3,)), layers.Dense(1, name="out")], name=name)


class Batches(Callback):
    """Records (kind, step, rows) per batch hook; acting per batch, it makes each
    compiled call run one batch, as Keras does by default."""

    def __init__(self):
        super().__init__()
        self.seen = []

    def on_epoch_begin(self, epoch, logs=None):
        self.seen.append(("epoch", epoch))

    def on_train_batch_end(self, batch, logs=None):
        self.seen.append(("train", batch))

    def on_predict_batch_end(self, batch, logs=None):
        self.seen.append(("predict", batch, len(logs["outputs"])))


def test_steps_per_epoch_runs_that_many_batches_and_the_pass_goes_on():
    m = dense()
    m.compile("sgd", "mse")
    twin = dense()
    twin.compile("sgd", "mse")
    twin.set_weights(m.get_weights())
    with pytest.warns(UserWarning, match="ran out of data"):
        m.fit(X, Y, batch_size=4, steps_per_epoch=3, epochs=2, shuffle=False, verbose=0)
    assert int(m.optimizer.iterations.value) == 4  # 3, then the 1 batch left in the pass
    for start in range(0, 16, 4):  # the same four batches, in order
        twin.train_on_batch(X[start:start + 4], Y[start:start + 4])
    for ours, theirs in zip(m.get_weights(), twin.get_weights()):
        np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-7)


def test_steps_per_epoch_with_callbacks_counts_batches_per_epoch():
    m = dense()
    m.compile("sgd", "mse")
    record = Batches()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # 2 + 2 of 4 batches: no warning
        history = m.fit(X, Y, batch_size=4, steps_per_epoch=2, epochs=3, verbose=0,
                        callbacks=[record])
    assert record.seen == [("epoch", 0), ("train", 0), ("train", 1),
                           ("epoch", 1), ("train", 0), ("train", 1),
                           ("epoch", 2), ("train", 0), ("train", 1)]
    assert record.params["steps"] == 2
    assert len(history.history["loss"]) == 3


def test_evaluate_and_predict_steps_on_arrays():
    m = dense()
    m.compile("sgd", "mse")
    first = m.evaluate(X[:4], Y[:4], verbose=0)
    assert m.evaluate(X, Y, batch_size=4, steps=1, verbose=0) == pytest.approx(first, rel=1e-6)
    rows = m.predict(X, batch_size=4, steps=1, verbose=0)
    assert rows.shape == (4, 1)
    np.testing.assert_allclose(rows, m.predict(X[:4], verbose=0), rtol=1e-6)
    with pytest.warns(UserWarning, match="ran out of data"):
        assert m.predict(X, batch_size=8, steps=3, verbose=0).shape == (16, 1)
    # No batch_size: Keras makes ceil(16 / 2) = 8-row batches.
    record = Batches()
    m.predict(X, steps=2, verbose=0, callbacks=[record])
    assert record.seen == [("predict", 0, 8), ("predict", 1, 8)]
    with pytest.raises(ValueError, match="`steps` must be a positive integer"):
        m.predict(X, steps=0, verbose=0)


def test_validation_steps_on_arrays_restart_at_each_validation():
    m = dense()
    m.compile("sgd", "mse")
    history = m.fit(X, Y, batch_size=4, epochs=2, verbose=0, validation_data=(X, Y),
                    validation_steps=1)
    # Each validation is the first 4 rows (Keras resets the validation iterator).
    assert history.history["val_loss"][-1] == pytest.approx(
        m.evaluate(X[:4], Y[:4], verbose=0), rel=1e-6)


def test_generator_that_runs_out_before_steps_per_epoch_warns():
    m = dense()
    m.compile("sgd", "mse")

    def three_batches():
        for start in range(0, 12, 4):
            yield X[start:start + 4], Y[start:start + 4]

    with pytest.warns(UserWarning, match="ran out of data"):
        m.fit(three_batches(), steps_per_epoch=2, epochs=2, verbose=0)
    assert int(m.optimizer.iterations.value) == 3  # 2, then the 1 batch left


def test_a_model_frozen_after_compile_warns_once_naming_it_and_the_fix():
    """The Keras 2 GAN idiom: compile D, freeze it, stack and compile, train D alone."""
    discriminator = dense("discriminator")
    discriminator.compile("sgd", "mse")
    discriminator.trainable = False
    generator = Sequential([Input((3,)), layers.Dense(3)], name="generator")
    gan = Sequential([generator, discriminator])
    gan.compile("sgd", "mse")
    before = discriminator.get_weights()
    with pytest.warns(UserWarning) as caught:
        discriminator.train_on_batch(X, Y)
        discriminator.train_on_batch(X, Y)
        gan.train_on_batch(X, Y)  # the generator trains: no warning for the stack
    messages = [str(w.message) for w in caught if "no trainable weights" in str(w.message)]
    assert len(messages) == 1
    assert 'Model "discriminator"' in messages[0]
    assert "`discriminator.trainable` is False" in messages[0]
    assert "set `discriminator.trainable = True` before training it" in messages[0]
    for old, new in zip(before, discriminator.get_weights()):
        assert np.array_equal(old, new)


class AddsLoss(Model):
    """A model whose only loss is its own (`add_loss`), as a VAE's."""

    def __init__(self):
        super().__init__()
        self.dense = layers.Dense(2)

    def call(self, inputs):
        outputs = self.dense(inputs)
        self.add_loss(ops.mean(ops.square(outputs)))
        return outputs


def test_compile_without_a_loss_when_the_model_adds_its_own_and_fit_without_y():
    m = AddsLoss()
    m.compile("sgd")
    first = m.evaluate(X, verbose=0)
    np.testing.assert_allclose(first, np.mean(m.predict(X, verbose=0) ** 2), rtol=1e-5)
    history = m.fit(X, epochs=3, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_compile_without_a_loss_for_a_model_that_adds_none_raises():
    m = dense("plain")
    m.compile("sgd")
    with pytest.raises(ValueError, match='no loss, and model "plain" adds none'):
        m.fit(X, epochs=1, verbose=0)
    m = AddsLoss()
    m.compile("sgd", metrics=["mae"])
    with pytest.raises(ValueError, match="metrics need targets"):
        m.fit(X, epochs=1, verbose=0)


def test_every_loss_path_matches_ranks_before_the_loss():
    """Functions, Loss subclasses, dict losses and metric functions all get labels (n,)
    against an (n, 1) output as (n, 1): never an n x n broadcast."""
    from hoarfrost import losses

    class Squared(losses.Loss):
        def call(self, y_true, y_pred):
            return (y_true - y_pred) ** 2

    inputs = Input((3,))
    a = layers.Dense(1, name="a", kernel_initializer="ones")(inputs)
    b = layers.Dense(1, name="b", kernel_initializer="ones")(inputs)
    m = Model(inputs, {"a": a, "b": b})

    def mean_squared(y_true, y_pred):
        return ops.mean(ops.square(y_true - y_pred))

    m.compile("sgd", loss={"a": lambda t, p: ops.mean(ops.square(t - p)), "b": Squared()},
              metrics={"a": [mean_squared, lambda t, p: ops.mean(ops.abs(t - p))]})
    labels = RNG.normal(size=(16,)).astype("float32")
    logs = m.evaluate(X, {"a": labels, "b": labels}, verbose=0, return_dict=True)
    matched = float(np.mean((X.sum(1) - labels) ** 2))  # the kernel of ones sums x
    assert logs["a_loss"] == pytest.approx(matched, rel=1e-5)
    assert logs["b_loss"] == pytest.approx(matched, rel=1e-5)
    assert logs["a_mean_squared"] == pytest.approx(matched, rel=1e-5)
    assert logs["a_lambda"] == pytest.approx(  # named as Keras names a lambda
        float(np.mean(np.abs(X.sum(1) - labels))), rel=1e-5)
    # A user's loss decides what labels it takes: integer labels (n,) for 3 outputs.
    m = Sequential([Input((3,)), layers.Dense(3)])
    m.compile("sgd", loss=lambda t, p: losses.sparse_categorical_crossentropy(
        t, p, from_logits=True))
    labels = np.arange(16) % 3
    expected = float(losses.SparseCategoricalCrossentropy(from_logits=True)(
        labels, m.predict(X, verbose=0)))
    assert m.evaluate(X, labels, verbose=0) == pytest.approx(expected, rel=1e-5)


def test_train_and_test_on_batch_report_that_batch_alone():
    """As Keras 3's JAX trainer: each call resets the metrics first (no running mean)."""
    model = dense()
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    model.train_on_batch(X[:8], Y[:8])
    before = model.predict_on_batch(X[8:])  # the metrics see the weights before the update
    loss, mae = model.train_on_batch(X[8:], Y[8:])
    assert mae == pytest.approx(float(np.mean(np.abs(before - Y[8:]))), rel=1e-5)
    assert loss == pytest.approx(float(np.mean((before - Y[8:]) ** 2)), rel=1e-5)
    model.test_on_batch(X[:8], Y[:8])
    after = model.predict_on_batch(X[8:])
    assert model.test_on_batch(X[8:], Y[8:])[1] == pytest.approx(
        float(np.mean(np.abs(after - Y[8:]))), rel=1e-5)


def test_recompile_keeps_the_loss_or_metrics_it_leaves_out():
    """Keras's `compile` replaces the loss only when given one, and the metrics only when
    given metrics or weighted metrics (the guide's `compile(loss=[None, ...])` after a
    compile with metrics still logs them); a model compiled once has none of either."""
    import hoarfrost as keras
    inputs = keras.Input((4,))
    hidden = keras.layers.Dense(3)(inputs)
    model = keras.Model(inputs, [keras.layers.Dense(1, name="score")(hidden),
                                 keras.layers.Dense(5, name="cls")(hidden)])
    x = np.random.default_rng(0).random((8, 4)).astype("float32")
    ys = [np.zeros((8, 1), "float32"), np.eye(5, dtype="float32")[np.arange(8) % 5]]
    model.compile("rmsprop", loss=["mse", "categorical_crossentropy"],
                  metrics=[["mae"], ["accuracy"]])
    model.compile("rmsprop", loss=[None, "categorical_crossentropy"])
    assert sorted(model.fit(x, ys, verbose=0).history) == [
        "cls_accuracy", "loss", "score_mae"]
    model.compile("rmsprop", metrics=[["mse"], []])  # the loss stays [None, cce]
    assert sorted(model.fit(x, ys, verbose=0).history) == ["loss", "score_mse"]
    model.compile("rmsprop", loss=["mse", "mse"], metrics=[])  # explicit: no metrics
    assert sorted(model.fit(x, ys, verbose=0).history) == ["cls_loss", "loss", "score_loss"]


def test_convnet_fit_from_fixed_weights_matches_keras():
    """The MNIST-convnet guide's model (without Dropout), fitted from the same weights with
    validation_split and no shuffling, gives Keras 3.15's losses and accuracies: the guide
    port's remaining difference is seed noise (tools/keras_fixtures/convnet_fit.py)."""
    import json
    from pathlib import Path

    from hoarfrost.datasets.mnist import load_sample

    keras_run = json.loads((Path(__file__).parents[1] / "fixtures"
                            / "keras_convnet_fit.json").read_text())
    (digits, labels), _ = load_sample()
    x = digits[:384, ..., None].astype("float32") / 255
    y = np.eye(10, dtype="float32")[labels[:384]]
    model = Sequential([
        Input((28, 28, 1)),
        layers.Conv2D(32, (3, 3), activation="relu"), layers.MaxPooling2D((2, 2)),
        layers.Conv2D(64, (3, 3), activation="relu"), layers.MaxPooling2D((2, 2)),
        layers.Flatten(), layers.Dense(10, activation="softmax")])
    rng = np.random.default_rng(12)
    model.set_weights([rng.uniform(-0.1, 0.1, w.shape).astype("float32")
                       for w in model.get_weights()])
    model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    history = model.fit(x[:256], y[:256], batch_size=64, epochs=2, validation_split=0.25,
                        shuffle=False, verbose=0)
    assert sorted(history.history) == sorted(keras_run["history"])
    for key, values in keras_run["history"].items():
        np.testing.assert_allclose(history.history[key], values, rtol=1e-5, err_msg=key)
    np.testing.assert_allclose(model.evaluate(x[256:], y[256:], verbose=0),
                               keras_run["evaluate"], rtol=1e-5)
