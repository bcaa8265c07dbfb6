"""Adapter-only files (save/load_lora_weights) and LoRA / int8 models in `.keras` files."""

import io
import json
import os
import zipfile
from pathlib import Path

import numpy as np
import pytest

from hoarfrost.models import load_model

from tests.models.test_peft import IDS, LABELS, encoder_classifier


def randomize_adapters(model, seed=1):
    rng = np.random.default_rng(seed)
    for w in model.weights:
        if "/lora_" in w.path:
            w.assign(rng.normal(size=w.shape).astype("float32") * 0.1)


def test_adapters_alone_in_a_small_file_onto_the_same_base(tmp_path):
    tuned = encoder_classifier()
    base_weights = tuned.get_weights()
    tuned.enable_lora(2, "*attention*", "dense_*")
    randomize_adapters(tuned)
    expected = np.asarray(tuned(IDS))
    path = tmp_path / "tuned.lora.safetensors"
    tuned.save_lora_weights(path)
    full = tmp_path / "full.weights.safetensors"
    tuned.save_weights(full)
    adapter_floats = sum(w.size for w in tuned.trainable_weights)
    assert os.path.getsize(path) < 4 * adapter_floats + 8192 < os.path.getsize(full)

    fresh = encoder_classifier()  # the same base, no adapters yet: they are enabled on load
    fresh.set_weights(base_weights)
    fresh.load_lora_weights(path)
    np.testing.assert_array_equal(np.asarray(fresh(IDS)), expected)
    assert [w.path for w in fresh.trainable_weights] == [w.path for w in tuned.trainable_weights]

    other = encoder_classifier()  # another base: refused by checksum unless asked
    with pytest.raises(ValueError, match="attention/query.*check_base=False"):
        other.load_lora_weights(path)
    assert not any("/lora_" in w.path for w in other.weights)  # untouched
    other.load_lora_weights(path, check_base=False)
    assert len(other.trainable_weights) == len(tuned.trainable_weights)


def test_bad_files_and_mismatches_are_refused_by_name(tmp_path):
    model = encoder_classifier()
    with pytest.raises(ValueError, match="no layer with LoRA"):
        model.save_lora_weights(tmp_path / "none.lora.safetensors")
    model.enable_lora(2, "head")
    with pytest.raises(ValueError, match=r"\.lora\.safetensors"):
        model.save_lora_weights(tmp_path / "adapters.h5")
    path = tmp_path / "head.lora.safetensors"
    model.save_lora_weights(path)
    blob = bytearray(path.read_bytes())
    blob[-3] ^= 0xFF
    damaged = tmp_path / "damaged.lora.safetensors"
    damaged.write_bytes(bytes(blob))
    with pytest.raises(ValueError, match="checksum"):
        model.load_lora_weights(damaged)
    model.enable_lora(2, "dense_1")
    with pytest.raises(ValueError, match="no adapter for.*dense_1"):
        model.load_lora_weights(path)
    weights = tmp_path / "model.weights.safetensors"
    model.save_weights(weights)
    with pytest.raises(ValueError, match="not a LoRA adapter file"):
        model.load_lora_weights(weights)


def test_lora_and_int8_models_round_trip_through_keras_files(tmp_path):
    model = encoder_classifier()
    model.quantize("int8")
    model.enable_lora(2, "attention", "dense_1")
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(IDS, LABELS, batch_size=8, epochs=1, verbose=0)
    path = tmp_path / "qlora.keras"
    model.save(path)
    loaded = load_model(path)
    assert [(w.path, w.dtype, w.trainable) for w in loaded.weights] == [
        (w.path, w.dtype, w.trainable) for w in model.weights]
    for saved, restored in zip(model.weights, loaded.weights):
        assert np.array_equal(saved.numpy(), restored.numpy()), saved.path
    np.testing.assert_array_equal(np.asarray(loaded(IDS)), np.asarray(model(IDS)))
    query = loaded.get_layer("attention")._query_dense  # rebuilt from the file's record
    assert query.quantization_mode == "int8" and query.lora_rank == 2
    assert sorted(w.path for w in loaded.optimizer._slots) == sorted(
        w.path for w in model.trainable_weights)
    with pytest.raises(ValueError, match="frozen by definition"):
        loaded.get_layer("dense_1").kernel.trainable = True


FIXTURES = Path(__file__).parent / "fixtures"


