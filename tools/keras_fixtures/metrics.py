"""Record Keras's metric results on fixed random data, for tests/test_metrics_keras.py.

Run from this folder with the Keras environment (never a runtime dependency):

    cd tools/keras_fixtures && KERAS_BACKEND=jax ../../.venv-keras/bin/python metrics.py

Writes tests/fixtures/keras_metrics.npz. Each case is one metric (class name and
constructor kwargs, as JSON under `cases`), updated with 3 batches (of equal size,
so one compile under jit), without and with sample weights (some zero). The
fixture keeps each case's `y_true`, `y_pred` and `sample_weight` (batches
concatenated; `sizes` splits them) and Keras's `result()` after each update
(`results`, one row per batch), so the comparison covers accumulation across
batches, not just one call.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras  # noqa: E402

OUT = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "keras_metrics.npz"
SIZES = (12, 12, 12)  # equal: one compile per metric under jit; ragged batches are in evaluate
rng = np.random.default_rng(20240601)


def probs(n, classes):
    logits = rng.normal(size=(n, classes)) * 2
    e = np.exp(logits - logits.max(-1, keepdims=True))
    return (e / e.sum(-1, keepdims=True)).astype("float32")


def with_edges(p):
    """Put exact 0, 1, 0.5 and bucket-boundary values in, where AUC's buckets split."""
    flat = p.reshape(-1)
    edges = np.array([0.0, 1.0, 0.5, 1 / 199, 198 / 199, 0.25, 3 / 49], "float32")
    flat[: min(len(edges), flat.size)] = edges[: flat.size]
    return flat.reshape(p.shape)


# name -> (class name, kwargs, batch maker n -> (y_true, y_pred))
def binary(n, shape=(1,)):
    return (rng.integers(0, 2, (n,) + shape).astype("float32"),
            with_edges(rng.uniform(size=(n,) + shape).astype("float32")))


def binary_flat(n):
    return (rng.integers(0, 2, n).astype("float32"),
            with_edges(rng.uniform(size=n).astype("float32")))


def logits(n):
    return rng.integers(0, 2, (n, 1)).astype("float32"), (rng.normal(size=(n, 1)) * 3).astype(
        "float32")


def one_hot(n, classes=10):
    labels = rng.integers(0, classes, n)
    return np.eye(classes, dtype="float32")[labels], probs(n, classes)


def sparse(n, classes=10, column=False):
    labels = rng.integers(0, classes, (n, 1) if column else n)
    return labels.astype("int32"), probs(n, classes)


def regression(n):
    return rng.normal(size=(n, 3)).astype("float32"), rng.normal(size=(n, 3)).astype("float32")


def exact(n):
    return (rng.integers(0, 3, (n, 1)).astype("float32"),
            rng.integers(0, 3, (n, 1)).astype("float32"))


def multilabel(n):
    return rng.integers(0, 2, (n, 4)).astype("float32"), rng.uniform(size=(n, 4)).astype(
        "float32")


def class_ids(n, classes):
    """Class ids; with `classes` above the metric's, some fall out of range (not counted)."""
    return rng.integers(0, classes, n).astype("int32"), rng.integers(0, classes, n).astype(
        "int32")


def values(n):
    return rng.normal(size=n).astype("float32"), None


