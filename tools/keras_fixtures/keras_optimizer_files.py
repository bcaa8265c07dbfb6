"""Keras-saved models with each optimizer, both ways, as fixtures for hoarfrost.

Three steps, from the repository root (Keras only in the first and last):

    cd tools/keras_fixtures && KERAS_BACKEND=jax ../../.venv-keras/bin/python \
        keras_optimizer_files.py                                # 1. Keras writes
    PYTHONPATH=src .venv/bin/python tools/keras_fixtures/keras_optimizer_files.py \
        --hoarfrost DIR                                         # 2. hoarfrost continues
    cd tools/keras_fixtures && KERAS_BACKEND=jax ../../.venv-keras/bin/python \
        keras_optimizer_files.py --check DIR                    # 3. Keras continues

(`.venv` and `.venv-keras` as in /work/main.) Step 1 trains a small MLP four
steps with each optimizer of `OPTIMIZERS` (Keras's arguments, the same in
hoarfrost), saves it as tests/saving/fixtures/optimizers/<case>.keras (the
optimizer's variables in `optimizer/vars`), trains one more epoch and records
in `keras_optimizers.npz` the inputs, the targets, the predictions after it
and the layout of `optimizer/vars` (shapes and dtypes). A hoarfrost test
loads each file, trains the same epoch and compares.

Step 2 loads each Keras file in hoarfrost, trains one epoch, saves
`DIR/<case>.keras`, trains one more epoch and records its predictions; step 3
loads hoarfrost's files in Keras, trains that epoch and writes
`keras_reads_hoarfrost_optimizers.json`: the largest difference from
hoarfrost's predictions per case, and whether Keras's optimizer variables
(count, shapes, dtypes) were all read.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parents[2] / "tests" / "saving" / "fixtures" / "optimizers"

#: case -> (class name, arguments); "LossScaleOptimizer" wraps Adam(**arguments).
OPTIMIZERS = {
    "sgd": ("SGD", {"learning_rate": 0.05}),
    "sgd_nesterov": ("SGD", {"learning_rate": 0.05, "momentum": 0.9, "nesterov": True}),
    "adam": ("Adam", {"learning_rate": 0.01}),
    "adam_amsgrad": ("Adam", {"learning_rate": 0.01, "amsgrad": True}),
    "adamw_ema": ("AdamW", {"learning_rate": 0.01, "use_ema": True}),
    "adam_accumulate": ("Adam", {"learning_rate": 0.01, "gradient_accumulation_steps": 2}),
    "rmsprop": ("RMSprop", {"learning_rate": 0.01}),
    "rmsprop_centered": ("RMSprop", {"learning_rate": 0.01, "momentum": 0.5,
                                     "centered": True}),
    "adagrad": ("Adagrad", {"learning_rate": 0.05}),
    "adadelta": ("Adadelta", {"learning_rate": 1.0}),
    "adamax": ("Adamax", {"learning_rate": 0.01}),
    "nadam": ("Nadam", {"learning_rate": 0.01}),
    "ftrl": ("Ftrl", {"learning_rate": 0.05, "l1_regularization_strength": 0.01,
                      "l2_regularization_strength": 0.01}),
    "lion": ("Lion", {"learning_rate": 0.003}),
    "lamb": ("Lamb", {"learning_rate": 0.01}),
    "adafactor": ("Adafactor", {"learning_rate": 0.05}),
    "loss_scale": ("LossScaleOptimizer", {"learning_rate": 0.01}),
}


def make_optimizer(optimizers, case: str):
    """The optimizer of `case` from `optimizers` (Keras's or hoarfrost's module)."""
    class_name, arguments = OPTIMIZERS[case]
    if class_name == "LossScaleOptimizer":
        return optimizers.LossScaleOptimizer(optimizers.Adam(**arguments),
                                             dynamic_growth_steps=3)
    return getattr(optimizers, class_name)(**arguments)


def build(keras):
    """Dense kernels (2-D) and biases (1-D), each optimizer's two kinds of slot shapes."""
    return keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, activation="tanh"),
                             keras.layers.Dense(2)], name="mlp")


