"""Loading is safe by default, as in Keras: Python bytecode in a file (a Lambda's
`__lambda__`) is refused, with the two explicit opt-ins named in the message, in
hoarfrost's config dialect and in Keras's (what `to_json` and `save` write now)."""

import codecs
import json
import marshal

import numpy as np
import pytest

from hoarfrost import Sequential, layers
from hoarfrost.models import load_model, model_from_json
from hoarfrost.saving import safe_mode
from hoarfrost.saving.serialization import deserialize_layer, serialize_layer
from tests.saving.crafting import altered, write_v1


def _bytecode(function) -> dict:
    """Keras's `Lambda` config of a Python lambda (python_utils.func_dump)."""
    code = codecs.encode(marshal.dumps(function.__code__), "base64").decode("ascii")
    return {"class_name": "__lambda__", "config": {"code": code, "defaults": None,
                                                   "closure": None}}


def _model():
    return Sequential([layers.Input((2,)), layers.Lambda(np.negative, output_shape=(2,),
                                                         name="lam")])


def _config(function_config, keras: bool = False) -> dict:
    """The model's config, hoarfrost's dialect or Keras's, its Lambda's function replaced."""
    model = _model()
    config = json.loads(model.to_json()) if keras else serialize_layer(model)
    lam = next(layer for layer in config["config"]["layers"]
               if layer["class_name"] == "Lambda")
    lam["config"]["function"] = function_config
    return config


@pytest.fixture
def marker_lambda(tmp_path):
    marker = tmp_path / "marker"
    function = eval(f"lambda x: (open({str(marker)!r}, 'w').close(), x * 2)[1]")
    return marker, _config(_bytecode(function)), _config(_bytecode(function), keras=True)


MESSAGE = (r"Lambda layer \"lam\".*bytecode.*`safe_mode=False`.*"
           r"enable_unsafe_deserialization\(\)")


def test_bytecode_is_refused_by_default_naming_the_opt_ins(marker_lambda, tmp_path):
    marker, config, keras = marker_lambda
    for dialect in (config, keras):
        with pytest.raises(ValueError, match=MESSAGE):
            model_from_json(json.dumps(dialect))
    with pytest.raises(ValueError, match=MESSAGE):
        deserialize_layer(config)
    with pytest.raises(ValueError, match=MESSAGE):  # a direct from_config fails closed too
        layers.Lambda.from_config(config["config"]["layers"][1]["config"])
    saved = tmp_path / "plain.keras"
    _model().save(saved)
    crafted = altered(saved, tmp_path / "lambda.keras",
                      **{"config.json": json.dumps(keras).encode()})
    with pytest.raises(ValueError, match=r"lambda\.keras', member config\.json: .*" + MESSAGE):
        load_model(crafted)
    assert not marker.exists()
    model = load_model(crafted, safe_mode=False)  # the explicit opt-in: Keras's behaviour
    np.testing.assert_array_equal(model(np.ones((1, 2), "float32")), [[2.0, 2.0]])
    assert marker.exists()


def test_bytecode_in_a_format_1_file_is_refused(marker_lambda, tmp_path):
    marker, config, _ = marker_lambda
    saved = write_v1(_model(), tmp_path / "plain.keras")
    crafted = altered(saved, tmp_path / "lambda.keras",
                      **{"config.json": json.dumps(config).encode()})
    with pytest.raises(ValueError, match=r"lambda\.keras', member config\.json: .*" + MESSAGE):
        load_model(crafted)
    assert not marker.exists()


def test_scopes_and_the_global_switch_opt_in(marker_lambda, monkeypatch):
    _, config, keras = marker_lambda
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
    model_from_json(json.dumps(keras))
    with safe_mode.SafeModeScope(True), pytest.raises(ValueError, match="bytecode"):
        model_from_json(json.dumps(config))  # a scope wins, as in Keras
    with safe_mode.SafeModeScope(True), pytest.raises(ValueError, match="bytecode"):
        model_from_json(json.dumps(keras))


@pytest.mark.parametrize("keras", [False, True])
def test_names_resolve_only_to_known_functions_even_when_unsafe(keras):
    config = _config({"module": "numpy", "class_name": "function", "config": "load",
                      "registered_name": "function"}, keras)
    with pytest.raises(ValueError, match=r"Lambda layer \"lam\": could not find the function "
                                         r"'load'"):
        model_from_json(json.dumps(config))
    with safe_mode.SafeModeScope(False), pytest.raises(ValueError, match="'load'"):
        model_from_json(json.dumps(config))
