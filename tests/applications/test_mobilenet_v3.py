"""MobileNetV3Small/Large at Keras's default size, and their ImageNet files.

Architecture and outputs at small sizes are checked against Keras's fixtures in
test_applications.py; here: parameter counts and layer names at 224x224 (what a
Keras user's program builds), the ImageNet file names and hashes, a local weights
path, and the module's pass-through `preprocess_input`.
"""

from __future__ import annotations

import hashlib
import os

import numpy as np
import pytest

import hoarfrost
from hoarfrost import layers
from hoarfrost.applications import (MobileNetV3Large, MobileNetV3Small, WeightsUnavailableError,
                                    mobilenet_v3)

from tests.applications.default_size import check_against_keras
from tests.applications.test_applications import recipe_weight

# From Keras 3 (KERAS_BACKEND=jax, weights=None, input_shape=(224, 224, 3)): constructor,
# include_top, count_params, trainable parameters, layers, sorted-names hash.
KERAS_224 = [
    (MobileNetV3Small, True, 2554968, 2542856, 164, "06646e1d1a22cc58"),
    (MobileNetV3Small, False, 939120, 927008, 157, "ecc86aa95861a59e"),
    (MobileNetV3Large, True, 5507432, 5483032, 194, "579da15ffcb7d6f1"),
    (MobileNetV3Large, False, 2996352, 2971952, 187, "6118363c595bc64a"),
]
SMALL_NOTOP = {"include_top": False, "input_shape": (32, 32, 3), "minimalistic": True}
SMALL_FILE = "weights_mobilenet_v3_small_minimalistic_224_1.0_float_no_top_v2.h5"


@pytest.mark.parametrize("constructor, include_top, count, trainable, n_layers, names_hash",
                         KERAS_224)
def test_counts_and_layer_names_at_keras_default_size(constructor, include_top, count,
                                                      trainable, n_layers, names_hash):
    check_against_keras(constructor, (224, 224, 3), include_top, count, trainable, n_layers,
                        names_hash, constructor.__name__)


@pytest.fixture
def caches(tmp_path, monkeypatch):
    """Empty hoarfrost and Keras caches, and a download origin with nothing in it."""
    monkeypatch.setenv("HOARFROST_HOME", str(tmp_path / "hoarfrost"))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.setenv("HOARFROST_WEIGHTS_ORIGIN", (tmp_path / "origin").as_uri())
    for name in ("hoarfrost/models", "keras/models", "origin"):
        (tmp_path / name).mkdir(parents=True)
    return tmp_path


def _stand_in(path):
    """Save a small model with recipe weights as `path`; return the values."""
    model = MobileNetV3Small(weights=None, **SMALL_NOTOP)
    values = [recipe_weight(w.path, w.shape, w.dtype) for w in model.weights]
    model.set_weights(values)
    saved = path.parent / "stand_in.weights.safetensors"
    model.save_weights(saved)
    os.replace(saved, path)
    hoarfrost.backend.clear_session()
    return values


def test_imagenet_offline_error_names_keras_file_and_url(caches):
    with pytest.raises(WeightsUnavailableError) as error, pytest.warns(UserWarning):
        MobileNetV3Small(weights="imagenet", **SMALL_NOTOP)
    assert mobilenet_v3.BASE_WEIGHT_PATH + SMALL_FILE in str(error.value)
    assert str(caches / "hoarfrost" / "models") in str(error.value)


def test_imagenet_file_from_the_cache_is_hash_checked_and_loaded(caches, monkeypatch):
    path = caches / "keras" / "models" / SMALL_FILE
    values = _stand_in(path)
    digest = hashlib.md5(path.read_bytes()).hexdigest()
    monkeypatch.setitem(mobilenet_v3.WEIGHTS_HASHES, "small_minimalistic_224_1.0_float",
                        ("unused", digest))
    with pytest.warns(UserWarning, match="Weights for input shape \\(224, 224\\)"):
        model = MobileNetV3Small(weights="imagenet", **SMALL_NOTOP)
    for ours, expected in zip(model.get_weights(), values):
        np.testing.assert_array_equal(ours, expected)


def test_weights_path_loads_that_file(caches):
    path = caches / "mine.weights.safetensors"
    values = _stand_in(path)
    model = MobileNetV3Small(weights=str(path), **SMALL_NOTOP)
    for ours, expected in zip(model.get_weights(), values):
        np.testing.assert_array_equal(ours, expected)


def test_arguments_are_checked_as_keras_does():
    with pytest.raises(ValueError, match="alpha can be one of `0.75`, `1.0`"):
        MobileNetV3Large(weights="imagenet", alpha=0.5, include_top=False)
    with pytest.raises(ValueError, match="`classes` should be 1000"):
        MobileNetV3Large(weights="imagenet", classes=10)
    with pytest.raises(ValueError, match="at least 32x32"):
        MobileNetV3Small(weights=None, input_shape=(31, 64, 3))
    with pytest.raises(ValueError, match=r"pass input_shape=\(rows, cols, 3\)"):
        MobileNetV3Small(weights=None)  # Keras builds at unknown sizes; hoarfrost asks


def test_preprocess_input_is_a_pass_through_and_the_model_rescales():
    x = np.arange(6, dtype="float32")
    assert mobilenet_v3.preprocess_input(x) is x
    model = MobileNetV3Small(weights=None, input_shape=(32, 32, 3), include_top=False)
    assert isinstance(model.layers[1], layers.Rescaling)
    assert (model.layers[1].scale, model.layers[1].offset) == (1.0 / 127.5, -1.0)
    plain = MobileNetV3Small(weights=None, input_shape=(32, 32, 3), include_top=False,
                             include_preprocessing=False)
    assert not any(isinstance(layer, layers.Rescaling) for layer in plain.layers)
