"""Legacy HDF5 model files (`model.save("m.h5")`) with optimizer state, as fixtures.

Run from this folder with the Keras environment (never a hoarfrost dependency):

    cd tools/keras_fixtures
    ../../.venv-keras/bin/python legacy_optimizer_files.py --tf-keras     # tf_keras 2.x
    KERAS_BACKEND=jax ../../.venv-keras/bin/python legacy_optimizer_files.py  # Keras 3
    ../../.venv-keras/bin/python legacy_optimizer_files.py --keras2       # Keras 2's
    ../../.venv-keras/bin/python legacy_optimizer_files.py --tf-keras --all DIR

Each case trains the MLP of `keras_optimizer_files` two epochs (four steps),
saves it as tests/saving/fixtures/optimizers/legacy/<writer>_<case>.h5,
trains one more epoch in the same process (a run never saved) and records its
predictions in `<writer>_optimizers.npz`. A hoarfrost test loads each file,
trains that epoch and compares. The optimizers are those whose legacy layout
differs from Keras 3's `optimizer/vars` (tf_keras keeps no `u_product` for
Nadam, no placeholders for Adafactor, only the inner optimizer's weights for
LossScaleOptimizer, tf_keras names Adamax's `norm` `u`; Keras 3's writer leaves
Nadam's `u_product` unnamed).
`--keras2` writes `keras2_<case>.h5` with the optimizers of Keras 2 (TF 2.10 and
earlier, tf_keras's `optimizers.legacy`), whose weights are named
`Adam/dense/kernel/m:0`. `--all DIR` writes every tf_keras optimizer into DIR (a
probe, not committed).
Keras 3 can not write Adafactor's state to a legacy file (its placeholders'
names collide), and names Adamax's slots as hoarfrost does: those cases are tf_keras's only.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np

from keras_optimizer_files import build, data, fit_epoch

OUT = Path(__file__).resolve().parents[2] / "tests" / "saving" / "fixtures" / "optimizers" \
    / "legacy"

CASES = {"nadam": ("Nadam", {"learning_rate": 0.01}),
         "adafactor": ("Adafactor", {"learning_rate": 0.05}),
         "loss_scale": ("LossScaleOptimizer", {"learning_rate": 0.01}),
         "adamax": ("Adamax", {"learning_rate": 0.01})}
#: Keras 2's optimizers (TF 2.10 and earlier; tf_keras's `optimizers.legacy`), for
#: `--keras2`: their weights are named `Adam/dense/kernel/m:0`.
KERAS2 = {"adam": ("Adam", {"learning_rate": 0.01}),
          "sgd_momentum": ("SGD", {"learning_rate": 0.05, "momentum": 0.9}),
          "rmsprop_centered": ("RMSprop", {"learning_rate": 0.01, "momentum": 0.5,
                                           "centered": True}),
          "adamax": ("Adamax", {"learning_rate": 0.01}),
          "adadelta": ("Adadelta", {"learning_rate": 1.0})}
#: Every tf_keras optimizer, for `--all`.
ALL = {**CASES,
       "sgd_nesterov": ("SGD", {"learning_rate": 0.05, "momentum": 0.9, "nesterov": True}),
       "adam_amsgrad": ("Adam", {"learning_rate": 0.01, "amsgrad": True}),
       "adamw": ("AdamW", {"learning_rate": 0.01}),
       "rmsprop_centered": ("RMSprop", {"learning_rate": 0.01, "momentum": 0.5,
                                        "centered": True}),
       "adagrad": ("Adagrad", {"learning_rate": 0.05}),
       "adadelta": ("Adadelta", {"learning_rate": 1.0}),
       "ftrl": ("Ftrl", {"learning_rate": 0.05, "l1_regularization_strength": 0.01,
                         "l2_regularization_strength": 0.01}),
       "lion": ("Lion", {"learning_rate": 0.003})}


def make(keras, case: str, cases: dict, tf_keras: bool):
    class_name, arguments = cases[case]
    if cases is KERAS2:
        return getattr(keras.optimizers.legacy, class_name)(**arguments)
    if class_name != "LossScaleOptimizer":
        return getattr(keras.optimizers, class_name)(**arguments)
    if tf_keras:
        return keras.mixed_precision.LossScaleOptimizer(keras.optimizers.Adam(**arguments))
    return keras.optimizers.LossScaleOptimizer(keras.optimizers.Adam(**arguments),
                                               dynamic_growth_steps=3)


def write(tf_keras: bool, out: Path, cases: dict) -> None:
    if tf_keras:
        os.environ["TF_USE_LEGACY_KERAS"] = "1"
        import tf_keras as keras
        writer = "keras2" if cases is KERAS2 else "tf_keras"
    else:
        import keras
        writer = "keras3"
        cases = {k: v for k, v in cases.items() if k in ("nadam", "loss_scale")}
    out.mkdir(parents=True, exist_ok=True)
    x, y = data()
    record = {"x": x, "y": y}
    for case in cases:
        keras.utils.set_random_seed(1)
        model = build(keras)
        # tf_keras's Nadam decides when to advance `u_product` by a Python counter that a
        # traced step bakes in (so a compiled run multiplies it in several times a step):
        # eagerly it is the Nadam of Keras 3 and of hoarfrost.
        model.compile(optimizer=make(keras, case, cases, tf_keras), loss="mse",
                      run_eagerly=tf_keras and case == "nadam")
        fit_epoch(model, x, y)
        fit_epoch(model, x, y)
        model.save(out / f"{writer}_{case}.h5")
        fit_epoch(model, x, y)
        record[f"{case}/predict"] = np.asarray(model.predict(x, verbose=0))
        print(writer, case)
    np.savez_compressed(out / f"{writer}_optimizers.npz", **record)


if __name__ == "__main__":
    if "--keras2" in sys.argv:
        write(True, OUT, KERAS2)
    elif "--all" in sys.argv:
        write(True, Path(sys.argv[sys.argv.index("--all") + 1]), ALL)
    else:
        write("--tf-keras" in sys.argv, OUT, CASES)
