"""Legacy HDF5 model files restore their optimizer state where Keras's legacy layout
differs from Keras 3's `optimizer/vars` (tf_keras's Nadam without `u_product`, Adafactor
without placeholders, LossScaleOptimizer with only its inner optimizer's weights,
Adamax's `u`; Keras 3's writer with Nadam's unnamed `u_product`; Keras 2's optimizers of
TF 2.10 and earlier, `Adam/dense/kernel/m:0`), and `fit` continues as Keras's run that
was never saved.

Fixtures: tools/keras_fixtures/legacy_optimizer_files.py.
"""

import shutil
import warnings
from pathlib import Path

import h5py
import jax
import numpy as np
import pytest

from hoarfrost.models import load_model

FIXTURES = Path(__file__).parent / "fixtures" / "optimizers" / "legacy"
FILES = ("tf_keras_nadam", "tf_keras_adafactor", "tf_keras_loss_scale", "tf_keras_adamax",
         "keras3_nadam", "keras3_loss_scale", "keras2_adam", "keras2_sgd_momentum",
         "keras2_rmsprop_centered", "keras2_adamax", "keras2_adadelta")
U_PRODUCT_AFTER_4 = 0.059018135  # Keras 3's Nadam after four steps (keras3_nadam.h5)


def _file_weights(path) -> dict:
    with h5py.File(path, "r") as f:
        group = f["optimizer_weights"]
        return {(n.decode() if isinstance(n, bytes) else n): group[n][()]
                for n in group.attrs["weight_names"]}


@pytest.mark.parametrize("stem", FILES)
def test_legacy_file_restores_optimizer_and_fit_continues(stem):
    writer = stem.split("_")[0] if stem.startswith("keras") else "tf_keras"
    record = np.load(FIXTURES / f"{writer}_optimizers.npz")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "optimizer state is not restored"
        model = load_model(FIXTURES / f"{stem}.h5")
    optimizer = model.optimizer
    assert int(optimizer.iterations.numpy()) == 4
    # every slot array of the file is one of the model's slots, bit for bit, and no more
    stored = [v for v in _file_weights(FIXTURES / f"{stem}.h5").values() if v.ndim]
    slots = [np.asarray(leaf) for v in model.trainable_weights
             for leaf in jax.tree.leaves(optimizer.slots_for(v)) if np.ndim(leaf)]
    assert len(stored) == len(slots)
    for value in stored:
        assert sum(s.shape == value.shape and np.array_equal(s, value) for s in slots) == 1
    if stem.endswith("nadam"):
        for v in model.trainable_weights:
            np.testing.assert_allclose(optimizer.slots_for(v)["u_product"], U_PRODUCT_AFTER_4,
                                       rtol=1e-6)
    if stem == "keras3_loss_scale":  # the scale's state too (tf_keras keeps none)
        extra = optimizer.snapshot(model.trainable_weights).extra
        weights = _file_weights(FIXTURES / f"{stem}.h5")
        assert int(extra["step_counter"]) == weights["loss_scale_optimizer/step_counter"]
        assert float(extra["dynamic_scale"]) == weights["loss_scale_optimizer/dynamic_scale"]
    model.fit(record["x"], record["y"], epochs=1, batch_size=4, shuffle=False, verbose=0)
    case = stem[len(writer) + 1:]
    np.testing.assert_allclose(np.asarray(model(record["x"], training=False)),
                               record[f"{case}/predict"], rtol=1e-5, atol=1e-6)


def test_legacy_file_without_a_slot_warns_naming_it_and_starts_fresh(tmp_path):
    path = tmp_path / "nadam.h5"
    shutil.copy(FIXTURES / "tf_keras_nadam.h5", path)
    with h5py.File(path, "r+") as f:
        group = f["optimizer_weights"]
        names = [n for n in group.attrs["weight_names"]
                 if not (n.decode() if isinstance(n, bytes) else n).startswith("Nadam/v/")]
        group.attrs["weight_names"] = names
    with pytest.warns(UserWarning, match=r"slot velocity of .*kernel.*not restored"):
        model = load_model(path)
    assert int(model.optimizer.iterations.numpy()) == 0
