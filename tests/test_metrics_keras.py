"""Metrics against Keras 3: the same data, the same results.

`tests/fixtures/keras_metrics.npz` holds, for every case, the inputs of three
batches and Keras's `result()` after each `update_state` (recorded by
`tools/keras_fixtures/metrics.py`). Here hoarfrost's metric runs the same
updates three ways: the stateful API, its pure core under `jax.jit` (as
inside a training step), and `model.evaluate` with the metric compiled in.

Tolerance: rtol 1e-5 for every metric, AUC included. The stateful API runs
the same float32 operations in the same order as Keras's JAX backend and matches
bit for bit on every case; under `jit` (XLA fuses and reorders the float32
sums) and in `evaluate` (other batch splits, so other partial sums) results
differ by at most ~3e-7 relative (1-3 ulp), measured over all cases. AUC would
be the one to loosen first, to 1e-4, if that ever changed: it subtracts
neighbouring cumulative counts and, for PR, takes the log of their ratio, so a
1-ulp change in a weighted count is amplified in the area.
"""

import json
from pathlib import Path

import jax
import numpy as np
import pytest

from hoarfrost import Sequential, layers, metrics

FIXTURE = Path(__file__).parent / "fixtures" / "keras_metrics.npz"
DATA = np.load(FIXTURE)
CASES = json.loads(str(DATA["cases"]))
SIZES = [int(s) for s in DATA["sizes"]]


def batches(case: str):
    bounds = np.cumsum([0] + SIZES)
    fields = [DATA.get(f"{case}/{name}") for name in ("y_true", "y_pred", "sample_weight")]
    for lo, hi in zip(bounds[:-1], bounds[1:]):
        yield tuple(None if f is None else f[lo:hi] for f in fields)


def make(spec):
    return getattr(metrics, spec["class_name"])(**spec["kwargs"])


def check(actual, expected, spec, what):
    np.testing.assert_allclose(np.asarray(actual, np.float64), expected, rtol=1e-5, atol=1e-7,
                               err_msg=f"{spec['case']} ({what})")


@pytest.mark.parametrize("spec", CASES, ids=[c["case"] for c in CASES])
def test_stateful_api_matches_keras(spec):
    metric = make(spec)
    expected = DATA[f"{spec['case']}/results"]
    for b, (y_true, y_pred, weight) in enumerate(batches(spec["case"])):
        if spec["class_name"] in ("Mean", "Sum"):
            metric.update_state(y_true, sample_weight=weight)
        else:
            metric.update_state(y_true, y_pred, sample_weight=weight)
        check(metric.result(), expected[b], spec, f"after batch {b}")
    metric.reset_state()
    if spec["class_name"] == "R2Score":  # 0/0 after a reset, as Keras's: the sums are zero
        assert all(np.all(np.asarray(v.value) == 0) for v in metric.variables)
    elif not (spec["class_name"] == "AUC" and spec["kwargs"].get("multi_label")):
        assert np.all(np.asarray(metric.result()) == 0)


# One case per code path (compiling is what costs here: ~0.3 s a metric on CPU).
JITTED = ["auc_weighted", "auc_pr", "auc_thresholds_weighted", "auc_multilabel_pr_weights_weighted",
          "auc_logits_weighted", "precision_top_k_weighted", "recall_top_k_class",
          "precision_even_thresholds_weighted", "sparse_top_k_1_column_weighted", "top_k_weighted"]


@pytest.mark.parametrize("case", JITTED)
def test_pure_core_under_jit_matches_keras(case):
    """What the engine runs inside the compiled step: initial_state/update/compute."""
    spec = next(c for c in CASES if c["case"] == case)
    metric = make(spec)
    update = jax.jit(metric.update)
    compute = jax.jit(metric.compute)
    state = metric.initial_state()
    expected = DATA[f"{spec['case']}/results"]
    for b, (y_true, y_pred, weight) in enumerate(batches(spec["case"])):
        state = update(state, y_true, y_pred, weight)
        check(compute(state), expected[b], spec, f"jit, after batch {b}")


EVALUATED = ["auc_weighted", "auc_pr", "precision_weighted", "recall", "top_k_2_weighted",
             "sparse_top_k_weighted"]


@pytest.mark.parametrize("case", EVALUATED)
def test_compiled_in_evaluate_matches_keras(case):
    """Compiled into a model that outputs its input, so `y_pred` is the fixture's."""
    spec = next(c for c in CASES if c["case"] == case)
    y_true = DATA[f"{case}/y_true"]
    y_pred = DATA[f"{case}/y_pred"]
    weight = DATA.get(f"{case}/sample_weight")
    model = Sequential([layers.Activation("linear", input_shape=y_pred.shape[1:])])
    # As Keras 3: `metrics` ignore sample weights, `weighted_metrics` use them.
    argument = "metrics" if weight is None else "weighted_metrics"
    model.compile("sgd", "mse" if y_true.dtype.kind == "f" else "sparse_categorical_crossentropy",
                  **{argument: [make(spec)]})
    logs = model.evaluate(y_pred, y_true, sample_weight=weight, batch_size=8, verbose=0,
                          return_dict=True)
    name = model.metrics[1].metrics[0].name  # inside Keras's `compile_metrics`
    check(logs[name], DATA[f"{case}/results"][-1], spec, "evaluate")


def test_fixture_covers_every_new_metric():
    names = {c["class_name"] for c in CASES}
    assert {"AUC", "Precision", "Recall", "TopKCategoricalAccuracy",
            "SparseTopKCategoricalAccuracy", "Accuracy", "BinaryAccuracy",
            "CategoricalAccuracy", "SparseCategoricalAccuracy", "MeanSquaredError",
            "MeanAbsoluteError", "Mean"} <= names
    assert any(c["weighted"] for c in CASES) and not all(c["weighted"] for c in CASES)


@pytest.mark.parametrize("name, cls", [
    ("auc", metrics.AUC), ("AUC", metrics.AUC), ("precision", metrics.Precision),
    ("recall", metrics.Recall), ("top_k_categorical_accuracy", metrics.TopKCategoricalAccuracy),
    ("sparse_top_k_categorical_accuracy", metrics.SparseTopKCategoricalAccuracy),
])
def test_get_by_snake_case_name(name, cls):
    metric = metrics.get(name)
    assert type(metric) is cls
    assert metric._direction == "up"


@pytest.mark.parametrize("metric", [
    metrics.AUC(curve="PR", num_thresholds=20), metrics.AUC(thresholds=[0.2, 0.6]),
    metrics.AUC(multi_label=True, num_labels=3, label_weights=[1, 2, 3]),
    metrics.Precision(thresholds=[0.3, 0.6]), metrics.Recall(top_k=2, class_id=1),
    metrics.TopKCategoricalAccuracy(k=3), metrics.SparseTopKCategoricalAccuracy(k=2),
], ids=lambda m: type(m).__name__)
def test_config_round_trip(metric):
    config = metric.get_config()
    clone = type(metric).from_config(config)
    assert clone.get_config() == config
    serialized = metrics.serialize(metric)
    assert type(metrics.get(serialized)) is type(metric)


def test_bad_arguments_name_the_argument():
    with pytest.raises(ValueError, match="num_thresholds"):
        metrics.AUC(num_thresholds=1)
    with pytest.raises(ValueError, match="curve"):
        metrics.AUC(curve="roc2")
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        metrics.Precision(thresholds=[0.5, 1.5])
    with pytest.raises(ValueError, match="num_labels"):
        metrics.AUC(multi_label=True).initial_state()
