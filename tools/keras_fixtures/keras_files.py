"""Keras-written model files (and what Keras reads back) as fixtures for hoarfrost.

Run from this folder with the Keras environment (never a hoarfrost dependency):

    cd tools/keras_fixtures
    KERAS_BACKEND=jax ../../.venv-keras/bin/python keras_files.py            # Keras 3 (JAX)
    KERAS_BACKEND=tensorflow ../../.venv-keras/bin/python keras_files.py     # Keras 3 (TF)
    ../../.venv-keras/bin/python keras_files.py --tf-keras                   # tf_keras 2.x
    ../../.venv-keras/bin/python keras_files.py --check DIR                  # Keras reads DIR

The first three build the test models (an MLP, a CNN with BatchNormalization,
Embedding(mask_zero) + LSTM + Bidirectional(GRU), a model around a frozen
nested sub-model; a residual and an Inception-style block for the weight
order), train each for a step with Adam so the files carry optimizer state,
and write under tests/saving/fixtures/:

- `<backend>_<model>.keras`, `.weights.h5` and (legacy) `.h5` files;
- `<backend>_predictions.npz`: the inputs, predictions and `get_weights()`;
- `<backend>_structure.json`: each file's members, HDF5 groups and datasets
  (with shapes) and its config's keys: what hoarfrost's writer must match.

`--check DIR` loads the `.keras` files hoarfrost wrote into DIR (made by
`hoarfrost_files.py DIR`), predicts on the fixture inputs, compares with
hoarfrost's predictions saved beside them, records the result in
`keras_reads_hoarfrost_<backend>.json`, trains each model one more epoch in
Keras and (JAX backend) saves it as `via_keras_<name>.keras` with its
predictions in `via_keras_predictions.npz`, for the hoarfrost -> Keras ->
hoarfrost test.
"""

from __future__ import annotations

import io
import json
import os
import sys
import zipfile
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parents[2] / "tests" / "saving" / "fixtures"
MODELS = ("mlp", "cnn", "rnn", "nested", "residual", "inception", "ops")


def build(keras, name: str):
    """The test model `name`, built with `keras` (Keras 3 or tf_keras)."""
    layers = keras.layers
    if name == "mlp":
        inp = keras.Input((6,), name="features")
        x = layers.Dense(5, activation="relu", name="hidden")(inp)
        return keras.Model(inp, layers.Dense(3, name="out")(x), name="mlp")
    if name == "cnn":
        return keras.Sequential([
            keras.Input((6, 6, 2)),
            layers.Conv2D(3, 3, padding="same", name="conv"),
            layers.BatchNormalization(name="bn"),
            layers.Activation("relu"),
            layers.MaxPooling2D(2),
            layers.Flatten(),
            layers.Dense(2, activation="softmax", name="head"),
        ], name="cnn")
    if name == "rnn":
        inp = keras.Input((5,), dtype="int32", name="tokens")
        x = layers.Embedding(12, 4, mask_zero=True, name="embed")(inp)
        x = layers.LSTM(3, return_sequences=True, name="lstm")(x)
        x = layers.Bidirectional(layers.GRU(2), name="bigru")(x)
        return keras.Model(inp, layers.Dense(1, name="score")(x), name="rnn")
    if name == "nested":
        base_in = keras.Input((4,))
        base_x = layers.Dense(5, activation="tanh", name="base_dense")(base_in)
        base_x = layers.BatchNormalization(name="base_bn")(base_x)
        base = keras.Model(base_in, base_x, name="base")
        base.trainable = False
        inp = keras.Input((4,), name="x")
        x = base(inp)
        return keras.Model(inp, layers.Dense(2, name="top")(x), name="nested")
    if name == "residual":
        inp = keras.Input((4,), name="x")
        a = layers.Dense(4, activation="relu", name="a")(inp)
        a = layers.Dense(4, name="b")(a)
        shortcut = layers.Dense(4, name="shortcut")(inp)
        x = layers.Add(name="add")([shortcut, a])  # as ResNet: shortcut first
        return keras.Model(inp, layers.Dense(2, name="out")(x), name="residual")
    if name == "inception":
        inp = keras.Input((6, 6, 3), name="image")
        b1 = layers.Conv2D(2, 1, name="b1_1x1")(inp)
        b2 = layers.Conv2D(2, 1, name="b2_1x1")(inp)
        b2 = layers.Conv2D(2, 3, padding="same", name="b2_3x3")(b2)
        b3 = layers.Conv2D(2, 1, name="b3_1x1")(inp)
        b3 = layers.Conv2D(2, 3, padding="same", name="b3_3x3a")(b3)
        b3 = layers.Conv2D(2, 3, padding="same", name="b3_3x3b")(b3)
        b4 = layers.MaxPooling2D(3, strides=1, padding="same", name="b4_pool")(inp)
        b4 = layers.Conv2D(2, 1, name="b4_1x1")(b4)
        x = layers.Concatenate(name="mixed")([b1, b2, b3, b4])
        x = layers.GlobalAveragePooling2D(name="gap")(x)
        return keras.Model(inp, layers.Dense(3, name="out")(x), name="inception")
    if name == "ops":  # operations on tensors: Keras's op entries, hoarfrost's TensorOps
        inp = keras.Input((4,), name="x")
        h = layers.Dense(3, name="d")(inp)
        z = layers.Add(name="add_layer")([h, h * 2.0 + 1.0])
        mean = keras.ops.mean(z, axis=1, keepdims=True)
        return keras.Model(inp, [mean, z[:, 0:2], keras.ops.not_equal(h, 0.0)], name="ops")
    raise ValueError(name)


