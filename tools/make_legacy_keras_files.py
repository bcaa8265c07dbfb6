"""Record small hoarfrost `.keras` files (and what they hold) as format fixtures.

Run once with the code whose format is to be kept (here: before the optimizer
state moved behind `Optimizer.gather_slots` & co.); the test
`tests/saving/test_legacy_files.py` then checks that today's code loads these
files into the same weights and optimizer slots and continues training from them.

    PYTHONPATH=src python tools/make_legacy_keras_files.py tests/fixtures/legacy
"""

from __future__ import annotations

import os
import sys

import jax
import numpy as np

import hoarfrost
from hoarfrost import layers, optimizers

CASES = {
    "adam_amsgrad": lambda: optimizers.Adam(0.01, amsgrad=True),
    "sgd_nesterov": lambda: optimizers.SGD(0.05, momentum=0.9, nesterov=True),
    "rmsprop_centered": lambda: optimizers.RMSprop(0.01, momentum=0.5, centered=True),
    "adagrad": lambda: optimizers.Adagrad(0.05),
}


def _data():
    rng = np.random.default_rng(0)
    return (rng.normal(size=(16, 3)).astype(np.float32),
            rng.normal(size=(16, 2)).astype(np.float32))


def main(directory: str) -> None:
    os.makedirs(directory, exist_ok=True)
    x, y = _data()
    for name, make in CASES.items():
        hoarfrost.backend.clear_session()
        hoarfrost.utils.set_random_seed(0)
        model = hoarfrost.Sequential([layers.Dense(4, input_dim=3, name="first"),
                                      layers.Dense(2, name="second")])
        model.compile(optimizer=make(), loss="mse")
        model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
        model.get_layer("first").trainable = False  # its slots stay, its flags are saved
        model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
        model.save(os.path.join(directory, f"{name}.keras"))
        record = {"iterations": np.asarray(model.optimizer.iterations.numpy())}
        for i, variable in enumerate(model.weights):
            record[f"weight/{variable.path}"] = variable.numpy()
            slots = model.optimizer.slots_for(variable)
            for j, leaf in enumerate(jax.tree.leaves(slots)):
                record[f"slot/{variable.path}/{j}"] = np.asarray(leaf)
        model.get_layer("first").trainable = True
        model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
        for variable in model.weights:
            record[f"after/{variable.path}"] = variable.numpy()
        np.savez(os.path.join(directory, f"{name}.npz"), **record)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "tests/fixtures/legacy")
