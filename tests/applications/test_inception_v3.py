"""InceptionV3 at Keras's default size (299x299) and its ImageNet file; small-size
architecture and outputs are checked in test_applications.py."""

from __future__ import annotations

import pytest

from hoarfrost.applications import InceptionV3

from tests.applications.default_size import check_against_keras, check_offline_error

# From Keras 3 (KERAS_BACKEND=jax, weights=None, input_shape=(299, 299, 3)):
# include_top, count_params, trainable parameters, layers, sorted-names hash.
KERAS = [(True, 23851784, 23817352, 313, "424b701d90b94aa5"),
         (False, 21802784, 21768352, 311, "87af7d7e146e36a1")]
URL = ("https://storage.googleapis.com/tensorflow/keras-applications/inception_v3/"
       "inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5")  # Keras's WEIGHTS_PATH_NO_TOP


@pytest.mark.parametrize("include_top, count, trainable, n_layers, names_hash", KERAS)
def test_counts_and_layer_names_equal_keras(include_top, count, trainable, n_layers,
                                            names_hash):
    check_against_keras(InceptionV3, (299, 299, 3), include_top, count, trainable, n_layers,
                        names_hash, "inception_v3")


def test_imagenet_offline_names_keras_file(tmp_path, monkeypatch):
    check_offline_error(tmp_path, monkeypatch,
                        lambda: InceptionV3(weights="imagenet", include_top=False,
                                            input_shape=(75, 75, 3)), URL)
