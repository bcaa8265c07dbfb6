"""Xception at Keras's default size (299x299) and its ImageNet file; small-size
architecture and outputs are checked in test_applications.py."""

from __future__ import annotations

import pytest

from hoarfrost.applications import Xception

from tests.applications.default_size import check_against_keras, check_offline_error

# From Keras 3 (KERAS_BACKEND=jax, weights=None, input_shape=(299, 299, 3)):
# include_top, count_params, trainable parameters, layers, sorted-names hash.
KERAS = [(True, 22910480, 22855952, 134, "910ebb8ce715ac88"),
         (False, 20861480, 20806952, 132, "d930087f2775383a")]
URL = ("https://storage.googleapis.com/tensorflow/keras-applications/xception/"
       "xception_weights_tf_dim_ordering_tf_kernels_notop.h5")  # Keras's WEIGHTS_PATH_NO_TOP


@pytest.mark.parametrize("include_top, count, trainable, n_layers, names_hash", KERAS)
def test_counts_and_layer_names_equal_keras(include_top, count, trainable, n_layers,
                                            names_hash):
    check_against_keras(Xception, (299, 299, 3), include_top, count, trainable, n_layers,
                        names_hash, "xception")


def test_imagenet_offline_names_keras_file(tmp_path, monkeypatch):
    check_offline_error(tmp_path, monkeypatch,
                        lambda: Xception(weights="imagenet", include_top=False,
                                         input_shape=(71, 71, 3)), URL)
