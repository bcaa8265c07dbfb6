"""Each optimizer's state in Keras's layout, both ways, against Keras-written fixtures.

`tools/keras_fixtures/keras_optimizer_files.py` trained a small MLP in Keras
with each optimizer, saved it (`fixtures/optimizers/<case>.keras`), trained
one more epoch and recorded the predictions; then loaded the files hoarfrost
re-saved and recorded whether Keras continues from them as hoarfrost does
(`keras_reads_hoarfrost_optimizers.json`).
"""

from __future__ import annotations

import io
import json
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pytest

from hoarfrost import layers, models, optimizers

FIXTURES = Path(__file__).parent / "fixtures" / "optimizers"
RECORD = np.load(FIXTURES / "keras_optimizers.npz")
CASES = sorted(json.loads((FIXTURES / "keras_reads_hoarfrost_optimizers.json").read_text())
               ["cases"])


def _fit_epoch(model):
    model.fit(RECORD["x"], RECORD["y"], epochs=1, batch_size=4, shuffle=False, verbose=0)


def _optimizer_vars(path) -> list[np.ndarray]:
    import h5py
    with zipfile.ZipFile(path) as archive:
        blob = archive.read("model.weights.h5")
    with h5py.File(io.BytesIO(blob), "r") as f:
        group = f["optimizer/vars"]
        return [group[str(i)][()] for i in range(len(group))]


@pytest.mark.parametrize("case", CASES)
def test_keras_optimizer_state_loads_and_is_written_back_as_keras_wrote_it(case, tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the optimizer state is restored, not skipped
        model = models.load_model(FIXTURES / f"{case}.keras")
    model.save(tmp_path / "m.keras")
    written, keras = _optimizer_vars(tmp_path / "m.keras"), _optimizer_vars(
        FIXTURES / f"{case}.keras")
    assert [(a.shape, a.dtype) for a in written] == [(a.shape, a.dtype) for a in keras]
    for ours, theirs in zip(written, keras):
        np.testing.assert_array_equal(ours, theirs)


# The optimizers whose state hoarfrost keeps otherwise than Keras (shared or placeholder
# variables, a wrapper's own state, counts of updates, averages): training continues.
CONTINUED = ("adam", "nadam", "adafactor", "loss_scale", "adam_accumulate", "adamw_ema")


@pytest.mark.parametrize("case", CONTINUED)
def test_keras_file_continues_training_as_in_keras(case):
    model = models.load_model(FIXTURES / f"{case}.keras")
    _fit_epoch(model)
    np.testing.assert_allclose(model.predict(RECORD["x"], verbose=0),
                               RECORD[f"{case}/predict"], atol=1e-6, rtol=0)
    assert int(model.optimizer.iterations.numpy()) == int(RECORD[f"{case}/iterations"])


def test_keras_continues_hoarfrost_files_as_hoarfrost_does():
    report = json.loads((FIXTURES / "keras_reads_hoarfrost_optimizers.json").read_text())
    assert set(report["cases"]) == set(CASES) and len(CASES) == 17
    for case, entry in report["cases"].items():
        assert entry["layout_as_keras"], case
        assert entry["iterations"] == entry["expected_iterations"], case
        assert entry["max_abs_diff"] < 1e-6, case


def test_loss_scale_state_survives_hoarfrost_round_trip(tmp_path):
    model = models.Sequential([layers.Input((3,)), layers.Dense(2)])
    model.compile(optimizers.LossScaleOptimizer(optimizers.Adam(0.01),
                                                dynamic_growth_steps=2), loss="mse")
    model.fit(RECORD["x"], RECORD["y"][:, :2], epochs=1, batch_size=2, shuffle=False,
              verbose=0)  # 4 steps: the scale doubled twice, the counter back at 0
    model.optimizer.step_counter.assign(1)
    model.save(tmp_path / "lso.keras")
    loaded = models.load_model(tmp_path / "lso.keras")
    assert float(loaded.optimizer.dynamic_scale.numpy()) == 2.0 ** 17
    assert int(loaded.optimizer.step_counter.numpy()) == 1
    assert int(loaded.optimizer.iterations.numpy()) == 4


def test_nadam_u_product_after_matches_a_variable_s_own():
    optimizer = optimizers.Nadam(0.01)
    variable = layers.Dense(2)
    variable.build((None, 3))
    for _ in range(5):
        optimizer.apply([np.ones((3, 2), "float32"), np.ones(2, "float32")],
                        variable.trainable_weights)
    own = optimizer.snapshot(variable.trainable_weights).slots[0]["u_product"]
    assert np.asarray(optimizer.u_product_after(5)) == np.asarray(own)
