"""Keras's model files in and out: files Keras 3 (JAX and TensorFlow backends), Keras 3's
legacy writer and tf_keras 2 wrote load with Keras's predictions and optimizer state;
what hoarfrost writes has the structure of what Keras writes; old hoarfrost files load.

Fixtures: tools/keras_fixtures/keras_files.py (Keras's side, and Keras reading
hoarfrost's files: `keras_reads_hoarfrost_*.json`, `via_keras_*`),
tools/keras_fixtures/hoarfrost_files.py (hoarfrost's side of that check).
"""

import io
import json
import sys
import warnings
import zipfile
from pathlib import Path

import h5py
import numpy as np
import pytest

from hoarfrost.models import load_model, model_from_json
from hoarfrost.saving import keras_archive

FIXTURES = Path(__file__).parent / "fixtures"
TOOLS = Path(__file__).parents[2] / "tools" / "keras_fixtures"
MODELS = ("mlp", "cnn", "rnn", "nested")
RECORDS = {name: np.load(FIXTURES / f"{name}_predictions.npz")
           for name in ("jax", "tensorflow", "tf_keras", "via_keras")}


def _load_quietly(path, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "optimizer state not restored" or the like
        return load_model(path, **kwargs)


def _predict(model, x):
    """The model's inference output (an eager call: its ops compile once per shape, for all
    the files of one architecture, where `predict` compiles a program per model)."""
    return np.asarray(model(x, training=False))


@pytest.mark.parametrize("name", MODELS)
def test_keras_files_load_with_keras_predictions_and_optimizer(name):
    """One model, every writer: Keras 3 on JAX and TF (`.keras`), Keras 3's legacy `.h5`,
    tf_keras 2's `.h5`. Same predictions as Keras, compiled, the optimizer at Keras's
    step with Keras's slots, flags from the configs."""
    for source, path in (("jax", f"jax_{name}.keras"), ("tensorflow", f"tensorflow_{name}.keras"),
                         ("jax", f"jax_{name}.h5"), ("tf_keras", f"tf_keras_{name}.h5")):
        record = RECORDS[source]
        model = _load_quietly(FIXTURES / path)
        np.testing.assert_allclose(_predict(model, record[f"{name}/x"]),
                                   record[f"{name}/predict"], rtol=1e-5, atol=1e-6,
                                   err_msg=path)
        assert model.compiled and int(model.optimizer.iterations.numpy()) == 4, path
        if name == "nested":
            assert model.get_layer("base").trainable is False, path
            assert [w.path for w in model.trainable_weights] == ["top/kernel", "top/bias"]
    # the slots are Keras's: the file's optimizer/vars, variable by variable (momentum,
    # velocity)
    model = _load_quietly(FIXTURES / f"jax_{name}.keras")
    with zipfile.ZipFile(FIXTURES / f"jax_{name}.keras") as archive:
        h5 = h5py.File(io.BytesIO(archive.read("model.weights.h5")), "r")
        stored = [h5[f"optimizer/vars/{i}"][()] for i in range(len(h5["optimizer/vars"]))]
    kernel = model.trainable_weights[0]
    slots = model.optimizer.slots_for(kernel)
    np.testing.assert_array_equal(slots["momentum"], stored[2])
    np.testing.assert_array_equal(slots["velocity"], stored[3])
    assert int(slots["count"]) == 4


def test_fit_continues_and_frozen_submodel_stays_bit_identical():
    model = _load_quietly(FIXTURES / "jax_nested.keras")
    record = RECORDS["jax"]
    base = [w.numpy().copy() for w in model.get_layer("base").weights]
    model.fit(record["nested/x"], record["nested/y"], epochs=1, batch_size=2, verbose=0)
    assert int(model.optimizer.iterations.numpy()) == 6
    for before, after in zip(base, model.get_layer("base").weights):
        assert np.array_equal(before, after.numpy())


@pytest.mark.parametrize("name", MODELS)
def test_hoarfrost_file_through_keras_and_back(name):
    """hoarfrost -> Keras -> hoarfrost: Keras loaded hoarfrost's file (same predictions,
    recorded in keras_reads_hoarfrost_*.json), trained it two more steps and saved it;
    hoarfrost loads that with Keras's predictions and step count."""
    for backend in ("jax", "tensorflow"):
        report = json.loads((FIXTURES / f"keras_reads_hoarfrost_{backend}.json").read_text())
        entry = report["models"][name]
        assert entry["max_abs_diff"] < 1e-6 and entry["compiled"] and entry["iterations"] == 6
    record = RECORDS["via_keras"]
    model = _load_quietly(FIXTURES / f"via_keras_{name}.keras")
    np.testing.assert_allclose(_predict(model, record[f"{name}/x"]), record[f"{name}/predict"],
                               rtol=1e-5, atol=1e-6)
    assert int(model.optimizer.iterations.numpy()) == int(record[f"{name}/iterations"]) == 8


def _structure(path):
    sys.path.insert(0, str(TOOLS))
    try:
        from keras_files import structure
    finally:
        sys.path.remove(str(TOOLS))
    return structure(path)


def _comparable_keys(config_keys):
    """Config key paths, without what hoarfrost writes differently on purpose: Keras's
    per-layer `build_config`, object-sharing ids and the mask arguments (with the
    `NotEqual` op) Keras records for masks hoarfrost propagates by itself."""
    return {k for k in config_keys
            if "build_config" not in k and "shared_object_id" not in k
            and "kwargs/mask" not in k and "kwargs/training" not in k}


@pytest.mark.parametrize("name", MODELS)
def test_written_file_has_keras_structure(name, tmp_path):
    """Members, HDF5 groups and datasets (with shapes) and config keys of what hoarfrost
    writes equal those of what Keras writes for the same model (plus hoarfrost's two
    extra members); the round trip in hoarfrost loses nothing."""
    keras = json.loads((FIXTURES / "jax_structure.json").read_text())[f"{name}.keras"]
    model = _load_quietly(FIXTURES / f"jax_{name}.keras")
    path = tmp_path / f"{name}.keras"
    model.save(path)
    mine = _structure(path)
    assert sorted(set(mine["members"]) - set(keras["members"])) == [keras_archive.SLOTS,
                                                                    keras_archive.STATE]
    assert set(keras["members"]) <= set(mine["members"])
    assert mine["h5"] == keras["h5"]
    if name != "rnn":  # rnn: Keras's NotEqual op shifts the layer indices; checked below
        assert _comparable_keys(mine["config_keys"]) == _comparable_keys(keras["config_keys"])
    else:
        ours = json.loads(zipfile.ZipFile(path).read("config.json"))
        theirs = json.loads(zipfile.ZipFile(FIXTURES / "jax_rnn.keras").read("config.json"))
        layers = [e for e in theirs["config"]["layers"] if e["class_name"] != "NotEqual"]
        for a, b in zip(ours["config"]["layers"], layers, strict=True):
            assert sorted(a["config"]) == sorted(b["config"]), a["name"]
    again = _load_quietly(path)
    for a, b in zip(model.weights, again.weights, strict=True):
        assert a.path == b.path and np.array_equal(a.numpy(), b.numpy())
        assert a.trainable == b.trainable
    ours = model.optimizer.save_state()
    theirs = again.optimizer.save_state()
    assert ours.keys() == theirs.keys()
    for key, value in ours.items():
        assert np.array_equal(value, theirs[key]), key


def test_save_weights_h5_is_keras_layout_and_loads_by_structure(tmp_path):
    keras = json.loads((FIXTURES / "jax_structure.json").read_text())["rnn.weights.h5"]
    model = _load_quietly(FIXTURES / "jax_rnn.keras")
    path = tmp_path / "rnn.weights.h5"
    model.save_weights(path)
    assert _structure(path)["h5"] == keras["h5"]
    fresh = model_from_json(model.to_json())
    fresh.load_weights(FIXTURES / "jax_rnn.weights.h5")  # Keras's own file
    for a, b in zip(model.weights, fresh.weights, strict=True):
        assert np.array_equal(a.numpy(), b.numpy())


def test_legacy_weights_files_load_by_layer_name():
    """tf_keras's `save_weights("w.h5")` files (the format of Keras's published ImageNet
    weights) load into a model built from the architecture, by layer name."""
    record = RECORDS["tf_keras"]
    for name in ("rnn", "nested"):
        model = model_from_json((FIXTURES / f"tf_keras_{name}.json").read_text())
        model.load_weights(FIXTURES / f"tf_keras_{name}_weights.h5")
        np.testing.assert_allclose(_predict(model, record[f"{name}/x"]),
                                   record[f"{name}/predict"], rtol=1e-5, atol=1e-6)
    renamed = model_from_json((FIXTURES / "tf_keras_mlp.json").read_text()
                              .replace('"hidden"', '"other"'))
    with pytest.raises(ValueError, match=r"no weights for layer\(s\) \['other'\].*'hidden'"):
        renamed.load_weights(FIXTURES / "tf_keras_mlp_weights.h5")


def test_old_hoarfrost_file_still_loads():
    """A format-1 file (written by hoarfrost before Keras compatibility; its functional
    layers in call order, equal shapes across the swapped branches) loads with its
    weights in the right places, its frozen flag and its optimizer."""
    record = np.load(FIXTURES / "hoarfrost_v1.npz")
    model = _load_quietly(FIXTURES / "hoarfrost_v1.keras")
    np.testing.assert_allclose(_predict(model, record["x"]), record["predict"], rtol=1e-6)
    assert model.get_layer("side").trainable is False
    assert int(model.optimizer.iterations.numpy()) == 6
    side = [w.numpy().copy() for w in model.get_layer("side").weights]
    model.fit(record["x"], record["y"], epochs=1, batch_size=2, verbose=0)
    assert all(np.array_equal(a, b.numpy()) for a, b in zip(side, model.get_layer("side").weights))


def test_files_are_told_apart_by_content(tmp_path):
    kinds = {"jax_mlp.keras": keras_archive.KERAS_ZIP, "jax_mlp.h5": keras_archive.LEGACY_MODEL,
             "jax_mlp.weights.h5": keras_archive.KERAS_WEIGHTS,
             "tf_keras_mlp_weights.h5": keras_archive.LEGACY_WEIGHTS,
             "hoarfrost_v1.keras": keras_archive.HOARFROST_V1}
    for name, kind in kinds.items():
        renamed = tmp_path / f"{name}.bin"  # the suffix says nothing
        renamed.write_bytes((FIXTURES / name).read_bytes())
        assert keras_archive.detect(renamed) == kind
    with pytest.raises(ValueError, match=r"weights.*no model.*load_weights"):
        load_model(FIXTURES / "jax_mlp.weights.h5")
    other = tmp_path / "data.h5"
    with h5py.File(other, "w") as f:
        f["images"] = np.zeros(3)
    with pytest.raises(ValueError, match=r"data\.h5.*HDF5 file with groups \['images'\]"):
        load_model(other)
    text = tmp_path / "notes.keras"
    text.write_text("hello, world")
    with pytest.raises(ValueError, match=r"notes\.keras.*starts with b'hello, world'"):
        load_model(text)


def test_keras_optimizer_hoarfrost_lacks_loads_uncompiled_with_a_warning(tmp_path):
    path = tmp_path / "muon.keras"
    with zipfile.ZipFile(FIXTURES / "jax_mlp.keras") as source, \
            zipfile.ZipFile(path, "w") as target:
        for member in source.namelist():
            data = source.read(member)
            if member == "config.json":
                config = json.loads(data)
                config["compile_config"]["optimizer"]["class_name"] = "Muon"
                data = json.dumps(config)
            target.writestr(member, data)
    with pytest.warns(UserWarning, match=r"muon\.keras.*Muon.*uncompiled"):
        model = load_model(path)
    assert not model.compiled
    np.testing.assert_allclose(_predict(model, RECORDS["jax"]["mlp/x"]),
                               RECORDS["jax"]["mlp/predict"], rtol=1e-5, atol=1e-6)