CASES = {
    "accuracy": ("Accuracy", {}, exact),
    "binary_accuracy": ("BinaryAccuracy", {}, binary),
    "binary_accuracy_t03": ("BinaryAccuracy", {"threshold": 0.3}, binary),
    "categorical_accuracy": ("CategoricalAccuracy", {}, one_hot),
    "sparse_categorical_accuracy": ("SparseCategoricalAccuracy", {}, sparse),
    "sparse_categorical_accuracy_column": ("SparseCategoricalAccuracy", {},
                                           lambda n: sparse(n, column=True)),
    "top_k": ("TopKCategoricalAccuracy", {}, one_hot),
    "top_k_2": ("TopKCategoricalAccuracy", {"k": 2}, lambda n: one_hot(n, 5)),
    "sparse_top_k": ("SparseTopKCategoricalAccuracy", {}, sparse),
    "sparse_top_k_1_column": ("SparseTopKCategoricalAccuracy", {"k": 1},
                              lambda n: sparse(n, 4, column=True)),
    "auc": ("AUC", {}, binary),
    "auc_flat": ("AUC", {}, binary_flat),
    "auc_pr": ("AUC", {"curve": "PR"}, binary),
    "auc_50": ("AUC", {"num_thresholds": 50}, binary),
    "auc_minoring": ("AUC", {"summation_method": "minoring"}, binary),
    "auc_pr_majoring": ("AUC", {"curve": "PR", "summation_method": "majoring"}, binary),
    "auc_logits": ("AUC", {"from_logits": True}, logits),
    "auc_thresholds": ("AUC", {"thresholds": [0.1, 0.3, 0.45, 0.8]}, binary),
    "auc_multilabel": ("AUC", {"multi_label": True, "num_labels": 4}, multilabel),
    "auc_multilabel_pr_weights": ("AUC", {"multi_label": True, "num_labels": 4, "curve": "PR",
                                          "label_weights": [1.0, 2.0, 0.5, 0.0]}, multilabel),
    "auc_flattened_label_weights": ("AUC", {"label_weights": [1.0, 2.0, 0.5, 0.0]}, multilabel),
    "precision": ("Precision", {}, binary),
    "precision_thresholds": ("Precision", {"thresholds": [0.2, 0.5, 0.7]}, binary),
    "precision_even_thresholds": ("Precision", {"thresholds": [0.0, 0.25, 0.5, 0.75, 1.0]},
                                  binary),
    "precision_top_k": ("Precision", {"top_k": 2}, lambda n: multilabel(n)),
    "precision_class_id": ("Precision", {"class_id": 1}, multilabel),
    "recall": ("Recall", {}, binary),
    "recall_thresholds": ("Recall", {"thresholds": [0.2, 0.5, 0.7]}, binary),
    "recall_top_k_class": ("Recall", {"top_k": 2, "class_id": 2}, multilabel),
    "mean_squared_error": ("MeanSquaredError", {}, regression),
    "mean_absolute_error": ("MeanAbsoluteError", {}, regression),
    "mean": ("Mean", {}, values),
    # Added for issue 14 (after the cases above, so their random data stays the same).
    "f1": ("F1Score", {}, lambda n: one_hot(n, 4)),
    "f1_micro_threshold": ("F1Score", {"average": "micro", "threshold": 0.5}, multilabel),
    "f1_macro": ("F1Score", {"average": "macro"}, lambda n: one_hot(n, 4)),
    "f1_weighted_threshold": ("F1Score", {"average": "weighted", "threshold": 0.4}, multilabel),
    "fbeta_2_weighted": ("FBetaScore", {"beta": 2.0, "average": "weighted"},
                         lambda n: one_hot(n, 4)),
    "fbeta_half": ("FBetaScore", {"beta": 0.5, "threshold": 0.3}, multilabel),
    "r2": ("R2Score", {}, regression),
    "r2_variance_weighted": ("R2Score", {"class_aggregation": "variance_weighted_average"},
                             regression),
    "r2_per_column": ("R2Score", {"class_aggregation": None}, regression),
    "r2_adjusted": ("R2Score", {"num_regressors": 2}, regression),
    "pearson": ("PearsonCorrelation", {}, regression),
    "concordance": ("ConcordanceCorrelation", {}, regression),
    "iou": ("IoU", {"num_classes": 3, "target_class_ids": [0, 2]}, lambda n: class_ids(n, 3)),
    "mean_iou": ("MeanIoU", {"num_classes": 3}, lambda n: class_ids(n, 3)),
    "mean_iou_ignore_out_of_range": ("MeanIoU", {"num_classes": 3, "ignore_class": 1},
                                     lambda n: class_ids(n, 4)),
    "mean_iou_scores": ("MeanIoU", {"num_classes": 4, "sparse_y_pred": False},
                        lambda n: sparse(n, 4)),
    "binary_iou": ("BinaryIoU", {}, binary),
    "binary_iou_one_class": ("BinaryIoU", {"target_class_ids": [1], "threshold": 0.3}, binary),
    "one_hot_iou": ("OneHotIoU", {"num_classes": 4, "target_class_ids": [0, 3]},
                    lambda n: one_hot(n, 4)),
    "one_hot_mean_iou": ("OneHotMeanIoU", {"num_classes": 4}, lambda n: one_hot(n, 4)),
    "precision_at_recall": ("PrecisionAtRecall", {"recall": 0.5}, binary),
    "precision_at_recall_class": ("PrecisionAtRecall", {"recall": 0.4, "class_id": 2},
                                  multilabel),
    "recall_at_precision": ("RecallAtPrecision", {"precision": 0.6}, binary),
    "sensitivity_at_specificity": ("SensitivityAtSpecificity", {"specificity": 0.5}, binary),
    "sensitivity_at_specificity_one": ("SensitivityAtSpecificity",
                                       {"specificity": 0.3, "num_thresholds": 1}, binary),
    "specificity_at_sensitivity": ("SpecificityAtSensitivity",
                                   {"sensitivity": 0.7, "num_thresholds": 50}, binary),
    "sum": ("Sum", {}, values),
}


