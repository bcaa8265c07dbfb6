"""A Keras-written `.keras` file with LoRA and int8 layers, as a fixture for hoarfrost.

Run from this folder with the Keras environment (never a hoarfrost dependency):

    KERAS_BACKEND=jax ../../.venv-keras/bin/python lora_files.py            # write
    KERAS_BACKEND=jax ../../.venv-keras/bin/python lora_files.py --check F  # Keras reads F

The model: Embedding (LoRA rank 2) -> EinsumDense -> Flatten -> Dense (int8,
LoRA rank 2) -> Dense (LoRA rank 3, alpha 6), weights random and every B
non-zero, so that the merge Keras does when it saves matters. Writes, under
tests/saving/fixtures/:

- `keras_lora.keras`: Keras's file (LoRA layers saved merged);
- `keras_lora.npz`: the inputs `x`, Keras's predictions before saving `y` and
  after `load_model` `y_loaded` (the merged kernels, adapters zeroed).

`--check F` loads a `.keras` file hoarfrost wrote from `keras_lora.keras`
(tests/saving/test_adapters.py writes one with `HOARFROST_WRITE_LORA_FILE=F`)
and prints how far Keras's predictions are from `y_loaded`.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras  # noqa: E402

OUT = Path(__file__).resolve().parents[2] / "tests" / "saving" / "fixtures"


def build():
    inp = keras.Input((3,), dtype="int32")
    x = keras.layers.Embedding(10, 4, name="emb")(inp)
    x = keras.layers.EinsumDense("abc,cd->abd", output_shape=(3, 5), bias_axes="d",
                                 name="ein")(x)
    x = keras.layers.Flatten(name="flat")(x)
    x = keras.layers.Dense(6, name="d1")(x)
    out = keras.layers.Dense(2, name="d2")(x)
    return keras.Model(inp, out, name="lora_model")


def main() -> None:
    if sys.argv[1:2] == ["--check"]:
        data = np.load(OUT / "keras_lora.npz")
        model = keras.models.load_model(sys.argv[2])
        y = np.asarray(model.predict(data["x"], verbose=0))
        print("Keras reads hoarfrost's file: max |y - y_loaded| =",
              float(np.abs(y - data["y_loaded"]).max()))
        print([(w.path, str(w.dtype)) for w in model.weights])
        return
    keras.utils.set_random_seed(3)
    model = build()
    model.quantize("int8", filters="d1")
    model.get_layer("d1").enable_lora(2)
    model.get_layer("emb").enable_lora(2)
    model.get_layer("d2").enable_lora(3, lora_alpha=6)
    rng = np.random.default_rng(0)
    for layer in ("emb", "d1", "d2"):
        b = model.get_layer(layer).weights
        for w in b:
            if w.path.endswith("_b"):
                w.assign(rng.normal(0, 0.3, w.shape).astype("float32"))
    x = rng.integers(0, 10, (4, 3)).astype("int32")
    y = np.asarray(model.predict(x, verbose=0))
    path = OUT / "keras_lora.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    y_loaded = np.asarray(loaded.predict(x, verbose=0))
    np.savez(OUT / "keras_lora.npz", x=x, y=y, y_loaded=y_loaded,
             keras_version=np.array(keras.__version__))
    print("wrote", path, "max |y - y_loaded| =", float(np.abs(y - y_loaded).max()))


if __name__ == "__main__":
    main()
