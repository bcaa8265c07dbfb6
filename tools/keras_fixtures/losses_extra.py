"""Keras's values of the regression, hinge and divergence losses and their metrics.

    KERAS_BACKEND=jax .venv-keras/bin/python tools/keras_fixtures/losses_extra.py
"""

from __future__ import annotations

import json

import numpy as np

from common import OUT  # noqa: E402  (run as a script from this folder)

import keras  # noqa: E402

rng = np.random.default_rng(0)
real = {"y_true": rng.normal(size=(6, 4)).astype("float32"),
        "y_pred": rng.normal(size=(6, 4)).astype("float32")}
positive = {"y_true": rng.random((6, 4)).astype("float32") * 3,
            "y_pred": rng.random((6, 4)).astype("float32") * 3}
probs = {"y_true": rng.dirichlet(np.ones(4), 6).astype("float32"),
         "y_pred": rng.dirichlet(np.ones(4), 6).astype("float32")}
labels01 = {"y_true": rng.integers(0, 2, (6, 4)).astype("float32"),
            "y_pred": rng.normal(size=(6, 4)).astype("float32")}
onehot = {"y_true": np.eye(4, dtype="float32")[rng.integers(0, 4, 6)],
          "y_pred": rng.normal(size=(6, 4)).astype("float32")}
weights = rng.random(6).astype("float32")

CASES = {  # name: (loss class, kwargs, data)
    "MeanAbsolutePercentageError": ({}, real), "MeanSquaredLogarithmicError": ({}, positive),
    "Huber": ({"delta": 0.7}, real), "LogCosh": ({}, real), "KLDivergence": ({}, probs),
    "Poisson": ({}, positive), "Hinge": ({}, labels01), "SquaredHinge": ({}, labels01),
    "CategoricalHinge": ({}, onehot), "CosineSimilarity": ({}, real),
}
METRICS = {  # metric class: (kwargs, data)
    "RootMeanSquaredError": ({}, real), "MeanAbsolutePercentageError": ({}, real),
    "MeanSquaredLogarithmicError": ({}, positive), "LogCoshError": ({}, real),
    "KLDivergence": ({}, probs), "Poisson": ({}, positive), "Hinge": ({}, labels01),
    "SquaredHinge": ({}, labels01), "CategoricalHinge": ({}, onehot),
    "CosineSimilarity": ({}, real), "BinaryCrossentropy": ({"from_logits": True}, labels01),
    "CategoricalCrossentropy": ({"label_smoothing": 0.1}, {"y_true": onehot["y_true"],
                                                           "y_pred": probs["y_pred"]}),
    "SparseCategoricalCrossentropy": ({"from_logits": True},
                                      {"y_true": onehot["y_true"].argmax(-1),
                                       "y_pred": onehot["y_pred"]}),
}

data = {"losses": np.array(json.dumps({k: v[0] for k, v in CASES.items()})),
        "metrics": np.array(json.dumps({k: v[0] for k, v in METRICS.items()})),
        "weights": weights}
for name, (kwargs, arrays) in CASES.items():
    loss = getattr(keras.losses, name)(**kwargs)
    data[f"loss_{name}_y_true"], data[f"loss_{name}_y_pred"] = arrays["y_true"], arrays["y_pred"]
    data[f"loss_{name}_value"] = np.asarray(loss(arrays["y_true"], arrays["y_pred"]))
    data[f"loss_{name}_weighted"] = np.asarray(loss(arrays["y_true"], arrays["y_pred"],
                                                    sample_weight=weights))
    data[f"loss_{name}_name"] = np.array(loss.name)
for name, (kwargs, arrays) in METRICS.items():
    metric = getattr(keras.metrics, name)(**kwargs)
    metric.update_state(arrays["y_true"][:3], arrays["y_pred"][:3], sample_weight=weights[:3])
    metric.update_state(arrays["y_true"][3:], arrays["y_pred"][3:])
    data[f"metric_{name}_y_true"], data[f"metric_{name}_y_pred"] = arrays["y_true"], arrays["y_pred"]
    data[f"metric_{name}_value"] = np.asarray(metric.result())
    data[f"metric_{name}_name"] = np.array(metric.name)
