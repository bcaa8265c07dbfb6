"""Keras `.keras` files whose graphs record operations Keras names by acronym, by a name
other than the function's, or keeps outside `keras.src.ops.numpy` (`RGBToGrayscale`,
`HSVToRGB`, `math`'s `Rsqrt`, `math`'s `Erf`, ...; `ExtractPatches` of
`extract_patches_3d`, `nn`'s `LayerNorm`, `RMSNorm`, `BatchNorm`), both ways, as
fixtures for hoarfrost.

Three steps, from the repository root (Keras only in the first and last):

    cd tools/keras_fixtures && KERAS_BACKEND=jax ../../.venv-keras/bin/python \
        keras_op_files.py                                       # 1. Keras writes
    PYTHONPATH=src .venv/bin/python tools/keras_fixtures/keras_op_files.py \
        --hoarfrost DIR                                         # 2. hoarfrost re-saves
    cd tools/keras_fixtures && KERAS_BACKEND=jax ../../.venv-keras/bin/python \
        keras_op_files.py --check DIR                           # 3. Keras reads it

For each model of `MODELS` (`<name>`: image_ops, patch_norm_ops), step 1
writes tests/saving/fixtures/jax_<name>.keras and `jax_<name>.npz` (inputs,
each output); step 2 loads it in hoarfrost and saves
`DIR/hoarfrost_<name>.keras` with hoarfrost's outputs; step 3 loads that in
Keras and records in `keras_reads_hoarfrost_<name>.json` the largest
difference from hoarfrost's outputs.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parents[2] / "tests" / "saving" / "fixtures"


def build(keras):
    ops = keras.ops
    image = keras.Input((4, 4, 3), name="image")
    x = keras.layers.Dense(3, activation="sigmoid", name="colors")(image)
    gray = ops.image.rgb_to_grayscale(x)
    back = ops.image.hsv_to_rgb(ops.image.rgb_to_hsv(x))
    return keras.Model(image, [gray, back, ops.logsumexp(x, axis=-1), ops.erf(x),
                               ops.rsqrt(x + 1.0), ops.cast(x > 0.5, "float32")],
                       name="image_ops")


def build_patch_norm(keras):
    """Operations Keras records under another class name than the function's."""
    ops = keras.ops
    volume = keras.Input((4, 4, 4, 2), name="volume")
    x = keras.layers.Dense(2, name="mix")(volume)
    image = ops.mean(x, axis=1)
    gamma = ops.ones((2,)) * 1.5
    flat = ops.reshape(x, (-1, 64, 2))
    return keras.Model(volume, [
        ops.image.extract_patches_3d(x, 2),  # an int size: Keras keeps (2, 2, 2)
        ops.image.extract_patches_3d(x, (2, 2, 2), strides=(1, 2, 2)),
        ops.image.extract_patches(image, 2),
        ops.layer_normalization(x, gamma, axis=-1, epsilon=1e-3),
        ops.rms_normalization(x, axis=-1, epsilon=1e-5),
        ops.batch_normalization(flat, ops.mean(flat, axis=(0, 1)), ops.var(flat, axis=(0, 1)),
                                axis=-1, epsilon=1e-3)], name="patch_norm_ops")


MODELS = {"image_ops": build, "patch_norm_ops": build_patch_norm}


def data(name: str = "image_ops"):
    shape = (2, 4, 4, 3) if name == "image_ops" else (2, 4, 4, 4, 2)
    return np.random.default_rng(5).normal(size=shape).astype("float32")


def _outputs(outputs) -> dict:
    return {f"output_{i}": np.asarray(o) for i, o in enumerate(outputs)}


def write() -> None:
    import keras
    for name, make in MODELS.items():
        keras.utils.set_random_seed(2)
        model = make(keras)
        x = data(name)
        model.save(OUT / f"jax_{name}.keras")
        np.savez_compressed(OUT / f"jax_{name}.npz", x=x,
                            **_outputs(model.predict(x, verbose=0)))
        print("wrote", OUT / f"jax_{name}.keras")


def hoarfrost_side(directory: str) -> None:
    from hoarfrost.models import load_model
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    for name in MODELS:
        x = data(name)
        model = load_model(OUT / f"jax_{name}.keras")
        model.save(out / f"hoarfrost_{name}.keras")
        np.savez(out / f"hoarfrost_{name}.npz", x=x, **_outputs(model.predict(x, verbose=0)))
        print("wrote", out / f"hoarfrost_{name}.keras")


def check(directory: str) -> None:
    import keras
    directory = Path(directory)
    for name in MODELS:
        expected = np.load(directory / f"hoarfrost_{name}.npz")
        model = keras.models.load_model(directory / f"hoarfrost_{name}.keras")
        got = _outputs(model.predict(expected["x"], verbose=0))
        result = {"keras_version": keras.__version__, "backend": keras.backend.backend(),
                  "outputs": len(got),
                  "max_abs_diff": max(float(np.max(np.abs(got[k] - expected[k])))
                                      for k in got)}
        (OUT / f"keras_reads_hoarfrost_{name}.json").write_text(
            json.dumps(result, indent=1, sort_keys=True))
        print(name, result)


if __name__ == "__main__":
    from common import three_steps
    three_steps(write, hoarfrost_side, check)
