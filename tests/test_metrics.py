"""Metrics against NumPy: values, weights, the stateful API, `'accuracy'` resolution."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hoarfrost import Sequential, layers, losses, metrics

FUZZ = settings(max_examples=8, deadline=None)
batches = st.sampled_from([1, 2, 7])
class_counts = st.sampled_from([2, 3, 10])
seeds = st.integers(0, 2**16)


def close(actual, expected):
    np.testing.assert_allclose(np.asarray(actual, np.float64), expected, rtol=1e-5, atol=1e-6)


# --- accuracy variants ---------------------------------------------------------------------
@FUZZ
@given(n=batches, classes=class_counts, seed=seeds)
def test_accuracies(n, classes, seed):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, classes, n)
    p = rng.uniform(size=(n, classes)).astype("float32")
    one_hot = np.eye(classes, dtype="float32")[labels]
    hits = (p.argmax(-1) == labels).astype(np.float64)
    close(metrics.categorical_accuracy(one_hot, p), hits)
    close(metrics.sparse_categorical_accuracy(labels, p), hits)
    close(metrics.sparse_categorical_accuracy(labels[:, None], p), hits)
    for metric, y in [(metrics.CategoricalAccuracy(), one_hot),
                      (metrics.SparseCategoricalAccuracy(), labels)]:
        metric.update_state(y, p)
        close(metric.result(), hits.mean())

    y01 = rng.integers(0, 2, (n, classes)).astype("float32")
    close(metrics.binary_accuracy(y01, p), ((p > 0.5) == y01))  # element-wise, as Keras
    metric = metrics.BinaryAccuracy(threshold=0.3)
    metric.update_state(y01, p)
    close(metric.result(), ((p > 0.3) == y01).mean())

    exact = metrics.Accuracy()
    guess = rng.integers(0, classes, n)
    exact.update_state(labels, guess)
    close(exact.result(), (labels == guess).mean())


def test_argmax_ties_take_the_first_index():
    p = np.array([[0.5, 0.5, 0.0], [0.1, 0.3, 0.3]], "float32")
    close(metrics.sparse_categorical_accuracy(np.array([0, 1]), p), [1.0, 1.0])
    close(metrics.categorical_accuracy(np.eye(3)[[1, 2]], p), [0.0, 0.0])


# --- Mean and wrappers, stateful ---------------------------------------------------------
def test_mean_accumulates_across_calls_and_resets():
    mean = metrics.Mean(name="my_mean")
    assert mean.name == "my_mean"
    close(mean.result(), 0.0)  # empty: 0, not NaN
    mean.update_state(100.0)
    mean.update_state([1.0, 5.0])
    close(mean.result(), 106 / 3)
    mean.update_state([2.0, 4.0], sample_weight=[0.5, 0.0])
    close(mean.result(), 107 / 3.5)
    mean.reset_state()
    close(mean.result(), 0.0)
    mean.update_state([3.0, 5.0], sample_weight=0.5)
    close(mean.result(), 4.0)


@FUZZ
@given(sizes=st.lists(batches, min_size=1, max_size=3), seed=seeds,
       weighted=st.sampled_from([None, "n", "n1"]))
def test_mean_squared_error_metric_accumulates(sizes, seed, weighted):
    rng = np.random.default_rng(seed)
    metric = metrics.MeanSquaredError()
    mae = metrics.get("mae")
    values, weights, abs_values = [], [], []
    for n in sizes:
        y_true = rng.normal(size=(n, 3)).astype("float32")
        y_pred = rng.normal(size=(n, 3)).astype("float32")
        w = None if weighted is None else rng.uniform(0.1, 2, n).astype("float32")
        sample_weight = w[:, None] if weighted == "n1" and w is not None else w
        metric.update_state(y_true, y_pred, sample_weight=sample_weight)
        mae.update_state(y_true, y_pred, sample_weight=sample_weight)
        values.append(np.square(y_pred - y_true).mean(-1))
        abs_values.append(np.abs(y_pred - y_true).mean(-1))
        weights.append(np.ones(n) if w is None else w)
    w = np.concatenate(weights)
    close(metric.result(), (np.concatenate(values) * w).sum() / w.sum())
    close(mae.result(), (np.concatenate(abs_values) * w).sum() / w.sum())
    metric.reset_state()
    close(metric.result(), 0.0)


def test_pure_core_matches_stateful_api():
    metric = metrics.SparseCategoricalAccuracy()
    state = metric.initial_state()
    p = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]], "float32")
    state = metric.update(state, np.array([0, 0, 0]), p)
    metric.update_state(np.array([0, 0, 0]), p)
    close(metric.compute(state), 2 / 3)
    close(metric.result(), 2 / 3)


# --- resolution -------------------------------------------------------------------------------
@pytest.mark.parametrize("identifier, cls, name, value", [
    ("MeanSquaredError", metrics.MeanSquaredError, "mean_squared_error", 0.5),
    ("mean", metrics.Mean, "mean", None),
    ("categorical_accuracy", metrics.MeanMetricWrapper, "categorical_accuracy", 0.5),
    ("binary_accuracy", metrics.MeanMetricWrapper, "binary_accuracy", 0.5),
    ("MSE", metrics.MeanMetricWrapper, "MSE", 0.5),
    ("mae", metrics.MeanMetricWrapper, "mae", 0.5),
    (metrics.CategoricalAccuracy, metrics.CategoricalAccuracy, "categorical_accuracy", 0.5),
    ("auc", metrics.AUC, "auc", 0.5),
])
def test_compile_metric(identifier, cls, name, value):
    """The exact class, the log name Keras gives it in compile(), and the function it
    computes (`metrics.get` returns what Keras's does: see metrics/test_lookup.py)."""
    metric = metrics.compile_metric(identifier)
    assert type(metric) is cls and metric.name == name
    if value is not None:  # targets [[1, 0], [0, 1]], predictions [[1, 0], [1, 0]]
        metric.update_state(np.array([[1.0, 0.0], [0.0, 1.0]]),
                            np.array([[1.0, 0.0], [1.0, 0.0]]))
        close(metric.result(), value)


def test_get_by_name_computes_the_named_function():
    metric = metrics.get("mse")
    metric.update_state(np.zeros((2, 2)), np.array([[1.0, 1.0], [3.0, 3.0]]))
    close(metric.result(), 5.0)
    metric = metrics.get("sparse_categorical_accuracy")
    metric.update_state(np.array([1, 0]), np.array([[0.1, 0.9], [0.2, 0.8]]))
    close(metric.result(), 0.5)


def test_get_unknown_lists_valid_names():
    """The names the error offers are exactly the ones `get` takes, and each works."""
    with pytest.raises(ValueError) as info:
        metrics.get("acuracy")
    message = str(info.value)
    assert message.startswith("Unknown metric 'acuracy'. Expected a Metric, a function")
    offered = message.split("one of: ")[1].rstrip(".").split(", ")
    assert {"accuracy", "acc", "mse", "sparse_categorical_accuracy", "auc",
            "top_k_categorical_accuracy"} <= set(offered)
    for name in offered:
        assert isinstance(metrics.get(name), metrics.Metric), name


@pytest.mark.parametrize("name", ["accuracy", "acc", "Accuracy"])
@pytest.mark.parametrize("loss, y_true_shape, y_pred_shape, expected", [
    (losses.BinaryCrossentropy(), (8, 1), (1, 1), metrics.BinaryAccuracy),
    (losses.MeanSquaredError(), (8,), (1, 1), metrics.BinaryAccuracy),
    (losses.SparseCategoricalCrossentropy(), (8,), (1, 10), metrics.SparseCategoricalAccuracy),
    (losses.SparseCategoricalCrossentropy(), (8, 1), (1, 10),
     metrics.SparseCategoricalAccuracy),
    (losses.CategoricalCrossentropy(), (8, 10), (1, 10), metrics.CategoricalAccuracy),
    (None, (8,), (1, 10), metrics.SparseCategoricalAccuracy),
    (None, (8, 1), (1, 10), metrics.SparseCategoricalAccuracy),
    (None, (8, 10), (1, 10), metrics.CategoricalAccuracy),
])
def test_accuracy_resolution(name, loss, y_true_shape, y_pred_shape, expected):
    metric = metrics.compile_metric(name, loss=loss, y_true_shape=y_true_shape,
                                    y_pred_shape=y_pred_shape)
    assert type(metric) is expected
    assert metric.name == name


@pytest.mark.parametrize("loss, labels, expected", [
    ("sparse_categorical_crossentropy", "sparse", metrics.SparseCategoricalAccuracy),
    ("categorical_crossentropy", "one_hot", metrics.CategoricalAccuracy),
    ("binary_crossentropy", "binary", metrics.BinaryAccuracy),
])
def test_accuracy_in_compile_matches_numpy(loss, labels, expected):
    rng = np.random.default_rng(0)
    n, classes = 37, 1 if labels == "binary" else 5
    x = rng.normal(size=(n, 4)).astype("float32")
    activation = "sigmoid" if labels == "binary" else "softmax"
    model = Sequential([layers.Dense(classes, activation=activation, input_dim=4)])
    model.compile("sgd", loss, metrics=["accuracy"])
    ints = rng.integers(0, max(classes, 2), n)
    y = {"sparse": lambda: ints, "one_hot": lambda: np.eye(classes, dtype="float32")[ints],
         "binary": lambda: ints[:, None].astype("float32")}[labels]()
    result = model.evaluate(x, y, batch_size=8, verbose=0, return_dict=True)  # ragged last batch
    assert type(model.metrics[1].metrics[0]) is expected  # inside `compile_metrics`
    p = model.predict(x, verbose=0)
    hits = (p[:, 0] > 0.5) == ints if labels == "binary" else p.argmax(-1) == ints
    close(result["accuracy"], hits.mean())
    loss_fn = losses.loss_object(loss)
    per_batch = [float(loss_fn(y[i:i + 8], p[i:i + 8])) * len(p[i:i + 8]) for i in range(0, n, 8)]
    np.testing.assert_allclose(result["loss"], sum(per_batch) / n, rtol=1e-5)


def test_sample_weight_column_in_fit():
    """Weights of shape (n, 1) against per-sample metric values of shape (n,)."""
    rng = np.random.default_rng(1)
    x = rng.normal(size=(16, 3)).astype("float32")
    y = rng.normal(size=(16, 1)).astype("float32")
    model = Sequential([layers.Dense(1, input_dim=3)])
    model.compile("sgd", "mse", weighted_metrics=["mae"])  # Keras 3: `metrics` are unweighted
    w = rng.uniform(0.1, 2, (16, 1)).astype("float32")
    logs = model.evaluate(x, y, sample_weight=w, batch_size=16, verbose=0, return_dict=True)
    p = model.predict(x, verbose=0)
    close(logs["mae"], (np.abs(p - y)[:, 0] * w[:, 0]).sum() / w.sum())
    close(logs["loss"], (np.square(p - y)[:, 0] * w[:, 0]).sum() / 16)
    history = model.fit(x, y, sample_weight=w, verbose=0)
    assert np.isfinite(history.history["mae"]).all()


@pytest.mark.parametrize("name, cell", [("TruePositives", (1, 1)), ("FalsePositives", (0, 1)),
                                        ("TrueNegatives", (0, 0)), ("FalseNegatives", (1, 0))])
def test_confusion_counts_weighted_at_several_thresholds(name, cell):
    rng = np.random.default_rng(0)
    y_true = rng.integers(0, 2, (20, 3)).astype("float32")
    y_pred = rng.random((20, 3)).astype("float32")
    weight = rng.random(20).astype("float32")
    metric = getattr(metrics, name)(thresholds=[0.3, 0.5, 0.7])
    metric.update_state(y_true[:10], y_pred[:10], sample_weight=weight[:10])
    metric.update_state(y_true[10:], y_pred[10:])
    weights = np.concatenate([weight[:10], np.ones(10, "float32")])[:, None]
    expected = [np.sum(weights * ((y_true == cell[0]) & ((y_pred > t) == bool(cell[1]))))
                for t in (0.3, 0.5, 0.7)]
    np.testing.assert_allclose(np.asarray(metric.result()), expected, rtol=1e-5)
    assert type(metrics.get(name)) is type(metric)
