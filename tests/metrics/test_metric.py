"""Keras-style `Metric` subclasses (add_variable, update_state, result, reset_state) and the
stateless API, eagerly, in `jax.jit` and in `compile(metrics=[...])`."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import hoarfrost as keras
from hoarfrost import layers, metrics


class BinaryTruePositives(metrics.Metric):
    """The example of Keras's `Metric` docstring, as written there (ops -> jnp)."""

    def __init__(self, name="binary_true_positives", **kwargs):
        super().__init__(name=name, **kwargs)
        self.true_positives = self.add_variable(shape=(), initializer="zeros",
                                                name="true_positives")

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true = jnp.asarray(y_true).astype("bool")
        y_pred = jnp.asarray(y_pred).astype("bool")
        values = jnp.logical_and(y_true == True, y_pred == True)  # noqa: E712
        values = values.astype(self.dtype)
        if sample_weight is not None:
            sample_weight = jnp.broadcast_to(jnp.asarray(sample_weight, self.dtype),
                                             values.shape)
            values = values * sample_weight
        self.true_positives.assign(self.true_positives + jnp.sum(values))

    def result(self):
        return self.true_positives.value


Y_TRUE = np.array([[1], [0], [1], [1]], "float32")
Y_PRED = np.array([[1], [1], [0], [1]], "float32")


def test_a_keras_style_metric_works_eagerly():
    m = BinaryTruePositives()
    assert [v.path for v in m.variables] == ["binary_true_positives/true_positives"]
    assert not m.variables[0].trainable
    m.update_state(Y_TRUE, Y_PRED)
    assert float(m.result()) == 2.0
    assert float(m(Y_TRUE, Y_PRED, sample_weight=[[0.5], [1], [1], [0.5]])) == 3.0
    m.reset_state()
    assert float(m.result()) == 0.0


def test_the_stateless_api_is_pure_and_jits():
    m = BinaryTruePositives()

    @jax.jit
    def step(metric_variables, y_true, y_pred):
        metric_variables = m.stateless_update_state(metric_variables, y_true, y_pred)
        return metric_variables, m.stateless_result(metric_variables)

    values, result = step(m.variables, Y_TRUE, Y_PRED)  # Variables go in as their values
    values, result = step(values, Y_TRUE, Y_PRED)
    assert float(result) == 4.0
    assert float(m.result()) == 0.0  # the object did not move
    for variable, value in zip(m.variables, values):  # the guide: assign them back
        variable.assign(value)
    assert float(m.result()) == 4.0
    assert [float(v) for v in m.stateless_reset_state()] == [0.0]
    with pytest.raises(ValueError, match="corresponding 1:1 to BinaryTruePositives"):
        m.stateless_update_state([], Y_TRUE, Y_PRED)


def test_built_in_metrics_keep_their_state_in_variables_too():
    mean = metrics.Mean()
    assert len(mean.variables) == 2  # total and count, as Keras's
    values = mean.stateless_update_state(mean.variables, jnp.array([1.0, 2.0, 6.0]))
    assert float(mean.stateless_result(values)) == 3.0
    mean.update_state([1.0, 3.0])
    assert [float(v.numpy()) for v in mean.variables] == [4.0, 2.0]
    mean.reset_state()
    assert float(mean.result()) == 0.0
    assert [float(v.numpy()) for v in mean.variables] == [0.0, 0.0]


class Nested(metrics.Metric):
    """A metric built from others: their variables are its own (Keras's tracking)."""

    def __init__(self, name="nested"):
        super().__init__(name=name)
        self.tp = BinaryTruePositives()
        self.mean = metrics.Mean()

    def update_state(self, y_true, y_pred, sample_weight=None):
        self.tp.update_state(y_true, y_pred)
        self.mean.update_state(y_pred)

    def result(self):
        return {"tp": self.tp.result(), "mean_pred": self.mean.result()}


def test_nested_metrics_and_dict_results():
    m = Nested()
    assert len(m.variables) == 3
    values = m.stateless_update_state(m.variables, Y_TRUE, Y_PRED)
    result = m.stateless_result(values)
    assert float(result["tp"]) == 2.0 and float(result["mean_pred"]) == 0.75
    m.update_state(Y_TRUE, Y_PRED)
    m.reset_state()
    assert float(m.result()["tp"]) == 0.0


def test_a_keras_style_metric_in_compile_is_updated_by_fit_and_evaluate():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 3)).astype("float32")
    y = (x[:, :1] > 0).astype("float32")
    model = keras.Sequential([keras.Input(shape=(3,)), layers.Dense(1, activation="sigmoid")])
    tp = BinaryTruePositives(name="tp")
    model.compile(optimizer="sgd", loss="binary_crossentropy", metrics=[tp])
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    logs = model.evaluate(x, y, batch_size=8, return_dict=True, verbose=0)
    # Keras's example casts y_pred to bool: any nonzero prediction counts as positive.
    bools = BinaryTruePositives()
    bools.update_state(y, model.predict(x, verbose=0))
    assert logs["tp"] == float(bools.result())


def test_unnamed_metrics_take_the_next_free_name_as_keras_does():
    """Keras's `auto_name`: `AUC()`, `AUC()` are `auc`, `auc_1` in one session, and the
    history keys of a model compiled with them say so; a metric with a default name
    (`MeanAbsoluteError`) keeps it; `clear_session` starts the count again."""
    keras.backend.clear_session()
    assert [keras.metrics.AUC().name, keras.metrics.AUC().name] == ["auc", "auc_1"]
    assert keras.metrics.Precision().name == "precision"
    assert keras.metrics.MeanAbsoluteError().name == "mean_absolute_error"
    model = keras.Sequential([keras.Input((3,)), layers.Dense(1)])
    model.compile(loss="mse", metrics=[keras.metrics.AUC(), keras.metrics.AUC(), "mae"])
    history = model.fit(np.ones((4, 3)), np.ones((4, 1)), verbose=0)
    assert sorted(history.history) == ["auc_2", "auc_3", "loss", "mae"]
    keras.backend.clear_session()
    assert keras.metrics.AUC().name == "auc"
