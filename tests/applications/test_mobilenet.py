"""MobileNet (v1) at Keras's default size (224x224) and its ImageNet file; small-size
architecture and outputs are checked in test_applications.py."""

from __future__ import annotations

import pytest

from hoarfrost.applications import MobileNet

from tests.applications.default_size import check_against_keras, check_offline_error

# From Keras 3 (KERAS_BACKEND=jax, weights=None, input_shape=(224, 224, 3)):
# include_top, count_params, trainable parameters, layers, sorted-names hash.
KERAS = [(True, 4253864, 4231976, 91, "30253e27793da98d"),
         (False, 3228864, 3206976, 86, "8fccfaf5ebc4be31")]
# Keras's BASE_WEIGHT_PATH + "mobilenet_{alpha}_{rows}_tf_no_top.h5".
URL = ("https://storage.googleapis.com/tensorflow/keras-applications/mobilenet/"
       "mobilenet_5_0_128_tf_no_top.h5")


@pytest.mark.parametrize("include_top, count, trainable, n_layers, names_hash", KERAS)
def test_counts_and_layer_names_equal_keras(include_top, count, trainable, n_layers,
                                            names_hash):
    check_against_keras(MobileNet, (224, 224, 3), include_top, count, trainable, n_layers,
                        names_hash, "mobilenet_1.00_224")


def test_imagenet_offline_names_keras_file(tmp_path, monkeypatch):
    check_offline_error(tmp_path, monkeypatch,
                        lambda: MobileNet(weights="imagenet", include_top=False, alpha=0.5,
                                          input_shape=(128, 128, 3)), URL)
