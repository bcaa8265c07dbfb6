"""Keras-written `.keras` files with the breadth layers (ConvLSTM2D, SpectralNormalization,
adaptive pooling, ReversibleEmbedding, GroupQueryAttention, ActivityRegularization, the 3D
reshaping layers, SpatialDropout3D, the image augmentations, STFTSpectrogram) load in
hoarfrost by their Keras names and predict what Keras predicted."""

import numpy as np
import pytest

from hoarfrost.saving import load_model

from tests.layers.harness import FIXTURES, load


@pytest.mark.parametrize("name", ["conv", "text", "volume", "augment", "audio"])
def test_keras_file_loads_and_predicts_as_keras(name):
    data = load("b2_files_predictions")
    model = load_model(FIXTURES / f"b2_file_{name}.keras")
    got = model.predict(data[f"input_{name}"], verbose=0)
    np.testing.assert_allclose(np.asarray(got), data[f"output_{name}"], rtol=1e-4, atol=1e-4)
