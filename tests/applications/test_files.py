"""weights="imagenet": hoarfrost's cache, Keras's cache, a download, or a clear error.

The ImageNet files themselves are not used (tens of MB, and no network here): a
stand-in file (a small model's weights, under Keras's file name) plays their part,
accepted by its own hash where Keras publishes one.
"""

from __future__ import annotations

import hashlib
import os
import warnings

import numpy as np
import pytest

import hoarfrost
from hoarfrost.applications import (EfficientNetB0, MobileNetV2, WeightsUnavailableError,
                                    efficientnet)
from hoarfrost.applications._files import get_pretrained_file

from tests.applications.test_applications import load_fixture, recipe_weight

MOBILENET_FILE = "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.35_224_no_top.h5"
SMALL_MOBILENET = {"alpha": 0.35, "include_top": False, "input_shape": (32, 32, 3)}


@pytest.fixture
def caches(tmp_path, monkeypatch):
    """Empty hoarfrost and Keras caches, and a download origin with nothing in it."""
    monkeypatch.setenv("HOARFROST_HOME", str(tmp_path / "hoarfrost"))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.setenv("HOARFROST_WEIGHTS_ORIGIN", (tmp_path / "origin").as_uri())
    for name in ("hoarfrost/models", "keras/models", "origin"):
        (tmp_path / name).mkdir(parents=True)
    return tmp_path


def _stand_in(path, constructor=MobileNetV2, **kwargs):
    """Save a model with recipe weights (hoarfrost's format) as `path`; return them."""
    model = constructor(weights=None, **kwargs)
    values = [recipe_weight(w.path, w.shape, w.dtype) for w in model.weights]
    model.set_weights(values)
    saved = path.parent / "stand_in.weights.safetensors"
    model.save_weights(saved)
    os.replace(saved, path)
    hoarfrost.backend.clear_session()
    return values


def _pretrained_mobilenet():
    with warnings.catch_warnings():  # 32x32 is not a pretrained size: Keras loads the 224 file
        warnings.simplefilter("ignore")
        return MobileNetV2(weights="imagenet", **SMALL_MOBILENET)


@pytest.mark.parametrize("cache", ["hoarfrost", "keras"])
def test_imagenet_weights_come_from_either_cache(caches, cache):
    values = _stand_in(caches / cache / "models" / MOBILENET_FILE, **SMALL_MOBILENET)
    with pytest.warns(UserWarning, match="Weights for input shape \\(224, 224\\)"):
        model = MobileNetV2(weights="imagenet", **SMALL_MOBILENET)
    assert model.name == "mobilenetv2_0.35_224"  # Keras names it after the file's size
    for ours, expected in zip(model.get_weights(), values):
        np.testing.assert_array_equal(ours, expected)


def test_imagenet_weights_offline_error_names_file_url_and_folders(caches):
    with pytest.raises(WeightsUnavailableError) as error:
        _pretrained_mobilenet()
    message = str(error.value)
    assert MOBILENET_FILE in message
    assert ("https://storage.googleapis.com/tensorflow/keras-applications/mobilenet_v2/"
            + MOBILENET_FILE) in message
    assert str(caches / "hoarfrost" / "models") in message
    assert str(caches / "keras" / "models") in message


def test_download_checks_the_hash_and_keeps_no_partial_file(caches):
    (caches / "origin" / "file.h5").write_bytes(b"weights")
    good = hashlib.md5(b"weights").hexdigest()
    with pytest.raises(WeightsUnavailableError, match=f"MD5 mismatch: expected {'0' * 32}"):
        get_pretrained_file("file.h5", "https://example.invalid/file.h5", "0" * 32)
    assert list((caches / "hoarfrost" / "models").iterdir()) == []
    path = get_pretrained_file("file.h5", "https://example.invalid/file.h5", good)
    assert path == str(caches / "hoarfrost" / "models" / "file.h5")
    sha256 = hashlib.sha256(b"weights").hexdigest()  # a 64-digit hash is SHA-256, as in Keras
    assert get_pretrained_file("file.h5", "https://example.invalid/file.h5", sha256) == path


def test_a_cached_file_with_the_wrong_hash_is_replaced_by_a_download(caches):
    (caches / "keras" / "models" / "file.h5").write_bytes(b"truncated")
    (caches / "origin" / "file.h5").write_bytes(b"weights")
    path = get_pretrained_file("file.h5", "https://example.invalid/file.h5",
                               hashlib.md5(b"weights").hexdigest())
    assert open(path, "rb").read() == b"weights"
    assert (caches / "keras" / "models" / "file.h5").read_bytes() == b"truncated"


def test_weights_argument_and_imagenet_classes_are_checked(caches):
    with pytest.raises(ValueError, match="weights='imagenett'"):
        MobileNetV2(weights="imagenett", **SMALL_MOBILENET)
    with pytest.raises(ValueError, match="`classes` should be 1000. Received classes=10"):
        MobileNetV2(weights="imagenet", classes=10)
    with pytest.raises(ValueError, match="alpha must be one of"):
        MobileNetV2(weights="imagenet", alpha=0.6, include_top=False)


def test_unknown_image_size_is_refused_with_the_fix():
    with pytest.raises(ValueError, match=r"pass input_shape=\(rows, cols, 3\).*\(None, None, 3\)"):
        hoarfrost.applications.ResNet50(include_top=False, weights=None)


def test_weights_path_loads_that_file(caches):
    path = caches / "mine.weights.safetensors"
    values = _stand_in(path, **SMALL_MOBILENET)
    model = MobileNetV2(weights=str(path), **SMALL_MOBILENET)
    for ours, expected in zip(model.get_weights(), values):
        np.testing.assert_array_equal(ours, expected)


def test_efficientnet_imagenet_layout_equals_keras(caches, monkeypatch):
    """With ImageNet weights Keras adds a Rescaling by 1/sqrt(stddev) after the
    Normalization; the stem's output equals Keras's with that layout."""
    keras = load_fixture("efficientnetb0_imagenet_layout")
    path = caches / "hoarfrost" / "models" / "efficientnetb0_notop.h5"
    _stand_in(path, EfficientNetB0, include_top=False, input_shape=(32, 32, 3))
    digest = hashlib.md5(path.read_bytes()).hexdigest()
    monkeypatch.setitem(efficientnet.WEIGHTS_HASHES, "b0", ("unused", digest))
    model = EfficientNetB0(weights="imagenet", include_top=False, input_shape=(32, 32, 3))
    assert [layer.name for layer in model.layers][:5] == keras["layer_names"][:5]
    assert sorted(layer.name for layer in model.layers) == sorted(keras["layer_names"])
    stem = hoarfrost.Model(model.input, model.get_layer("stem_activation").output)
    np.testing.assert_allclose(stem.predict(keras["x"], verbose=0),
                               keras["tap_stem_activation"], rtol=1e-4, atol=1e-5)
