"""A Keras `.keras` file whose graph records operations Keras names by acronym or keeps
outside `keras.src.ops.numpy` (`RGBToGrayscale`, `HSVToRGB`, `math`'s `Rsqrt`,
`math`'s `Erf`, ...), both ways, as fixtures for hoarfrost.

Three steps, from the repository root (Keras only in the first and last):

    cd tools/keras_fixtures && KERAS_BACKEND=jax ../../.venv-keras/bin/python \
        keras_op_files.py                                       # 1. Keras writes
    PYTHONPATH=src .venv/bin/python tools/keras_fixtures/keras_op_files.py \
        --hoarfrost DIR                                         # 2. hoarfrost re-saves
    cd tools/keras_fixtures && KERAS_BACKEND=jax ../../.venv-keras/bin/python \
        keras_op_files.py --check DIR                           # 3. Keras reads it

Step 1 writes tests/saving/fixtures/jax_image_ops.keras and
`jax_image_ops.npz` (inputs, each output); step 2 loads it in hoarfrost and
saves `DIR/hoarfrost_image_ops.keras` with hoarfrost's outputs; step 3 loads
that in Keras and records in `keras_reads_hoarfrost_image_ops.json` the
largest difference from hoarfrost's outputs.
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


def data():
    return np.random.default_rng(5).normal(size=(2, 4, 4, 3)).astype("float32")


def _outputs(outputs) -> dict:
    return {f"output_{i}": np.asarray(o) for i, o in enumerate(outputs)}


def write() -> None:
    import keras
    keras.utils.set_random_seed(2)
    model = build(keras)
    x = data()
    model.save(OUT / "jax_image_ops.keras")
    np.savez_compressed(OUT / "jax_image_ops.npz", x=x, **_outputs(model.predict(x, verbose=0)))
    print("wrote", OUT / "jax_image_ops.keras")


def hoarfrost_side(directory: str) -> None:
    from hoarfrost.models import load_model
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    x = data()
    model = load_model(OUT / "jax_image_ops.keras")
    model.save(out / "hoarfrost_image_ops.keras")
    np.savez(out / "hoarfrost_image_ops.npz", x=x, **_outputs(model.predict(x, verbose=0)))
    print("wrote", out / "hoarfrost_image_ops.keras")


def check(directory: str) -> None:
    import keras
    directory = Path(directory)
    expected = np.load(directory / "hoarfrost_image_ops.npz")
    model = keras.models.load_model(directory / "hoarfrost_image_ops.keras")
    got = _outputs(model.predict(expected["x"], verbose=0))
    result = {"keras_version": keras.__version__, "backend": keras.backend.backend(),
              "outputs": len(got),
              "max_abs_diff": max(float(np.max(np.abs(got[k] - expected[k]))) for k in got)}
    (OUT / "keras_reads_hoarfrost_image_ops.json").write_text(
        json.dumps(result, indent=1, sort_keys=True))
    print(result)


if __name__ == "__main__":
    from common import three_steps
    three_steps(write, hoarfrost_side, check)
