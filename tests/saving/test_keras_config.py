"""Keras's config dialects: Keras 3 and Keras 2 (tf_keras) configs become hoarfrost models;
Keras-only settings are accepted at Keras's defaults and refused by name otherwise;
operations on tensors travel as Keras's operation entries."""

import json
import zipfile
from pathlib import Path

import numpy as np
import pytest

from hoarfrost import Input, Sequential, constraints, layers
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
    ("quantization_config", {"module": "keras.quantizers", "class_name": "Int8QuantizationConfig",
                             "config": {"weight_quantizer": None, "activation_quantizer": None},
                             "registered_name": None},
     r"Dense layer 'hidden': `quantization_config` applies to a layer created quantized"),
    ("depthwise_constraint", {"class_name": "NonNeg", "config": {}},
     r"'hidden' \(Dense\).*depthwise_constraint.*only depthwise_constraint=null"),
    ("quantization_config", {"module": "keras.quantizers", "class_name": "Int4QuantizationConfig",
                             "config": {}}, r"'hidden' \(Dense\).*Int4QuantizationConfig"),
    ("dtype", {"module": "keras.dtype_policies", "class_name": "QuantizedDTypePolicy",
               "config": {"mode": "int4", "source_name": "float32"}, "registered_name": None},
     r"'hidden' \(Dense\).*int4"),
    ("dtype", {"module": "keras.dtype_policies", "class_name": "DTypePolicyMap",
               "config": {"default_policy": "float32"}, "registered_name": None},
     r"'hidden' \(Dense\).*DTypePolicyMap"),
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


# Keras 3.15's own configs of these constraints (`layer.get_config()[key]` in Keras).
KERAS_CONSTRAINTS = {
    "max_norm": {"module": "keras.constraints", "class_name": "MaxNorm",
                 "config": {"max_value": 2.0, "axis": 0}, "registered_name": None},
    "non_neg": {"module": "keras.constraints", "class_name": "NonNeg", "config": {},
                "registered_name": None},
    "min_max_norm": {"module": "keras.constraints", "class_name": "MinMaxNorm",
                     "config": {"min_value": 0.5, "max_value": 1.5, "rate": 0.5,
                                "axis": [0, 1, 2]}, "registered_name": None},
    "unit_norm": {"module": "keras.constraints", "class_name": "UnitNorm",
                  "config": {"axis": 0}, "registered_name": None},
}


def test_constraints_both_ways_in_keras_form(tmp_path):
    """Keras's constraint configs build hoarfrost's constraints; hoarfrost writes them back
    in exactly Keras's form; save -> load_model keeps them, and fit applies them."""
    config = _keras3_config("mlp")
    dense = _dense_entry(config)["config"]
    dense.update(kernel_constraint=KERAS_CONSTRAINTS["max_norm"],
                 bias_constraint=KERAS_CONSTRAINTS["non_neg"])
    model = model_from_json(json.dumps(config))
    layer = model.get_layer(dense["name"])
    assert isinstance(layer.kernel_constraint, constraints.MaxNorm)
    assert (layer.kernel_constraint.max_value, layer.kernel_constraint.axis) == (2.0, 0)
    assert isinstance(layer.bias_constraint, constraints.NonNeg)
    written = _dense_entry(json.loads(model.to_json()))["config"]
    assert written["kernel_constraint"] == KERAS_CONSTRAINTS["max_norm"]
    assert written["bias_constraint"] == KERAS_CONSTRAINTS["non_neg"]

    conv = Sequential([Input((5, 5, 2)), layers.Conv2D(
        2, 3, name="conv", kernel_constraint=KERAS_CONSTRAINTS["min_max_norm"],
        bias_constraint=KERAS_CONSTRAINTS["unit_norm"])])
    conv_written = json.loads(conv.to_json())["config"]["layers"][1]["config"]
    assert conv_written["kernel_constraint"] == KERAS_CONSTRAINTS["min_max_norm"]
    assert conv_written["bias_constraint"] == KERAS_CONSTRAINTS["unit_norm"]

    model.compile("sgd", "mse")
    path = tmp_path / "constrained.keras"
    model.save(path)  # once refused: configs had no constraints
    loaded = load_model(path)
    reloaded = loaded.get_layer(dense["name"])
    assert reloaded.kernel_constraint.get_config() == {"max_value": 2.0, "axis": 0}
    assert isinstance(reloaded.bias_constraint, constraints.NonNeg)
    x = np.ones((4, 6), "float32") * 10
    loaded.optimizer.learning_rate = 10.0
    loaded.fit(x, np.full((4, 3), 100.0, "float32"), epochs=1, batch_size=4, verbose=0)
    kernel, bias = (w.numpy() for w in reloaded.weights)
    assert np.all(np.linalg.norm(kernel, axis=0) <= 2.0 + 1e-5) and np.all(bias >= 0)
