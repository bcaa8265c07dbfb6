"""The utilities added for Keras 3.15's `keras.utils` / `keras.preprocessing` /
`keras.legacy.saving` names, against Keras's answers (tools/keras_fixtures/utils_breadth.py)."""

import json
import logging
from pathlib import Path

import jax.numpy as jnp
import numpy as np
import pytest

import hoarfrost
from hoarfrost import constraints, losses, models, preprocessing, regularizers, utils

DATA = np.load(Path(__file__).parents[1] / "fixtures" / "keras_utils.npz")
DTYPES = {"None": None, "int": int, "float": float, "bool": bool, "str": str, "'int'": "int",
          "'float'": "float", "'float64'": "float64", "np.float16": np.float16,
          "np.dtype('int8')": np.dtype("int8"), "jnp.bfloat16": jnp.bfloat16,
          "'string'": "string", "'uint8'": "uint8", "'float8_e4m3fn'": "float8_e4m3fn",
          "'complex64'": "complex64", "'int4'": "int4", "'foo'": "foo", "'object'": "object"}


def test_standardize_dtype_matches_keras():
    expected = json.loads(str(DATA["dtypes"]))
    assert set(expected) == set(DTYPES)
    for key, dtype in DTYPES.items():
        if expected[key].startswith("ValueError: "):
            with pytest.raises(ValueError, match=expected[key][len("ValueError: "):]):
                utils.standardize_dtype(dtype)
        else:
            assert utils.standardize_dtype(dtype) == expected[key], key


def test_legacy_serialization_matches_keras_and_round_trips():
    expected = json.loads(str(DATA["legacy"]))
    objects = {"L2": regularizers.L2(0.1), "MeanSquaredError": losses.MeanSquaredError(),
               "relu": hoarfrost.activations.relu,
               "MaxNorm": constraints.MaxNorm(2.0, axis=1)}
    for name, obj in objects.items():
        assert utils.legacy.serialize_keras_object(obj) == expected[name], name
    assert hoarfrost.legacy.saving.serialize_keras_object is utils.legacy.serialize_keras_object
    restored = utils.legacy.deserialize_keras_object(expected["L2"], module_objects={
        "L2": regularizers.L2})
    assert type(restored) is regularizers.L2 and restored.l2 == pytest.approx(0.1)
    assert utils.legacy.deserialize_keras_object(
        "relu", module_objects={"relu": hoarfrost.activations.relu}) is hoarfrost.activations.relu
    with pytest.raises(ValueError, match="Unknown loss: 'Nope'"):
        utils.legacy.deserialize_keras_object({"class_name": "Nope", "config": {}},
                                              printable_module_name="loss")


def test_config_behaves_as_keras():
    expected = json.loads(str(DATA["config"]))
    config = utils.Config(learning_rate=0.1, layers=[1, 2])
    config.momentum = 0.9
    assert config.as_dict() == expected["as_dict"]
    assert config.to_json() == expected["json"]
    assert list(config) == expected["iter"] and len(config) == expected["len"]
    assert repr(config) == expected["repr"]
    config.freeze()
    with pytest.raises(ValueError, match="frozen"):
        config.momentum = 0.5
    with pytest.raises(AttributeError) as info:
        config.learnin_rate
    assert str(info.value) == expected["typo_error"]


@pytest.mark.parametrize("name", ["tall", "wide_batch", "channels_first"])
@pytest.mark.parametrize("interpolation", ["bilinear", "nearest"])
def test_smart_resize_matches_keras(name, interpolation):
    image = DATA[f"image_{name}"]
    fmt = "channels_first" if name == "channels_first" else "channels_last"
    out = preprocessing.image.smart_resize(image, (4, 4), interpolation=interpolation,
                                           data_format=fmt)
    assert isinstance(out, np.ndarray)
    np.testing.assert_allclose(out, DATA[f"smart_{name}_{interpolation}"], rtol=1e-5, atol=1e-6)


def test_names_are_hoarfrosts_existing_functions():
    assert preprocessing.sequence.pad_sequences is utils.pad_sequences
    assert preprocessing.image.load_img is utils.load_img
    assert preprocessing.image_dataset_from_directory is utils.image_dataset_from_directory
    assert models.save_model is hoarfrost.saving.save_model
    assert utils.custom_object_scope is utils.CustomObjectScope
    assert utils.serialize_keras_object is hoarfrost.saving.serialize_keras_object


def test_custom_objects_through_utils():
    class Twice(regularizers.Regularizer):
        def __call__(self, x):
            return 2 * x

    with utils.custom_object_scope({"Twice": Twice}):
        assert utils.get_registered_object("Twice") is Twice
        assert type(utils.deserialize_keras_object(
            {"class_name": "Twice", "config": {}, "module": None,
             "registered_name": "Twice"})) is Twice
    assert utils.get_registered_object("Twice") is None
    assert utils.get_registered_name(Twice) == "Twice"


def test_progbar_honours_interactive_logging(capsys, caplog):
    assert utils.is_interactive_logging_enabled()
    utils.disable_interactive_logging()
    try:
        with caplog.at_level(logging.INFO, logger="hoarfrost"):
            bar = utils.Progbar(2, verbose=2)
            bar.update(2, values=[("loss", 0.5)])
        assert capsys.readouterr().out == ""
        assert "loss: 0.5000" in caplog.text
    finally:
        utils.enable_interactive_logging()
    utils.Progbar(2, verbose=2).update(2, values=[("loss", 0.5)])
    assert "loss: 0.5000" in capsys.readouterr().out


def test_to_categorical_dtypes_are_keras_s():
    """Keras's `to_categorical` fills `np.zeros` (float64) for NumPy or list labels and
    returns `one_hot` (float32) for a backend tensor."""
    import jax

    from hoarfrost.utils import to_categorical
    out = to_categorical(np.array([[0], [2]]), 3)
    assert out.dtype == np.float64 and out.shape == (2, 3)
    np.testing.assert_array_equal(out, [[1, 0, 0], [0, 0, 1]])
    assert to_categorical([1, 0]).dtype == np.float64
    on_device = to_categorical(jnp.array([1, 0]), 2)
    assert isinstance(on_device, jax.Array) and on_device.dtype == jnp.float32
    np.testing.assert_array_equal(np.asarray(on_device), [[0, 1], [1, 0]])
