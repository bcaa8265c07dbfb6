"""DenseNet121/169/201 at Keras's default size (224x224) and their ImageNet files;
small-size architecture and outputs are checked in test_applications.py."""

from __future__ import annotations

import pytest

from hoarfrost.applications import DenseNet121, DenseNet169, DenseNet201

from tests.applications.default_size import check_against_keras, check_offline_error

# From Keras 3 (KERAS_BACKEND=jax, weights=None, input_shape=(224, 224, 3)): constructor,
# include_top, count_params, trainable parameters, layers, sorted-names hash, name.
KERAS = [
    (DenseNet121, True, 8062504, 7978856, 429, "a50e376549ebb5af", "densenet121"),
    (DenseNet121, False, 7037504, 6953856, 427, "038ddf5169612e15", "densenet121"),
    (DenseNet169, True, 14307880, 14149480, 597, "939f7e5695e80223", "densenet169"),
    (DenseNet169, False, 12642880, 12484480, 595, "d3d3d9e9321f5a14", "densenet169"),
    (DenseNet201, True, 20242984, 20013928, 709, "5c32c0627622bfb8", "densenet201"),
    (DenseNet201, False, 18321984, 18092928, 707, "1a83dffc3f0547ff", "densenet201"),
]
URL = ("https://storage.googleapis.com/tensorflow/keras-applications/densenet/"
       "densenet169_weights_tf_dim_ordering_tf_kernels_notop.h5")  # Keras's DENSENET169_...


@pytest.mark.parametrize("constructor, include_top, count, trainable, n_layers, names_hash, "
                         "name", KERAS)
def test_counts_and_layer_names_equal_keras(constructor, include_top, count, trainable,
                                            n_layers, names_hash, name):
    check_against_keras(constructor, (224, 224, 3), include_top, count, trainable, n_layers,
                        names_hash, name)


def test_imagenet_offline_names_keras_file(tmp_path, monkeypatch):
    check_offline_error(tmp_path, monkeypatch,
                        lambda: DenseNet169(weights="imagenet", include_top=False,
                                            input_shape=(32, 32, 3)), URL)
