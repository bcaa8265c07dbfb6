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
