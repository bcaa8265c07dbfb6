"""Keras's config dialects: Keras 3 and Keras 2 (tf_keras) configs become hoarfrost models;
Keras-only settings are accepted at Keras's defaults and refused by name otherwise;
operations on tensors travel as Keras's operation entries."""

import json
import zipfile
from pathlib import Path

import numpy as np
import pytest

from hoarfrost.models import load_model, model_from_json
from hoarfrost.saving import keras_config

FIXTURES = Path(__file__).parent / "fixtures"


def _keras3_config(name: str) -> dict:
    with zipfile.ZipFile(FIXTURES / f"jax_{name}.keras") as archive:
        return json.loads(archive.read("config.json"))


def _dense_entry(config: dict) -> dict:
    return next(e for e in config["config"]["layers"] if e["class_name"] == "Dense")


def test_both_dialects_describe_the_same_model():
    """tf_keras's JSON (batch_input_shape, Keras 2 graph lists) and Keras 3's config.json
    (modules, DTypePolicy dicts, keras_history) give the same layers and weight shapes."""
    for name in ("rnn", "nested"):
        keras2 = model_from_json((FIXTURES / f"tf_keras_{name}.json").read_text())
        keras3 = model_from_json(json.dumps(_keras3_config(name)))
        assert [layer.name for layer in keras2.layers] == [layer.name for layer in keras3.layers]
        assert [w.path for w in keras2.weights] == [w.path for w in keras3.weights]
        assert [w.shape for w in keras2.weights] == [w.shape for w in keras3.weights]
        assert ([w.path for w in keras2.trainable_weights]
                == [w.path for w in keras3.trainable_weights])
    assert model_from_json(json.dumps(_keras3_config("nested"))).get_layer("base").trainable is False


@pytest.mark.parametrize("key, value, message", [
    ("quantization_config", {"mode": "int8"}, r"'hidden' \(Dense\).*quantization_config"),
    ("kernel_constraint", {"class_name": "NonNeg", "config": {}},
     r"'hidden' \(Dense\).*kernel_constraint"),
    ("dtype", {"module": "keras", "class_name": "DTypePolicy",
               "config": {"name": "mixed_float16"}, "registered_name": None},
     r"'hidden' \(Dense\).*mixed_float16"),
    ("lora_rank", 4, r"'hidden' \(Dense\).*lora_rank=4"),
    ("frobnicate", True, r"'hidden' \(Dense\).*'frobnicate'"),
])
def test_keras_only_settings_refused_by_name(key, value, message):
    config = _keras3_config("mlp")
    _dense_entry(config)["config"][key] = value
    with pytest.raises(ValueError, match=message):
        model_from_json(json.dumps(config))


def test_keras_only_settings_at_defaults_accepted():
    config = _keras3_config("mlp")
    entry = _dense_entry(config)
    assert entry["config"]["quantization_config"] is None
    entry["config"]["kernel_initializer"]["config"]["input_axes"] = None
    entry["config"]["lora_rank"] = None
    assert model_from_json(json.dumps(config)).count_params() == 6 * 5 + 5 + 5 * 3 + 3


def test_operations_on_tensors_both_ways(tmp_path):
    """Keras's op entries (`x * 2.0 + 1.0`, `ops.mean`, `x[:, 0:2]`, `ops.not_equal`) become
    TensorOps with Keras's outputs; hoarfrost writes them back as Keras's op entries, which
    Keras loaded with the same outputs and saved again (via_keras_ops.keras)."""
    record = np.load(FIXTURES / "jax_predictions.npz")
    x = record["ops/x"]
    report = json.loads((FIXTURES / "keras_reads_hoarfrost_jax.json").read_text())
    assert report["models"]["ops"]["max_abs_diff"] == 0.0
    for path in (FIXTURES / "jax_ops.keras", FIXTURES / "via_keras_ops.keras"):
        model = load_model(path)
        outputs = model(x)
        assert len(outputs) == 3
        for i, out in enumerate(outputs):
            np.testing.assert_allclose(np.asarray(out, "float32"),
                                       record[f"ops/predict_{i}"].astype("float32"), atol=1e-6)
    written = keras_config.to_keras(model)
    classes = [(e["module"], e["class_name"]) for e in written["config"]["layers"]]
    assert ("keras.src.ops.numpy", "Multiply") in classes
    assert ("keras.src.ops.numpy", "GetItem") in classes
    assert ("keras.src.ops.numpy", "NotEqual") in classes
    again = model_from_json(json.dumps(written))
    again.set_weights(model.get_weights())
    for a, b in zip(again(x), model(x)):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
