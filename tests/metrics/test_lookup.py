"""The metrics added for Keras 3.15's API: configs, lookup by name and config, the function
aliases, and compile() settings surviving save/load."""

import json
from pathlib import Path

import numpy as np
import pytest

from hoarfrost import Sequential, layers, losses, metrics, saving

FIXTURE = Path(__file__).parents[1] / "fixtures" / "keras_metrics.npz"
NEW = [
    metrics.F1Score(average="micro", threshold=0.4), metrics.FBetaScore(beta=2.0),
    metrics.R2Score(class_aggregation=None, num_regressors=1), metrics.PearsonCorrelation(),
    metrics.ConcordanceCorrelation(axis=0), metrics.IoU(3, [0, 2], ignore_class=1),
    metrics.MeanIoU(4, sparse_y_pred=False), metrics.BinaryIoU([1], threshold=0.3),
    metrics.OneHotIoU(3, [1]), metrics.OneHotMeanIoU(3), metrics.PrecisionAtRecall(0.4),
    metrics.RecallAtPrecision(0.6, num_thresholds=20, class_id=1),
    metrics.SensitivityAtSpecificity(0.5), metrics.SpecificityAtSensitivity(0.7),
    metrics.Sum(name="total"),
]


@pytest.mark.parametrize("metric", NEW, ids=lambda m: type(m).__name__)
def test_config_round_trip_and_lookup(metric):
    config = metric.get_config()
    assert config["name"] == metric.name and config["dtype"] == metric.dtype
    clone = type(metric).from_config(config)
    assert clone.get_config() == config
    assert type(metrics.get(metrics.serialize(metric))) is type(metric)
    assert type(metrics.deserialize(metrics.serialize(metric))) is type(metric)


def test_keras_names_and_variable_names():
    mean_iou = metrics.MeanIoU(3)
    assert [mean_iou.name, metrics.BinaryIoU().name, metrics.FBetaScore().name,
            metrics.OneHotMeanIoU(2).name] == ["mean_io_u", "binary_io_u", "fbeta_score",
                                               "one_hot_mean_io_u"]
    assert [v.path for v in mean_iou.variables] == ["mean_io_u/total_confusion_matrix"]
    assert mean_iou.variables[0].dtype == np.int32
    # A second unnamed one takes the next free name, its variables' paths with it (Keras).
    assert [v.path for v in metrics.MeanIoU(3).variables] == [
        "mean_io_u_1/total_confusion_matrix"]
    assert [v.path for v in metrics.PearsonCorrelation().variables] == [
        "pearson_correlation/total", "pearson_correlation/count"]
    assert [v.path for v in metrics.PrecisionAtRecall(0.5).variables] == [
        "precision_at_recall/true_positives", "precision_at_recall/false_positives",
        "precision_at_recall/true_negatives", "precision_at_recall/false_negatives"]
    assert type(metrics.get("f1_score")) is metrics.F1Score
    assert type(metrics.get("R2Score")) is metrics.R2Score


def test_function_aliases_are_the_losses_functions():
    for name in ("binary_crossentropy", "categorical_crossentropy", "mean_squared_error",
                 "hinge", "huber", "log_cosh", "kl_divergence", "poisson"):
        assert getattr(metrics, name) is getattr(losses, name)
    assert metrics.deserialize("nope") == "nope"  # as Keras: an unknown name comes back


def test_deserialize_by_name_as_keras():
    expected = json.loads(str(np.load(FIXTURE)["deserialize"]))
    for name, what in expected.items():
        found = metrics.deserialize(name)
        kind, value = what.split(" ")
        if kind == "instance":
            assert type(found).__name__ == value, name
        else:
            assert found == value, name
    wrapper = metrics.get("pearson_correlation")
    assert wrapper.name == "pearson_correlation"


def test_bad_arguments_raise_naming_them():
    with pytest.raises(ValueError, match="Target class id 3"):
        metrics.IoU(3, [0, 3])
    with pytest.raises(ValueError, match="`recall`"):
        metrics.PrecisionAtRecall(1.5)
    with pytest.raises(ValueError, match="num_thresholds"):
        metrics.SensitivityAtSpecificity(0.5, num_thresholds=0)


def test_compiled_new_metrics_survive_save_and_load(tmp_path):
    model = Sequential([layers.Input((3,)), layers.Dense(3, activation="softmax")])
    model.compile("adam", "categorical_crossentropy",
                  metrics=[metrics.F1Score(average="macro"), metrics.OneHotMeanIoU(3),
                           metrics.PrecisionAtRecall(0.3, class_id=0)])
    x = np.random.default_rng(0).random((8, 3)).astype("float32")
    y = np.eye(3, dtype="float32")[[0, 1, 2, 0, 1, 2, 0, 1]]
    expected = model.evaluate(x, y, verbose=0, return_dict=True)
    model.save(tmp_path / "m.keras")
    loaded = saving.load_model(tmp_path / "m.keras")
    assert loaded.evaluate(x, y, verbose=0, return_dict=True) == pytest.approx(expected)
    compiled = loaded.metrics[1].metrics  # Keras's structure: [loss, compile_metrics]
    assert [type(m).__name__ for m in compiled] == [
        "F1Score", "OneHotMeanIoU", "PrecisionAtRecall"]
    assert compiled[2].get_config() == model.metrics[1].metrics[2].get_config()


# --- metrics.get returns what Keras 3's does (tools/keras_fixtures/lookup_get.py) ----------
KERAS_GET = json.loads((Path(__file__).parents[1] / "fixtures" / "keras_get.json").read_text())


@pytest.mark.parametrize("name", sorted(KERAS_GET["metrics"]))
def test_get_by_name_returns_what_keras_returns(name):
    """A class instance, with the class's own name (`"mse"` -> `MeanSquaredError()`,
    `"accuracy"` -> `Accuracy()`); `compile()` renames a metric given by name to it."""
    metric = metrics.get(name)
    assert f"instance {type(metric).__name__} {metric.name}" == KERAS_GET["metrics"][name]


def test_get_passes_objects_and_functions_through():
    metric = metrics.AUC()
    assert metrics.get(metric) is metric
    assert metrics.get(None) is None
    assert metrics.get(losses.mean_squared_error) is losses.mean_squared_error
    assert type(metrics.get(metrics.Precision)) is metrics.Precision


def test_compile_metric_resolves_accuracy_from_the_loss():
    assert type(metrics.get("accuracy")) is metrics.Accuracy
    metric = metrics.compile_metric("accuracy", loss=losses.BinaryCrossentropy())
    assert type(metric) is metrics.BinaryAccuracy and metric.name == "accuracy"