DESERIALIZE = ["mean_squared_error", "mse", "MAE", "bce", "f1_score", "F1Score",
               "binary_focal_crossentropy", "pearson_correlation", "huber",
               "log_cosh", "sum", "r2_score", "categorical_hinge"]


def run(class_name, kwargs, batches):
    metric = getattr(keras.metrics, class_name)(**kwargs)
    results = []
    for y_true, y_pred, weight in batches:
        if class_name in ("Mean", "Sum"):
            metric.update_state(y_true, sample_weight=weight)
        else:
            metric.update_state(y_true, y_pred, sample_weight=weight)
        results.append(np.asarray(keras.ops.convert_to_numpy(metric.result()), "float64"))
    return results


def main():
    data, index = {}, []
    for name, (class_name, kwargs, make) in CASES.items():
        for weighted in (False, True):
            case = f"{name}{'_weighted' if weighted else ''}"
            batches = []
            for n in SIZES:
                y_true, y_pred = make(n)
                weight = None
                if weighted:
                    weight = rng.uniform(0, 2, n).astype("float32")
                    weight[::5] = 0.0
                batches.append((y_true, y_pred, weight))
            # One array per field, batches concatenated (split by SIZES when read).
            data[f"{case}/y_true"] = np.concatenate([b[0] for b in batches])
            if batches[0][1] is not None:
                data[f"{case}/y_pred"] = np.concatenate([b[1] for b in batches])
            if weighted:
                data[f"{case}/sample_weight"] = np.concatenate([b[2] for b in batches])
            data[f"{case}/results"] = np.stack(run(class_name, kwargs, batches))
            index.append({"case": case, "class_name": class_name, "kwargs": kwargs,
                          "batches": len(batches), "weighted": weighted})
            print(f"{case:45s} {data[f'{case}/results'][-1]}")
    # What `metrics.deserialize` makes of names: a class's instance or a function.
    deserialized = {}
    for name in DESERIALIZE:
        obj = keras.metrics.deserialize(name)
        if isinstance(obj, str):  # a function's name comes back as it is
            deserialized[name] = f"string {obj}"
        elif isinstance(obj, keras.metrics.Metric):
            deserialized[name] = f"instance {type(obj).__name__}"
        else:
            deserialized[name] = f"function {obj.__name__}"
    data["deserialize"] = np.array(json.dumps(deserialized))
    data["cases"] = np.array(json.dumps(index))
    data["sizes"] = np.array(SIZES)
    data["keras_version"] = np.array(keras.__version__)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(OUT, **data)
    print("wrote", OUT, f"({OUT.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
