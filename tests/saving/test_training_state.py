"""Files written before the optimizer-state API still load, and continue training.

`tests/fixtures/legacy/*.keras` were written by `tools/make_legacy_keras_files.py`
with the code of that time (one file per optimizer kind, the first layer
frozen); the `.npz` beside each records the weights, every slot leaf and the
weights after one more epoch with the first layer unfrozen.
"""

from pathlib import Path

import jax
import numpy as np
import pytest

import hoarfrost
from hoarfrost.models import load_model

LEGACY = Path(__file__).resolve().parents[1] / "fixtures" / "legacy"


def _data():
    rng = np.random.default_rng(0)
    return (rng.normal(size=(16, 3)).astype(np.float32),
            rng.normal(size=(16, 2)).astype(np.float32))


@pytest.mark.parametrize("name", ["adam_amsgrad", "sgd_nesterov", "rmsprop_centered",
                                  "adagrad"])
def test_legacy_file_loads_its_state_and_trains_on(name):
    record = np.load(LEGACY / f"{name}.npz")
    model = load_model(LEGACY / f"{name}.keras")
    assert model.get_layer("first").trainable is False
    assert int(model.optimizer.iterations.numpy()) == int(record["iterations"])
    for variable in model.weights:
        assert np.array_equal(variable.numpy(), record[f"weight/{variable.path}"])
        slots = jax.tree.leaves(model.optimizer.slots_for(variable))
        for j, leaf in enumerate(slots):
            assert np.array_equal(np.asarray(leaf), record[f"slot/{variable.path}/{j}"])
        assert f"slot/{variable.path}/{len(slots)}" not in record
    model.get_layer("first").trainable = True
    hoarfrost.utils.set_random_seed(0)
    model.fit(*_data(), batch_size=8, epochs=1, shuffle=False, verbose=0)
    for variable in model.weights:
        # Nesterov SGD now adds its update as Keras does, `w + (m*v - lr*g)`, where the
        # old code rounded `(w + m*v) - lr*g`; every other update is bit-identical.
        rtol, atol = (1e-6, 1e-7) if name == "sgd_nesterov" else (0, 0)
        np.testing.assert_allclose(variable.numpy(), record[f"after/{variable.path}"],
                                   rtol=rtol, atol=atol)
