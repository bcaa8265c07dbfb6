"""Permute, RepeatVector, ZeroPadding2D, Cropping2D and UpSampling2D, against Keras."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hoarfrost import Input, layers
from hoarfrost.layers.reshaping import (Cropping2D, Permute, RepeatVector, UpSampling2D,
                                        ZeroPadding2D)
from hoarfrost.models import Sequential

from tests.layers.harness import check_keras_fixture, run_layer_test


@pytest.mark.parametrize("cls,kwargs,input_shape,output_shape", [
    (Permute, {"dims": (2, 1)}, (2, 3, 4), (2, 4, 3)),
    (Permute, {"dims": (3, 1, 2)}, (2, 3, 4, 5), (2, 5, 3, 4)),
    (RepeatVector, {"n": 3}, (2, 4), (2, 3, 4)),
    (ZeroPadding2D, {}, (2, 3, 4, 2), (2, 5, 6, 2)),
    (ZeroPadding2D, {"padding": ((1, 0), (2, 3)), "data_format": "channels_first"},
     (2, 2, 3, 4), (2, 2, 4, 9)),
    (Cropping2D, {"cropping": ((1, 0), (1, 2))}, (2, 4, 5, 3), (2, 3, 2, 3)),
    (Cropping2D, {"cropping": 1, "data_format": "channels_first"}, (2, 3, 4, 5), (2, 3, 2, 3)),
    (UpSampling2D, {}, (2, 3, 4, 2), (2, 6, 8, 2)),
    (UpSampling2D, {"size": (1, 3), "interpolation": "bilinear"}, (2, 3, 4, 2), (2, 3, 12, 2)),
    (UpSampling2D, {"size": 2, "data_format": "channels_first"}, (2, 2, 3, 4), (2, 2, 6, 8)),
])
def test_harness(cls, kwargs, input_shape, output_shape):
    run_layer_test(cls, kwargs, input_shape, output_shape, 0, train=False)


@pytest.mark.parametrize("name,cls", [
    ("reshape_permute", Permute), ("reshape_repeat_vector", RepeatVector),
    ("reshape_zero_padding2d", ZeroPadding2D), ("reshape_zero_padding2d_cf", ZeroPadding2D),
    ("reshape_cropping2d", Cropping2D), ("reshape_cropping2d_cf", Cropping2D),
    ("reshape_upsampling2d_nearest", UpSampling2D)])
def test_matches_keras_exactly(name, cls):
    check_keras_fixture(name, cls=cls, rtol=0, atol=0)


@pytest.mark.parametrize("interpolation", ["bilinear", "bicubic", "lanczos3", "bilinear_cf"])
def test_interpolating_upsampling_matches_keras(interpolation):
    """Both call jax.image.resize without antialiasing: equal up to float rounding."""
    check_keras_fixture(f"reshape_upsampling2d_{interpolation}", cls=UpSampling2D,
                        rtol=1e-6, atol=1e-6)


def test_bilinear_upsampling_uses_half_pixel_centres():
    x = np.array([0.0, 1.0], np.float32).reshape(1, 1, 2, 1)
    out = np.asarray(UpSampling2D((1, 2), interpolation="bilinear")(x)).ravel()
    np.testing.assert_allclose(out, [0.0, 0.25, 0.75, 1.0])


@settings(max_examples=12, deadline=None)
@given(rows=st.integers(1, 4), cols=st.integers(1, 4), pad=st.tuples(*[st.integers(0, 2)] * 4),
       first=st.booleans())
def test_padding_then_cropping_round_trips(rows, cols, pad, first):
    data_format = "channels_first" if first else "channels_last"
    shape = (2, 3, rows, cols) if first else (2, rows, cols, 3)
    x = np.random.default_rng(rows * 7 + cols).normal(size=shape).astype("float32")
    spec = ((pad[0], pad[1]), (pad[2], pad[3]))
    padded = ZeroPadding2D(spec, data_format=data_format)(x)
    sizes = (rows + pad[0] + pad[1], cols + pad[2] + pad[3])
    axes = (2, 3) if first else (1, 2)
    assert tuple(padded.shape[a] for a in axes) == sizes
    assert float(np.abs(np.asarray(padded)).sum()) == pytest.approx(float(np.abs(x).sum()),
                                                                     rel=1e-5)
    cropped = Cropping2D(spec, data_format=data_format)(padded)
    np.testing.assert_array_equal(np.asarray(cropped), x)
    symbolic = ZeroPadding2D(spec, data_format=data_format)(Input(shape[1:]))
    assert symbolic.shape == (None,) + tuple(padded.shape[1:])


@settings(max_examples=12, deadline=None)
@given(size=st.tuples(st.integers(1, 3), st.integers(1, 3)), rows=st.integers(1, 3),
       cols=st.integers(1, 3))
def test_nearest_upsampling_repeats_rows_and_columns(size, rows, cols):
    x = np.arange(rows * cols * 2, dtype=np.float32).reshape(1, rows, cols, 2)
    out = np.asarray(UpSampling2D(size)(x))
    np.testing.assert_array_equal(out, x.repeat(size[0], axis=1).repeat(size[1], axis=2))


def test_configs_take_json_lists_and_normalize_like_keras():
    assert ZeroPadding2D(2).padding == ((2, 2), (2, 2))
    assert ZeroPadding2D((1, 2)).padding == ((1, 1), (2, 2))
    assert ZeroPadding2D([[1, 0], [2, 3]]).get_config()["padding"] == ((1, 0), (2, 3))
    assert Cropping2D().cropping == ((0, 0), (0, 0))
    assert UpSampling2D(3).size == (3, 3)
    assert UpSampling2D(interpolation="BILINEAR").interpolation == "bilinear"
    assert Permute([2, 1]).dims == (2, 1)
    assert ZeroPadding2D().data_format == "channels_last"


def test_bad_arguments_and_inputs_name_the_layer():
    with pytest.raises(ValueError, match="dims"):
        Permute((1, 3))
    with pytest.raises(ValueError, match=r'"perm".*expected ndim=3'):
        Permute((2, 1), name="perm")(np.ones((2, 3), np.float32))
    with pytest.raises(TypeError, match="integer"):
        RepeatVector(2.0)
    with pytest.raises(ValueError, match="positive"):
        RepeatVector(0)
    with pytest.raises(ValueError, match=r'"crop".*smaller than the spatial size'):
        Cropping2D(((2, 2), (0, 0)), name="crop")(np.ones((1, 4, 4, 1), np.float32))
    with pytest.raises(ValueError, match=r'"crop2".*smaller'):
        Cropping2D(3, name="crop2")(Input((4, 8, 1)))
    # Unknown spatial sizes are not checked (nor taken as too small).
    assert Cropping2D(3)(Input((None, 8, 1))).shape == (None, None, 2, 1)
    with pytest.raises(ValueError, match="padding"):
        ZeroPadding2D(((1, 2, 3), (1, 1)))
    with pytest.raises(ValueError, match="padding"):
        ZeroPadding2D(-1)
    with pytest.raises(ValueError, match="interpolation"):
        UpSampling2D(interpolation="area")
    with pytest.raises(ValueError, match="data_format"):
        UpSampling2D(data_format="NHWC")


def test_image_layers_in_a_trained_model():
    model = Sequential([Input((4, 4, 1)), ZeroPadding2D(1), Cropping2D(((0, 1), (1, 0))),
                        UpSampling2D(2, interpolation="bilinear"), Permute((3, 1, 2)),
                        layers.Flatten(), layers.Dense(3), RepeatVector(2), layers.Flatten(),
                        layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    rng = np.random.default_rng(0)
    x = rng.normal(size=(8, 4, 4, 1)).astype("float32")
    y = rng.normal(size=(8, 1)).astype("float32")
    history = model.fit(x, y, epochs=2, batch_size=4, verbose=0)
    assert np.all(np.isfinite(history.history["loss"]))
    assert model.predict(x, verbose=0).shape == (8, 1)
