"""Keras's answers for the utilities added in issue 14, for tests/utils/.

    cd tools/keras_fixtures && KERAS_BACKEND=jax ../../.venv-keras/bin/python utils_breadth.py

Writes tests/fixtures/keras_utils.npz: `standardize_dtype` of each input named in
`DTYPES` (the name, or `ValueError: ...`), the Keras 2 (legacy) serialization of a
few objects, `Config` behaviour, and `smart_resize` of fixed images.
"""

import json
import os
from pathlib import Path

import numpy as np

os.environ.setdefault("KERAS_BACKEND", "jax")

import jax.numpy as jnp  # noqa: E402
import keras  # noqa: E402

OUT = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "keras_utils.npz"
DTYPES = {"None": None, "int": int, "float": float, "bool": bool, "str": str, "'int'": "int",
          "'float'": "float", "'float64'": "float64", "np.float16": np.float16,
          "np.dtype('int8')": np.dtype("int8"), "jnp.bfloat16": jnp.bfloat16,
          "'string'": "string", "'uint8'": "uint8", "'float8_e4m3fn'": "float8_e4m3fn",
          "'complex64'": "complex64", "'int4'": "int4", "'foo'": "foo", "'object'": "object"}


def answer(fn, *args):
    try:
        return fn(*args)
    except ValueError as e:
        return f"ValueError: {e}"


dtypes = {k: answer(keras.utils.standardize_dtype, v) for k, v in DTYPES.items()}
legacy = keras.utils.legacy
serialized = {
    "L2": legacy.serialize_keras_object(keras.regularizers.L2(0.1)),
    "MeanSquaredError": legacy.serialize_keras_object(keras.losses.MeanSquaredError()),
    "relu": legacy.serialize_keras_object(keras.activations.relu),
    "MaxNorm": legacy.serialize_keras_object(keras.constraints.MaxNorm(2.0, axis=1)),
}
config = keras.utils.Config(learning_rate=0.1, layers=[1, 2])
config.momentum = 0.9
behaviour = {"as_dict": config.as_dict(), "json": config.to_json(), "iter": list(config),
             "len": len(config), "repr": repr(config)}
config.freeze()
behaviour["frozen_error"] = answer(lambda: setattr(config, "momentum", 0.5))
try:
    config.learnin_rate
except AttributeError as e:
    behaviour["typo_error"] = str(e)

rng = np.random.default_rng(14)
images = {"tall": rng.random((9, 5, 3)).astype("float32"),
          "wide_batch": rng.random((2, 4, 11, 2)).astype("float32"),
          "channels_first": rng.random((3, 7, 6)).astype("float32")}
data = {"dtypes": np.array(json.dumps(dtypes)), "legacy": np.array(json.dumps(serialized)),
        "config": np.array(json.dumps(behaviour))}
for name, image in images.items():
    data[f"image_{name}"] = image
    fmt = "channels_first" if name == "channels_first" else "channels_last"
    for interpolation in ("bilinear", "nearest"):
        data[f"smart_{name}_{interpolation}"] = keras.preprocessing.image.smart_resize(
            image, (4, 4), interpolation=interpolation, data_format=fmt)
print(json.dumps(dtypes, indent=1), json.dumps(serialized, indent=1), behaviour)
np.savez_compressed(OUT, **data)
print("wrote", OUT)