np.savez_compressed(OUT / "losses_extra.npz", **data)
print("wrote", OUT / "losses_extra.npz")

# Issue 14: the focal, generalized, overlap, metric-learning and CTC losses. Several cases
# per class, each with its own data and weights, under `case_<name>_*` (drawn after the
# data above, so those values stay the same).
labels = rng.integers(0, 4, 6)
embeddings = rng.normal(size=(8, 5))
embeddings = (embeddings / np.linalg.norm(embeddings, axis=1, keepdims=True)).astype("float32")
NEW_CASES = {  # case: (loss class, kwargs, y_true, y_pred, weighted)
    "binary_focal": ("BinaryFocalCrossentropy", {}, labels01["y_true"],
                     rng.random((6, 4)).astype("float32"), True),
    "binary_focal_balanced_logits": ("BinaryFocalCrossentropy", {
        "apply_class_balancing": True, "alpha": 0.3, "gamma": 1.5, "from_logits": True,
        "label_smoothing": 0.1}, labels01["y_true"], labels01["y_pred"], True),
    "categorical_focal": ("CategoricalFocalCrossentropy", {}, onehot["y_true"],
                          probs["y_pred"], True),
    "categorical_focal_logits": ("CategoricalFocalCrossentropy", {
        "alpha": 0.5, "gamma": 3.0, "from_logits": True, "label_smoothing": 0.1},
        onehot["y_true"], onehot["y_pred"], True),
    "generalized_cross_entropy": ("CategoricalGeneralizedCrossEntropy", {"q": 0.7},
                                  labels.astype("int32"), probs["y_pred"], True),
    "dice": ("Dice", {}, labels01["y_true"], rng.random((6, 4)).astype("float32"), False),
    "dice_per_sample": ("Dice", {"axis": -1}, labels01["y_true"],
                        rng.random((6, 4)).astype("float32"), True),
    "tversky": ("Tversky", {}, labels01["y_true"], rng.random((6, 4)).astype("float32"), False),
    "tversky_per_sample": ("Tversky", {"alpha": 0.3, "beta": 0.7, "axis": -1},
                           labels01["y_true"], rng.random((6, 4)).astype("float32"), True),
    "circle": ("Circle", {}, np.array([0, 1, 0, 2, 1, 0, 2, 2], "int32"), embeddings, True),
    "circle_options": ("Circle", {"gamma": 10.0, "margin": 0.25, "remove_diagonal": False},
                       np.array([0, 1, 0, 2, 1, 0, 2, 2], "int32"), embeddings, True),
    "ctc": ("CTC", {}, np.array([[1, 2, 2, 0], [3, 1, 0, 0], [4, 4, 1, 3]], "int32"),
            rng.normal(size=(3, 7, 5)).astype("float32"), True),
}
data["cases"] = np.array(json.dumps({k: [v[0], v[1], v[4]] for k, v in NEW_CASES.items()}))
for case, (class_name, kwargs, y_true, y_pred, weighted) in NEW_CASES.items():
    loss = getattr(keras.losses, class_name)(**kwargs)
    data[f"case_{case}_y_true"], data[f"case_{case}_y_pred"] = y_true, y_pred
    data[f"case_{case}_value"] = np.asarray(loss(y_true, y_pred))
    if weighted:
        weight = rng.random(len(y_true)).astype("float32")
        data[f"case_{case}_weights"] = weight
        data[f"case_{case}_weighted"] = np.asarray(loss(y_true, y_pred, sample_weight=weight))
    function = getattr(keras.losses, loss.fn.__name__)
    data[f"case_{case}_function"] = np.asarray(function(y_true, y_pred, **{
        k: v for k, v in kwargs.items()}))
    data[f"case_{case}_config"] = np.array(json.dumps(loss.get_config()))
    print(case, data[f"case_{case}_value"], loss.get_config())
np.savez_compressed(OUT / "losses_extra.npz", **data)
print("wrote", OUT / "losses_extra.npz", "with the issue-14 cases")