def _h5_layout(path):
    """`{dataset path: (shape, dtype)}` of a `.keras` file's model.weights.h5."""
    import h5py
    with zipfile.ZipFile(path) as archive:
        blob = io.BytesIO(archive.read("model.weights.h5"))
    layout = {}
    with h5py.File(blob, "r") as f:
        f.visititems(lambda name, obj: layout.__setitem__(name, (obj.shape, str(obj.dtype)))
                     if isinstance(obj, h5py.Dataset) else None)
    return layout


def _layer_keys(path):
    with zipfile.ZipFile(path) as archive:
        config = json.loads(archive.read("config.json"))
    keys = ("dtype", "lora_rank", "lora_alpha", "quantization_config")
    return {entry["config"]["name"]: {k: entry["config"].get(k) for k in keys}
            for entry in config["config"]["layers"] if entry["class_name"] != "InputLayer"}


def test_keras_lora_and_int8_file_loads_and_is_written_in_keras_form(tmp_path):
    """Keras 3.15's file (tools/keras_fixtures/lora_files.py): LoRA layers saved merged,
    an int8 Dense with LoRA re-quantized. hoarfrost loads it as Keras does (outputs of
    the merged kernels) and writes the same config keys and HDF5 layout back."""
    data = np.load(FIXTURES / "keras_lora.npz")
    model = load_model(FIXTURES / "keras_lora.keras")
    d1, d2, emb = (model.get_layer(n) for n in ("d1", "d2", "emb"))
    assert (d1.quantization_mode, d1.lora_rank, d2.lora_rank, d2.lora_alpha,
            emb.lora_rank) == ("int8", 2, 3, 6, 2)
    assert not d1.kernel.trainable and d2.lora_kernel_a.trainable
    np.testing.assert_allclose(np.asarray(model(data["x"])), data["y_loaded"], atol=1e-6)
    assert not np.any(d2.lora_kernel_b.numpy())  # B at zeros: the loaded kernel alone
    assert np.any(d2.lora_kernel_a.numpy())  # A kept (Keras zeroes it: then nothing trains)

    path = tmp_path / "hoarfrost_lora.keras"
    model.save(path)
    if os.environ.get("HOARFROST_WRITE_LORA_FILE"):  # for lora_files.py --check
        model.save(os.environ["HOARFROST_WRITE_LORA_FILE"])
    assert _h5_layout(path) == _h5_layout(FIXTURES / "keras_lora.keras")
    ours, keras = _layer_keys(path), _layer_keys(FIXTURES / "keras_lora.keras")
    for name in ("emb", "d1", "d2"):
        assert {k: ours[name][k] for k in ("lora_rank", "lora_alpha")} == \
            {k: keras[name][k] for k in ("lora_rank", "lora_alpha")}, name
    assert ours["d1"]["dtype"] == keras["d1"]["dtype"]
    assert ours["d1"]["quantization_config"] == keras["d1"]["quantization_config"]


def test_keras_layout_holds_lora_layers_merged(tmp_path):
    """model.weights.h5 holds each LoRA kernel merged, as Keras's save_own_variables;
    hoarfrost's extras bring back the exact base and adapters."""
    model = load_model(FIXTURES / "keras_lora.keras")
    randomize_adapters(model)
    d1, d2 = model.get_layer("d1"), model.get_layer("d2")
    expected = np.asarray(model(np.load(FIXTURES / "keras_lora.npz")["x"]))
    path = tmp_path / "m.weights.h5"
    model.save_weights(path)
    import h5py
    with h5py.File(path, "r") as f:
        stored = {k: np.asarray(f[f"layers/{k}/vars/0"]) for k in ("dense", "dense_1")}
    merged = d2.kernel.numpy() + (d2.lora_alpha / d2.lora_rank) * (
        d2.lora_kernel_a.numpy() @ d2.lora_kernel_b.numpy())
    np.testing.assert_allclose(stored["dense_1"], merged, rtol=1e-6, atol=1e-7)
    assert stored["dense"].dtype == np.int8 and not np.array_equal(stored["dense"],
                                                                   d1.kernel.numpy())
    keras_file = tmp_path / "m.keras"
    model.save(keras_file)
    loaded = load_model(keras_file)
    for saved, restored in zip(model.weights, loaded.weights):
        assert np.array_equal(saved.numpy(), restored.numpy()), saved.path
    x = np.load(FIXTURES / "keras_lora.npz")["x"]
    np.testing.assert_array_equal(np.asarray(loaded(x)), expected)
