"""Layer names as Keras 3 makes them (`conv2d`, not `conv2_d`), unique per session."""

import pytest

from hoarfrost import layers
from hoarfrost.naming import to_snake_case


@pytest.mark.parametrize("cls, name", [
    ("Conv1D", "conv1d"), ("Conv2D", "conv2d"), ("Conv2DTranspose", "conv2d_transpose"),
    ("MaxPooling1D", "max_pooling1d"), ("GlobalMaxPooling1D", "global_max_pooling1d"),
    ("UpSampling2D", "up_sampling2d"), ("SpatialDropout2D", "spatial_dropout2d"),
    ("SimpleRNN", "simple_rnn"), ("ReLU", "re_lu"), ("GRU", "gru"),
    ("MultiHeadAttention", "multi_head_attention"), ("RandomFlip", "random_flip"),
])
def test_keras_snake_case(cls, name):
    # Keras 3's `naming.to_snake_case` gives these exact names.
    assert to_snake_case(cls) == name


def test_layers_are_named_like_keras_and_numbered():
    first, second = layers.Conv1D(2, 3), layers.Conv1D(2, 3)
    assert first.name.startswith("conv1d") and second.name.startswith("conv1d_")
    assert first.name != second.name
