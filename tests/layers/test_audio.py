"""STFTSpectrogram (Keras's STFT kernels as initialized, every mode, padding, window,
scaling, channels_first, expand_dims) and MelSpectrogram: Keras's outputs, weights
and config keys."""

import numpy as np
import pytest

from hoarfrost import Input
from hoarfrost.layers import MelSpectrogram, STFTSpectrogram

from tests.layers.fixture_checks import check_breadth_fixture
from tests.layers.harness import load


@pytest.mark.parametrize("name", ["b2_stft_log", "b2_stft_magnitude_same_step",
                                  "b2_stft_psd_expand", "b2_stft_stft_first", "b2_stft_angle"])
def test_stft_matches_keras_with_its_own_kernels(name):
    data = load(name)
    layer = STFTSpectrogram(**__import__("json").loads(str(data["kwargs"])))
    layer(data["input_0"])
    for w, i in zip(layer.weights, range(int(data["num_weights"]))):
        np.testing.assert_allclose(w.numpy(), data[f"weight_{i}"], rtol=1e-5, atol=1e-6)
    check_breadth_fixture(name, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("name", ["b2_mel", "b2_mel_power_no_db"])
def test_mel_matches_keras(name):
    check_breadth_fixture(name, rtol=1e-4, atol=1e-3)


def test_shapes_and_errors():
    assert STFTSpectrogram(frame_length=8)(Input((40, 2))).shape == (None, 9, 10)
    assert MelSpectrogram(fft_length=64, sequence_stride=16, num_mel_bins=10)(
        Input((300,))).shape == (None, 10, 19)
    with pytest.raises(ValueError, match="mode"):
        STFTSpectrogram(mode="power")
    with pytest.raises(ValueError, match="fft_length"):
        MelSpectrogram(fft_length=32, sequence_length=64)
