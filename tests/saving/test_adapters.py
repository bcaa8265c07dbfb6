"""Adapter-only files (save/load_lora_weights) and LoRA / int8 models in `.keras` files."""

import os

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
