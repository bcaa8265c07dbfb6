"""preprocess_input and decode_predictions, equal to Keras's."""

from __future__ import annotations

import hashlib
import json

import jax.numpy as jnp
import numpy as np
import pytest

import hoarfrost
from hoarfrost.applications import (WeightsUnavailableError, efficientnet, imagenet_utils,
                                    mobilenet_v2, resnet, resnet50, resnet_v2, vgg16, vgg19)

from tests.applications.test_applications import FIXTURES

MODES = [(mode, fmt) for mode in ("caffe", "tf", "torch")
         for fmt in ("channels_last", "channels_first")]


@pytest.fixture(scope="module")
def keras_preprocess():
    return dict(np.load(FIXTURES / "preprocess_input.npz"))


def _images(fixture, data_format):
    images = fixture["images"]
    return images if data_format == "channels_last" else images.transpose(0, 3, 1, 2).copy()


@pytest.mark.parametrize("mode, data_format", MODES)
def test_preprocess_numpy_equals_keras_and_writes_over_float_input(keras_preprocess, mode,
                                                                   data_format):
    key = f"{mode}_{data_format}"
    x = _images(keras_preprocess, data_format)
    written = x.copy()
    out = imagenet_utils.preprocess_input(written, data_format, mode)
    np.testing.assert_allclose(out, keras_preprocess[f"{key}_numpy"], rtol=1e-6)
    # Keras writes over a float array (code that ignores the return value relies on it).
    np.testing.assert_allclose(written, keras_preprocess[f"{key}_overwritten"], rtol=1e-6)
    np.testing.assert_allclose(imagenet_utils.preprocess_input(x[0].copy(), data_format, mode),
                               keras_preprocess[f"{key}_numpy3d"], rtol=1e-6)
    tensor = imagenet_utils.preprocess_input(jnp.asarray(x), data_format, mode)
    np.testing.assert_allclose(tensor, keras_preprocess[f"{key}_tensor"], rtol=1e-6)


def test_preprocess_integer_numpy_input_is_converted_not_written(keras_preprocess):
    pixels = keras_preprocess["images"].astype(np.uint8)
    out = imagenet_utils.preprocess_input(pixels, mode="tf")
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, keras_preprocess["tf_channels_last_numpy"], rtol=1e-6)
    np.testing.assert_array_equal(pixels, keras_preprocess["images"].astype(np.uint8))


def test_family_preprocessing_modes(keras_preprocess):
    x = keras_preprocess["images"]
    caffe, tf = (keras_preprocess[f"{m}_channels_last_numpy"] for m in ("caffe", "tf"))
    for module, expected in [(resnet, caffe), (resnet50, caffe), (vgg16, caffe), (vgg19, caffe),
                             (resnet_v2, tf), (mobilenet_v2, tf)]:
        np.testing.assert_allclose(module.preprocess_input(x.copy()), expected, rtol=1e-6,
                                   err_msg=module.__name__)
    assert efficientnet.preprocess_input(x) is x  # the model preprocesses inside


def test_preprocess_inside_a_functional_model(keras_preprocess):
    """On a symbolic tensor it records graph operations (as `keras.ops` would)."""
    inputs = hoarfrost.Input((4, 5, 3))
    model = hoarfrost.Model(inputs, resnet.preprocess_input(inputs))
    out = model.predict(keras_preprocess["images"], verbose=0)
    np.testing.assert_allclose(out, keras_preprocess["caffe_channels_last_numpy"], rtol=1e-6)


def test_preprocess_rejects_unknown_mode_and_format():
    with pytest.raises(ValueError, match="mode='bgr'"):
        imagenet_utils.preprocess_input(np.zeros((1, 2, 2, 3)), mode="bgr")
    with pytest.raises(ValueError, match="data_format='nhwc'"):
        imagenet_utils.preprocess_input(np.zeros((1, 2, 2, 3)), data_format="nhwc")


@pytest.fixture
def class_index(tmp_path, monkeypatch):
    """A stand-in class index in hoarfrost's cache, accepted by its hash."""
    monkeypatch.setenv("HOARFROST_HOME", str(tmp_path / "hoarfrost"))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.setenv("HOARFROST_WEIGHTS_ORIGIN", (tmp_path / "offline").as_uri())
    monkeypatch.setattr(imagenet_utils, "CLASS_INDEX", None)
    index = {str(i): [f"n{i:08d}", f"class_{i}"] for i in range(1000)}
    path = tmp_path / "hoarfrost" / "models" / "imagenet_class_index.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(index))
    monkeypatch.setattr(imagenet_utils, "CLASS_INDEX_HASH",
                        hashlib.md5(path.read_bytes()).hexdigest())
    return path


def test_decode_predictions(class_index):
    preds = np.zeros((2, 1000), np.float32)
    preds[0, [3, 7, 999]] = [0.2, 0.5, 0.3]
    preds[1, 42] = 1.0
    decoded = resnet50.decode_predictions(preds, top=3)
    assert decoded[0] == [("n00000007", "class_7", np.float32(0.5)),
                          ("n00000999", "class_999", np.float32(0.3)),
                          ("n00000003", "class_3", np.float32(0.2))]
    assert decoded[1][0] == ("n00000042", "class_42", np.float32(1.0))
    assert len(decoded[1]) == 3
    with pytest.raises(ValueError, match=r"\(samples, 1000\).*\(2, 10\)"):
        imagenet_utils.decode_predictions(np.zeros((2, 10)))


def test_decode_predictions_offline_says_which_file_to_put_where(class_index, monkeypatch):
    monkeypatch.setattr(imagenet_utils, "CLASS_INDEX_HASH", "0" * 32)  # the cached file is wrong
    with pytest.raises(WeightsUnavailableError) as error:
        imagenet_utils.decode_predictions(np.zeros((1, 1000)))
    message = str(error.value)
    assert "imagenet_class_index.json" in message
    assert imagenet_utils.CLASS_INDEX_PATH in message
    assert str(class_index.parent) in message  # where to put it
    assert "does not match" in message  # and why the cached copy was skipped