def inputs(name: str, rng) -> tuple[np.ndarray, np.ndarray]:
    """(x, y) for the model `name`: 4 samples."""
    if name == "rnn":
        x = rng.integers(1, 12, size=(4, 5)).astype("int32")
        x[0, 3:] = 0  # padding, masked
        x[2, 1:] = 0
        return x, rng.normal(size=(4, 1)).astype("float32")
    shape = {"mlp": (6,), "cnn": (6, 6, 2), "nested": (4,), "residual": (4,),
             "inception": (6, 6, 3), "ops": (4,)}[name]
    x = rng.normal(size=(4,) + shape).astype("float32")
    outputs = {"mlp": 3, "cnn": 2, "nested": 2, "residual": 2, "inception": 3, "ops": 1}[name]
    y = rng.normal(size=(4, outputs)).astype("float32")
    if name == "cnn":
        y = np.eye(2, dtype="float32")[[0, 1, 1, 0]]
    return x, y


def h5_tree(blob_or_path) -> dict:
    """{path: [shape] for a dataset, or None for a group} of an HDF5 file."""
    import h5py
    handle = io.BytesIO(blob_or_path) if isinstance(blob_or_path, bytes) else blob_or_path
    tree = {}
    with h5py.File(handle, "r") as f:
        f.visititems(lambda path, obj: tree.__setitem__(
            path, list(obj.shape) if isinstance(obj, h5py.Dataset) else None))
    return tree


def config_keys(config) -> list:
    """Every key path of a JSON config, sorted (`layers/0/config/units`, ...)."""
    keys = set()

    def walk(value, prefix):
        if isinstance(value, dict):
            for k, v in value.items():
                keys.add(prefix + k)
                walk(v, prefix + k + "/")
        elif isinstance(value, list):
            for i, v in enumerate(value):
                walk(v, f"{prefix}{i}/")

    walk(config, "")
    return sorted(keys)


def structure(path: Path) -> dict:
    if path.suffix == ".keras":
        with zipfile.ZipFile(path) as archive:
            return {"members": sorted(archive.namelist()),
                    "h5": h5_tree(archive.read("model.weights.h5")),
                    "config_keys": config_keys(json.loads(archive.read("config.json")))}
    return {"h5": h5_tree(str(path))}


def write_keras3(backend: str) -> None:
    import keras
    assert keras.backend.backend() == backend, keras.backend.backend()
    rng = np.random.default_rng(0)
    record, shapes = {}, {}
    for name in MODELS:
        keras.utils.set_random_seed(1)
        model = build(keras, name)
        x, y = inputs(name, rng)
        record[f"{name}/x"], record[f"{name}/y"] = x, y
        if name == "ops":  # not trained: three outputs, one of them boolean
            for i, out in enumerate(model.predict(x, verbose=0)):
                record[f"{name}/predict_{i}"] = np.asarray(out)
            model.save(OUT / f"{backend}_{name}.keras")
            continue
        model.compile(optimizer=keras.optimizers.Adam(0.01),
                      loss="categorical_crossentropy" if name == "cnn" else "mse",
                      metrics=["mae"])
        model.fit(x, y, epochs=2, batch_size=2, verbose=0)
        record[f"{name}/predict"] = np.asarray(model.predict(x, verbose=0))
        for i, w in enumerate(model.get_weights()):
            record[f"{name}/weight_{i}"] = w
        record[f"{name}/weight_paths"] = np.array(json.dumps([w.path for w in model.weights]))
        record[f"{name}/layer_names"] = np.array(json.dumps([layer.name for layer in model.layers]))
        stem = OUT / f"{backend}_{name}"
        if name in ("residual", "inception"):
            continue  # weight order only
        model.save(f"{stem}.keras")
        if backend == "jax":  # the weights layouts do not depend on the backend
            model.save_weights(f"{stem}.weights.h5")
            model.save(f"{stem}.h5")  # Keras 3's legacy HDF5 writer
        for suffix in (".keras", ".weights.h5", ".h5"):
            if Path(f"{stem}{suffix}").exists():
                shapes[f"{name}{suffix}"] = structure(Path(f"{stem}{suffix}"))
    np.savez_compressed(OUT / f"{backend}_predictions.npz", **record)
    (OUT / f"{backend}_structure.json").write_text(json.dumps(shapes, indent=1, sort_keys=True))
    print("wrote", OUT, "for", backend)