def data():
    rng = np.random.default_rng(11)
    return (rng.normal(size=(8, 3)).astype("float32"),
            rng.normal(size=(8, 2)).astype("float32"))


def fit_epoch(model, x, y) -> None:
    """One epoch of two steps, in order (the same batches in Keras and hoarfrost)."""
    model.fit(x, y, epochs=1, batch_size=4, shuffle=False, verbose=0)


def keras_fit_epoch(model, x, y) -> None:
    """`fit_epoch` in Keras, each variable then given its own buffer: with `use_ema`,
    Keras's end of `fit` sets the weights to their averages' arrays, and the next `fit`
    (JAX) fails donating one buffer twice."""
    fit_epoch(model, x, y)
    for variable in model.variables:
        variable.assign(np.array(variable.numpy()))


def optimizer_layout(path) -> list:
    """`[(shape, dtype kind)]` of the datasets under `optimizer/vars` of a `.keras` file."""
    import h5py
    with zipfile.ZipFile(path) as archive:
        blob = archive.read("model.weights.h5")
    with h5py.File(io.BytesIO(blob), "r") as f:
        group = f["optimizer/vars"]
        return [(list(group[str(i)].shape), group[str(i)].dtype.kind)
                for i in range(len(group))]


def write() -> None:
    import keras
    OUT.mkdir(parents=True, exist_ok=True)
    x, y = data()
    record = {"x": x, "y": y}
    for case in OPTIMIZERS:
        print(case)
        keras.utils.set_random_seed(1)
        model = build(keras)
        model.compile(optimizer=make_optimizer(keras.optimizers, case), loss="mse")
        keras_fit_epoch(model, x, y)
        keras_fit_epoch(model, x, y)
        model.save(OUT / f"{case}.keras")
        record[f"{case}/layout"] = np.array(json.dumps(optimizer_layout(OUT / f"{case}.keras")))
        keras_fit_epoch(model, x, y)
        record[f"{case}/predict"] = np.asarray(model.predict(x, verbose=0))
        record[f"{case}/iterations"] = np.asarray(model.optimizer.iterations)
    np.savez_compressed(OUT / "keras_optimizers.npz", **record)
    print("wrote", OUT)


def hoarfrost_side(directory: str) -> None:
    from hoarfrost.models import load_model
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    x, y = data()
    record = {"x": x, "y": y}
    for case in OPTIMIZERS:
        model = load_model(OUT / f"{case}.keras")
        fit_epoch(model, x, y)
        model.save(out / f"{case}.keras")
        fit_epoch(model, x, y)
        record[f"{case}/predict"] = np.asarray(model.predict(x, verbose=0))
        record[f"{case}/iterations"] = np.asarray(model.optimizer.iterations.numpy())
    np.savez(out / "hoarfrost_optimizers.npz", **record)
    print("wrote", out)


def check(directory: str) -> None:
    import keras
    directory = Path(directory)
    expected = np.load(directory / "hoarfrost_optimizers.npz")
    x, y = expected["x"], expected["y"]
    results = {"keras_version": keras.__version__, "backend": keras.backend.backend(),
               "cases": {}}
    keras_record = np.load(OUT / "keras_optimizers.npz")
    for case in OPTIMIZERS:
        path = directory / f"{case}.keras"
        model = keras.models.load_model(path)
        written = optimizer_layout(path)
        keras_fit_epoch(model, x, y)
        got = np.asarray(model.predict(x, verbose=0))
        results["cases"][case] = {
            "max_abs_diff": float(np.max(np.abs(got - expected[f"{case}/predict"]))),
            "iterations": int(np.asarray(model.optimizer.iterations)),
            "expected_iterations": int(expected[f"{case}/iterations"]),
            "layout_as_keras": json.loads(json.dumps(written)) == json.loads(str(keras_record[f"{case}/layout"])),
        }
        print(case, results["cases"][case])
    (OUT / "keras_reads_hoarfrost_optimizers.json").write_text(
        json.dumps(results, indent=1, sort_keys=True))


if __name__ == "__main__":
    from common import three_steps
    three_steps(write, hoarfrost_side, check)
