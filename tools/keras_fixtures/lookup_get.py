"""Record what Keras 3's `losses.get` / `metrics.get` return for string names, and
what `compile()` logs for names given as loss and metrics.

    KERAS_BACKEND=jax .venv-keras/bin/python tools/keras_fixtures/lookup_get.py

Writes tests/fixtures/keras_get.json: per name, "function <name>", "instance <Class>
<name>" or "error"; read by tests/losses/test_lookup.py and tests/metrics/test_lookup.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "keras_get.json"

LOSS_NAMES = ["mse", "MSE", "mean_squared_error", "MeanSquaredError", "mae", "MAE", "bce",
              "BCE", "kld", "mape", "msle", "binary_crossentropy", "categorical_crossentropy",
              "sparse_categorical_crossentropy", "BinaryCrossentropy", "huber", "Huber",
              "hinge", "log_cosh", "cosine_similarity", "kl_divergence", "poisson",
              "categorical_hinge", "squared_hinge", "dice", "tversky", "ctc", "circle",
              "binary_focal_crossentropy", "categorical_focal_crossentropy",
              "mean_absolute_percentage_error", "mean_squared_logarithmic_error"]
METRIC_NAMES = ["accuracy", "Accuracy", "mse", "MSE", "mae", "mean_squared_error",
                "MeanSquaredError", "binary_accuracy", "categorical_accuracy",
                "sparse_categorical_accuracy", "top_k_categorical_accuracy",
                "sparse_top_k_categorical_accuracy", "AUC", "auc", "precision", "recall",
                "binary_crossentropy", "categorical_crossentropy",
                "sparse_categorical_crossentropy", "bce", "mape", "msle", "hinge", "poisson",
                "cosine_similarity", "root_mean_squared_error", "r2_score", "f1_score",
                "log_cosh_error", "kl_divergence", "mean_absolute_percentage_error"]


FUNCTIONS = ["mean_squared_error", "mean_absolute_error", "mean_squared_logarithmic_error",
             "binary_crossentropy", "categorical_crossentropy", "huber", "log_cosh",
             "kl_divergence", "poisson", "hinge", "squared_hinge", "categorical_hinge",
             "cosine_similarity"]


def describe(obj) -> str:
    if callable(obj) and not hasattr(obj, "get_config"):
        return f"function {obj.__name__}"
    return f"instance {type(obj).__name__} {obj.name.rsplit('_', 1)[0] if obj.name[-1].isdigit() else obj.name}"


def main():
    import keras
    from keras import layers

    out = {"losses": {}, "metrics": {}, "logs": {}}
    for name in LOSS_NAMES:
        try:
            out["losses"][name] = describe(keras.losses.get(name))
        except ValueError:
            out["losses"][name] = "error"
    for name in METRIC_NAMES:
        try:
            out["metrics"][name] = describe(keras.metrics.get(name))
        except ValueError:
            out["metrics"][name] = "error"
    x = np.linspace(0, 1, 24, dtype="float32").reshape(8, 3)
    y = (x.sum(1, keepdims=True) > 1.5).astype("float32")
    for loss, metrics in [("mse", ["mse", "mae", "accuracy"]),
                          ("binary_crossentropy", ["acc", "AUC", "binary_crossentropy", "bce"]),
                          ("bce", ["MeanSquaredError", "mean_absolute_error", "Precision"])]:
        model = keras.Sequential([keras.Input((3,)), layers.Dense(1, activation="sigmoid")])
        model.compile(optimizer="sgd", loss=loss, metrics=metrics)
        history = model.fit(x, y, epochs=1, verbose=0)
        out["logs"][f"{loss}|{'|'.join(metrics)}"] = {
            "history": sorted(history.history),
            "evaluate": list(model.evaluate(x, y, verbose=0, return_dict=True)),
        }
    # Loss and metric functions take Python lists; binary_accuracy is element-wise.
    y_true = [[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]]
    y_pred = [[0.1, 0.8, 0.1], [0.6, 0.3, 0.1]]
    out["on_lists"] = {name: np.asarray(getattr(keras.losses, name)(y_true, y_pred)).tolist()
                       for name in FUNCTIONS}
    out["on_lists"]["binary_accuracy"] = np.asarray(
        keras.metrics.binary_accuracy(y_true, y_pred)).tolist()
    out["on_lists"]["categorical_accuracy"] = np.asarray(
        keras.metrics.categorical_accuracy(y_true, y_pred)).tolist()
    out["serialize_function"] = keras.losses.serialize(keras.losses.get("mse"))
    OUT.write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
