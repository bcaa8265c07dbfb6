"""Record a Keras layer's weights and outputs as a fixture hoarfrost must match.

Run with Keras 3 installed (the optional `bench`/fixture environment, never a
runtime dependency), e.g.:

    python3 -m venv .venv-keras && .venv-keras/bin/pip install keras jax
    KERAS_BACKEND=jax .venv-keras/bin/python tools/keras_fixtures/core.py

Each fixture is a small `.npz` under tests/layers/fixtures/ holding the layer's
class name and constructor kwargs (JSON), the inputs, the Keras weights in
`get_weights()` order, and the outputs in inference (and, where it differs and
is deterministic, training) mode.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parents[2] / "tests" / "layers" / "fixtures"


def save_fixture(name: str, keras_layer_cls, kwargs: dict, inputs, training: bool = False,
                 seed: int = 0, call_kwargs: dict | None = None) -> None:
    """Build `keras_layer_cls(**kwargs)`, randomise its weights, save the fixture.

    Args:
        name: the fixture's file name (without .npz).
        inputs: an array or a list of arrays (for merge layers).
        training: also record the output with `training=True`.
    """
    import keras

    keras.utils.set_random_seed(seed)
    rng = np.random.default_rng(seed)
    layer = keras_layer_cls(**kwargs)
    multi = isinstance(inputs, (list, tuple))
    arrays = list(inputs) if multi else [inputs]
    layer(arrays if multi else arrays[0])  # build
    # Random weights (not the initializers'), so every weight matters in the output.
    weights = [rng.normal(size=w.shape).astype(w.dtype) if np.issubdtype(w.dtype, np.floating)
               else w for w in layer.get_weights()]
    for i, w in enumerate(layer.weights):
        if "variance" in w.path:  # keep variances positive
            weights[i] = np.abs(weights[i]) + 0.5
    layer.set_weights(weights)
    call_kwargs = call_kwargs or {}
    data = {
        "class_name": np.array(keras_layer_cls.__name__),
        "kwargs": np.array(json.dumps(kwargs)),
        "call_kwargs": np.array(json.dumps(call_kwargs)),
        "num_inputs": np.array(len(arrays) if multi else 0),
        "num_weights": np.array(len(weights)),
        "weight_paths": np.array(json.dumps([w.path for w in layer.weights])),
    }
    for i, a in enumerate(arrays):
        data[f"input_{i}"] = np.asarray(a)
    for i, w in enumerate(weights):
        data[f"weight_{i}"] = np.asarray(w)
    x = arrays if multi else arrays[0]
    outputs = layer(x, training=False, **call_kwargs)
    _store(data, "inference", outputs)
    if training:
        _store(data, "training", layer(x, training=True, **call_kwargs))
    OUT.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(OUT / f"{name}.npz", **data)
    print("wrote", OUT / f"{name}.npz")


def _store(data: dict, mode: str, outputs) -> None:
    from keras import ops
    outs = list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]
    data[f"num_outputs_{mode}"] = np.array(len(outs))
    for i, o in enumerate(outs):
        data[f"output_{mode}_{i}"] = np.asarray(ops.convert_to_numpy(o))


if os.environ.get("KERAS_BACKEND") is None:
    os.environ["KERAS_BACKEND"] = "jax"


def three_steps(write, hoarfrost_side, check) -> None:
    """The command line of the both-ways fixture scripts: no argument, Keras writes;
    `--hoarfrost DIR`, hoarfrost re-saves into DIR; `--check DIR`, Keras reads DIR."""
    import sys
    if "--hoarfrost" in sys.argv:
        hoarfrost_side(sys.argv[sys.argv.index("--hoarfrost") + 1])
    elif "--check" in sys.argv:
        check(sys.argv[sys.argv.index("--check") + 1])
    else:
        write()
