"""Layer names as Keras 3 makes them (`conv2d`, not `conv2_d`), unique per session; name scopes."""

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


def test_name_scope_prefixes_the_paths_of_variables_created_inside():
    """As Keras 3 (JAX): `with keras.name_scope("foo")` makes `foo/dense/kernel` for a layer
    built inside, `foo/bar/w` for a Variable two scopes deep; a layer built outside keeps
    its plain path; a scope name with `/` is refused."""
    import hoarfrost as keras
    with keras.name_scope("foo"):
        dense = layers.Dense(2)
        dense.build((None, 3))
        assert keras.Variable(1.0, name="v").path == "foo/v"
        with keras.name_scope("bar"):
            assert keras.Variable(1.0, name="w").path == "foo/bar/w"
        with keras.name_scope("abs", override_parent="root/x"):
            assert keras.Variable(1.0, name="u").path == "root/x/abs/u"
    assert [w.path for w in dense.weights] == ["foo/dense/kernel", "foo/dense/bias"]
    assert dense.kernel.name == "foo/dense/kernel"  # the contract's rule 8: name is the path
    outside = layers.Dense(2)
    outside.build((None, 3))
    assert outside.kernel.path == "dense_1/kernel"
    caller = object()
    with keras.name_scope("same", caller=caller):
        with keras.name_scope("same", caller=caller):  # deduplicated: not nested twice
            assert keras.Variable(0.0, name="z").path == "same/z"
    with pytest.raises(ValueError, match="cannot contain character `/`"):
        keras.name_scope("a/b")
