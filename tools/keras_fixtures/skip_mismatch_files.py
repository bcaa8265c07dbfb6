"""Record what Keras 3's `load_weights(..., skip_mismatch=True)` does.

    KERAS_BACKEND=jax .venv-keras/bin/python tools/keras_fixtures/skip_mismatch_files.py

Saves a small model's weights (`.weights.h5` and legacy `.h5`) into
tests/saving/fixtures/, then loads them into a model whose second Dense layer has
another width, and one with an extra layer, with `skip_mismatch=True`, and writes
which weights each ends up with (`skip_mismatch.json`): the layers that fit load,
the others keep their own values. Read by tests/saving/test_skip_mismatch.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parents[2] / "tests" / "saving" / "fixtures"


def model(keras, widths, names):
    inputs = keras.Input((3,), name="x")
    h = inputs
    for width, name in zip(widths, names):
        h = keras.layers.Dense(width, name=name, kernel_initializer="ones",
                               bias_initializer="zeros")(h)
    return keras.Model(inputs, h)


def main():
    import keras

    source = model(keras, [4, 2], ["first", "second"])
    rng = np.random.default_rng(0)
    source.set_weights([rng.normal(size=w.shape).astype("float32") for w in source.weights])
    source.save_weights(OUT / "skip_mismatch_source.weights.h5")
    source.save(OUT / "skip_mismatch_source_legacy.h5")
    out = {"source": [w.tolist() for w in source.get_weights()]}
    cases = {"wider_second": ([4, 5], ["first", "second"]),
             "extra_layer": ([4, 2, 1], ["first", "second", "third"])}
    for case, (widths, names) in cases.items():
        for kind, name in (("keras", "skip_mismatch_source.weights.h5"),
                           ("legacy", "skip_mismatch_source_legacy.h5")):
            target = model(keras, widths, names)
            try:
                target.load_weights(OUT / name, skip_mismatch=True)
                out[f"{case}/{kind}"] = [w.tolist() for w in target.get_weights()]
            except Exception as exc:  # what Keras refuses even with skip_mismatch
                out[f"{case}/{kind}"] = f"{type(exc).__name__}: {exc}"
    (OUT / "skip_mismatch.json").write_text(json.dumps(out) + "\n")


if __name__ == "__main__":
    main()
