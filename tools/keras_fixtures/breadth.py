"""Shared recorder for the fixtures of the layers added for API breadth
(normalization.py, convolutional_3d.py, preprocessing_lookup.py, rnn_cells.py).

`record(name, cls, kwargs, inputs)` stores what `common.save_fixture` stores
(class name, JSON kwargs, inputs, random weights in `get_weights` order,
inference and training outputs) plus `config_keys` (the sorted keys of
Keras's `get_config()`) and, after the training call, the weights again
(`after_training_<i>`), so layers with state (moving statistics) are
checked on their updates too. Positive-only weights (variances, standard
deviations) are drawn positive.
"""

from __future__ import annotations

import json

import numpy as np

from common import OUT, _store  # noqa: E402  (run as a script from this folder)

import keras  # noqa: E402


def random_weights(layer, seed: int):
    rng = np.random.default_rng(seed)
    weights = []
    for w, value in zip(layer.weights, layer.get_weights()):
        if not np.issubdtype(value.dtype, np.floating):
            weights.append(value)
            continue
        value = rng.normal(size=value.shape).astype(value.dtype)
        if "variance" in w.path or "stddev" in w.path:
            value = np.abs(value) + 0.5
        weights.append(value)
    return weights


def record(name, cls, kwargs, inputs, training=True, seed=0, call_kwargs=None,
           randomize=True, class_name=None, build=None):
    keras.utils.set_random_seed(seed)
    layer = cls(**kwargs)
    multi = isinstance(inputs, (list, tuple))
    arrays = list(inputs) if multi else [inputs]
    x = arrays if multi else arrays[0]
    call_kwargs = call_kwargs or {}
    if build is not None:
        build(layer)
    else:
        layer(x, **call_kwargs)
    weights = random_weights(layer, seed) if randomize else layer.get_weights()
    layer.set_weights(weights)
    data = {
        "class_name": np.array(class_name or cls.__name__),
        "kwargs": np.array(json.dumps(kwargs)),
        "call_kwargs": np.array(json.dumps(call_kwargs)),
        "num_inputs": np.array(len(arrays) if multi else 0),
        "num_weights": np.array(len(weights)),
        "weight_paths": np.array(json.dumps([w.path for w in layer.weights])),
        "config_keys": np.array(json.dumps(sorted(layer.get_config()))),
    }
    for i, a in enumerate(arrays):
        data[f"input_{i}"] = np.asarray(a)
    for i, w in enumerate(weights):
        data[f"weight_{i}"] = np.asarray(w)
    _store(data, "inference", layer(x, training=False, **call_kwargs))
    if training:
        _store(data, "training", layer(x, training=True, **call_kwargs))
        for i, w in enumerate(layer.get_weights()):
            data[f"after_training_{i}"] = np.asarray(w)
    OUT.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(OUT / f"{name}.npz", **data)
    print("wrote", OUT / f"{name}.npz")
    return layer
