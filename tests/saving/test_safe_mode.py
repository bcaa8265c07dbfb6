"""Loading is safe by default, as in Keras: Python bytecode in a file (a Lambda's
`__lambda__`) is refused, with the two explicit opt-ins named in the message."""

import codecs
import json
import marshal

import numpy as np
import pytest

from hoarfrost import Sequential, layers
from hoarfrost.models import load_model, model_from_json
from hoarfrost.saving import safe_mode
from hoarfrost.saving.serialization import deserialize_layer
from tests.saving.crafting import altered


def _bytecode(function) -> dict:
    """Keras's `Lambda` config of a Python lambda (python_utils.func_dump)."""
    code = codecs.encode(marshal.dumps(function.__code__), "base64").decode("ascii")
    return {"class_name": "__lambda__", "config": {"code": code, "defaults": None,
                                                   "closure": None}}


def _config(function_config) -> dict:
    model = Sequential([layers.Input((2,)), layers.Lambda(np.negative, output_shape=(2,),
                                                          name="lam")])
    config = json.loads(model.to_json())
    lam = next(layer for layer in config["config"]["layers"]
               if layer["class_name"] == "Lambda")
    lam["config"]["function"] = function_config
    return config


@pytest.fixture
def marker_lambda(tmp_path):
    marker = tmp_path / "marker"
    function = eval(f"lambda x: (open({str(marker)!r}, 'w').close(), x * 2)[1]")
    return marker, _config(_bytecode(function))


def test_bytecode_is_refused_by_default_naming_the_opt_ins(marker_lambda, tmp_path):
    marker, config = marker_lambda
    message = (r"Lambda layer \"lam\".*bytecode.*`safe_mode=False`.*"
               r"enable_unsafe_deserialization\(\)")
    with pytest.raises(ValueError, match=message):
        model_from_json(json.dumps(config))
    with pytest.raises(ValueError, match=message):
        deserialize_layer(config)
    with pytest.raises(ValueError, match=message):  # a direct from_config fails closed too
        layers.Lambda.from_config(config["config"]["layers"][1]["config"])
    saved = tmp_path / "plain.keras"
    Sequential([layers.Input((2,)), layers.Lambda(np.negative, output_shape=(2,),
                                                  name="lam")]).save(saved)
    crafted = altered(saved, tmp_path / "lambda.keras",
                      **{"config.json": json.dumps(config).encode()})
    with pytest.raises(ValueError, match=r"lambda\.keras', member config\.json: .*" + message):
        load_model(crafted)
    assert not marker.exists()
    model = load_model(crafted, safe_mode=False)  # the explicit opt-in: Keras's behaviour
    np.testing.assert_array_equal(model(np.ones((1, 2), "float32")), [[2.0, 2.0]])
    assert marker.exists()


def test_scopes_and_the_global_switch_opt_in(marker_lambda, monkeypatch):
    _, config = marker_lambda
    with safe_mode.SafeModeScope(False):
        assert safe_mode.in_safe_mode() is False
        deserialize_layer(config)
    assert safe_mode.in_safe_mode() is None  # restored: unset, so safe
    deserialize_layer(config, safe_mode=False)
    with pytest.raises(ValueError, match="bytecode"):
        deserialize_layer(config, safe_mode=True)
    monkeypatch.setattr(safe_mode, "_unsafe_everywhere", False)  # undone after the test
    safe_mode.enable_unsafe_deserialization()
    assert safe_mode.in_safe_mode() is False
    model_from_json(json.dumps(config))
    with safe_mode.SafeModeScope(True), pytest.raises(ValueError, match="bytecode"):
        model_from_json(json.dumps(config))  # a scope wins, as in Keras


def test_names_resolve_only_to_known_functions_even_when_unsafe():
    config = _config({"module": "numpy", "class_name": "function", "config": "load",
                      "registered_name": "function"})
    with pytest.raises(ValueError, match=r"Lambda layer \"lam\": could not find the function "
                                         r"'load'"):
        model_from_json(json.dumps(config))
    with safe_mode.SafeModeScope(False), pytest.raises(ValueError, match="'load'"):
        model_from_json(json.dumps(config))