def write_tf_keras() -> None:
    """Keras 2 files (tf_keras): the legacy HDF5 model and weights formats."""
    os.environ["TF_USE_LEGACY_KERAS"] = "1"
    import tf_keras as keras
    rng = np.random.default_rng(0)
    record = {}
    for name in ("mlp", "cnn", "rnn", "nested"):
        keras.utils.set_random_seed(1)
        model = build(keras, name)
        x, y = inputs(name, rng)
        record[f"{name}/x"], record[f"{name}/y"] = x, y
        model.compile(optimizer=keras.optimizers.Adam(0.01),
                      loss="categorical_crossentropy" if name == "cnn" else "mse",
                      metrics=["mae"])
        model.fit(x, y, epochs=2, batch_size=2, verbose=0)
        record[f"{name}/predict"] = np.asarray(model.predict(x, verbose=0))
        model.save(OUT / f"tf_keras_{name}.h5")
        model.save_weights(OUT / f"tf_keras_{name}_weights.h5")
        (OUT / f"tf_keras_{name}.json").write_text(model.to_json())
    np.savez_compressed(OUT / "tf_keras_predictions.npz", **record)
    print("wrote", OUT, "for tf_keras", keras.__version__)


def check(directory: str) -> None:
    """Load hoarfrost-written `.keras` files in Keras; record whether they predict the same,
    then train each one more epoch in Keras and save it for hoarfrost to read back."""
    import keras
    directory = Path(directory)
    backend = keras.backend.backend()
    results = {"keras_version": keras.__version__, "backend": backend, "models": {}}
    after = {}
    for path in sorted(directory.glob("hoarfrost_*.keras")):
        name = path.stem[len("hoarfrost_"):]
        expected = np.load(directory / f"hoarfrost_{name}.npz")
        model = keras.models.load_model(path)
        got = model.predict(expected["x"], verbose=0)
        got = [got] if not isinstance(got, (list, tuple)) else got
        want = [expected[k] for k in sorted(expected.files) if k.startswith("predict")]
        entry = {"max_abs_diff": max(float(np.max(np.abs(np.asarray(g, "float32")
                                                            - np.asarray(w, "float32"))))
                                     for g, w in zip(got, want, strict=True)),
                 "weights": len(model.weights),
                 "trainable_weights": len(model.trainable_weights),
                 "compiled": getattr(model, "optimizer", None) is not None}
        if entry["compiled"]:  # fit continues from the file's optimizer
            entry["iterations"] = int(np.asarray(model.optimizer.iterations))
            model.fit(expected["x"], expected["y"], epochs=1, batch_size=2, verbose=0)
            after[f"{name}/predict"] = np.asarray(model.predict(expected["x"], verbose=0))
            after[f"{name}/x"] = expected["x"]
            after[f"{name}/iterations"] = np.asarray(model.optimizer.iterations)
        results["models"][name] = entry
        if backend == "jax":
            model.save(OUT / f"via_keras_{name}.keras")
        print(name, entry)
    (OUT / f"keras_reads_hoarfrost_{backend}.json").write_text(
        json.dumps(results, indent=1, sort_keys=True))
    if backend == "jax":
        np.savez_compressed(OUT / "via_keras_predictions.npz", **after)


if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    if "--tf-keras" in sys.argv:
        write_tf_keras()
    elif "--check" in sys.argv:
        check(sys.argv[sys.argv.index("--check") + 1])
    else:
        write_keras3(os.environ.get("KERAS_BACKEND", "jax"))
