"""Record what Keras 3 computes for the loss options hoarfrost once refused:
`SparseCategoricalCrossentropy(ignore_class=...)` (function, class, reductions,
sample weights, `axis`, the metric) and `BinaryCrossentropy(axis=...)`, plus an
`evaluate` / `fit` of a model compiled with the ignore_class loss and metric.

    KERAS_BACKEND=jax .venv-keras/bin/python tools/keras_fixtures/loss_options.py

Writes tests/losses/fixtures/keras_loss_options.json (inputs and values), read by
tests/losses/test_loss_options.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parents[2] / "tests" / "losses" / "fixtures"


def values() -> dict:
    import keras
    from keras import layers

    L = keras.losses
    yt = np.array([[1, -1, 2], [0, 2, -1]])
    logits = np.array([[[1., 2, 3], [0.5, 0.1, -1], [2, 0, 1]],
                       [[0., 0, 1], [1, 1, 1], [3, 2, 1]]], "float32")
    probs = (np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)).astype("float32")
    sw = np.array([[1.0], [0.5]], "float32")  # Keras refuses (2,) weights with a (2, 3) mask
    bt = np.array([[0, 1, 1], [1, 0, 0]], "float32")
    bp = np.array([[0.2, 0.7, 0.6], [0.9, 0.4, 0.3]], "float32")

    def f(x):
        return np.asarray(x).tolist()

    out = {"inputs": {"yt": f(yt), "logits": f(logits), "probs": f(probs), "sw": f(sw),
                      "bt": f(bt), "bp": f(bp)}}
    out["scce_fn"] = f(L.sparse_categorical_crossentropy(yt, logits, from_logits=True,
                                                         ignore_class=-1))
    out["scce_fn_probs"] = f(L.sparse_categorical_crossentropy(yt, probs, ignore_class=-1))
    scce = L.SparseCategoricalCrossentropy(from_logits=True, ignore_class=-1)
    out["scce_cls"] = f(scce(yt, logits))
    out["scce_cls_sw"] = f(scce(yt, logits, sample_weight=sw))
    out["scce_cls_sum"] = f(L.SparseCategoricalCrossentropy(
        from_logits=True, ignore_class=-1, reduction="sum")(yt, logits))
    out["scce_cls_none"] = f(L.SparseCategoricalCrossentropy(
        from_logits=True, ignore_class=-1, reduction=None)(yt, logits))
    out["scce_config"] = scce.get_config()
    out["scce_axis1"] = f(L.sparse_categorical_crossentropy(
        yt[:, None, :], np.swapaxes(logits, 1, 2), from_logits=True, ignore_class=-1, axis=1))
    m = keras.metrics.SparseCategoricalCrossentropy(from_logits=True, ignore_class=-1)
    m.update_state(yt, logits)
    out["scce_metric"] = f(m.result())
    m = keras.metrics.SparseCategoricalCrossentropy(from_logits=True, ignore_class=-1)
    m.update_state(yt, logits, sample_weight=sw)
    out["scce_metric_sw"] = f(m.result())
    out["bce_fn_axis0"] = f(L.binary_crossentropy(bt, bp, axis=0))
    bce = L.BinaryCrossentropy(axis=0)
    out["bce_cls_axis0"] = f(bce(bt, bp))
    out["bce_config"] = bce.get_config()
    out["bce_cls_axis0_none"] = f(L.BinaryCrossentropy(axis=0, reduction=None)(bt, bp))
    out["bce_cls_axis0_logits_smooth"] = f(L.BinaryCrossentropy(
        axis=0, from_logits=True, label_smoothing=0.1, reduction=None)(bt, bp))

    # A model compiled with the ignore_class loss and metric: evaluate and two epochs.
    x = np.linspace(-1, 1, 8 * 3 * 2, dtype="float32").reshape(8, 3, 2)
    y = np.array([[0, 1, -1], [2, -1, -1], [1, 1, 0], [0, 2, 1], [-1, -1, 2], [1, 0, 0],
                  [2, 2, -1], [0, 1, 2]])
    weights = np.linspace(0.5, 1, 8).reshape(8, 1).astype("float32")
    inp = keras.Input((3, 2))
    hidden = layers.Dense(3, kernel_initializer=keras.initializers.Constant(0.3),
                          bias_initializer=keras.initializers.Constant(0.1))(inp)
    model = keras.Model(inp, layers.Lambda(lambda t: t * keras.ops.arange(1.0, 4.0))(hidden))
    model.compile(loss=L.SparseCategoricalCrossentropy(from_logits=True, ignore_class=-1),
                  metrics=[keras.metrics.SparseCategoricalCrossentropy(from_logits=True,
                                                                       ignore_class=-1)],
                  optimizer="sgd")
    out["model"] = {
        "x": f(x), "y": f(y), "weights": f(weights),
        "evaluate": model.evaluate(x, y, batch_size=4, verbose=0, return_dict=True),
        "evaluate_weighted": model.evaluate(x, y, batch_size=4, verbose=0, return_dict=True,
                                            sample_weight=weights),
        "history": model.fit(x, y, batch_size=4, epochs=2, verbose=0, shuffle=False).history,
        "kernel": f(model.weights[0]),
    }
    return out


if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "keras_loss_options.json").write_text(json.dumps(values(), indent=1) + "\n")
