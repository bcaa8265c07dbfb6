"""Keras's colour augmentations: each transform at fixed draws equals Keras's
(`transform_images` on recorded parameters), inference is identity where Keras's
is (AutoContrast applies in both modes), config keys are Keras's;
random draws are checked by their properties."""

import json

import jax
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hoarfrost import layers
from hoarfrost.layers import (AutoContrast, RandomColorDegeneration, RandomInvert,
                              RandomPosterization, Solarization)

from tests.layers.fixture_checks import config_keys_match
from tests.layers.harness import load

CASES = ["imgaug_solarization", "imgaug_solarization_unit", "imgaug_invert",
         "imgaug_posterization", "imgaug_auto_contrast", "imgaug_auto_contrast_unit",
         "imgaug_equalization", "imgaug_equalization_bins", "imgaug_color_degeneration",
         "imgaug_saturation", "imgaug_hue", "imgaug_sharpness"]


def replay(name, rtol=1e-5, atol=1e-4):
    data = load(name)
    layer = getattr(layers, str(data["class_name"]))(**json.loads(str(data["kwargs"])))
    params = {k[len("param_"):]: data[k] for k in data if k.startswith("param_")}
    images = data["images"]
    got = jax.jit(layer._transform)(images, params or None)
    np.testing.assert_allclose(np.asarray(got), data["transformed"], rtol=rtol, atol=atol,
                               err_msg=name)
    np.testing.assert_allclose(np.asarray(layer(images, training=False)), data["inference"],
                               rtol=rtol, atol=atol, err_msg=f"{name} inference")
    config_keys_match(layer, json.loads(str(data["config_keys"])))
    return layer, data


@pytest.mark.parametrize("name", CASES)
def test_transform_matches_keras(name):
    replay(name)


def test_training_draws_have_keras_ranges():
    x = np.linspace(0, 255, 2 * 4 * 4 * 3, dtype="float32").reshape(2, 4, 4, 3)
    # RandomInvert((1, 1)) always inverts; Solarization's defaults invert every pixel.
    np.testing.assert_allclose(np.asarray(RandomInvert((1.0, 1.0), seed=1)(x)), 255 - x)
    np.testing.assert_allclose(np.asarray(Solarization(seed=1)(x)), 255 - x, atol=1e-4)
    # Four bits kept: every value is a multiple of 16.
    out = np.asarray(RandomPosterization((4, 4), seed=0)(x))
    assert (out % 16 == 0).all()
    # factor 0: no degeneration.
    np.testing.assert_allclose(np.asarray(RandomColorDegeneration(0.0, seed=0)(x)), x)


@settings(max_examples=10, deadline=None)
@given(low=st.floats(0, 200), width=st.floats(1, 55))
def test_auto_contrast_stretches_to_the_full_range(low, width):
    x = (low + width * np.random.default_rng(0).random((1, 3, 3, 3))).astype("float32")
    out = np.asarray(AutoContrast()._transform(x, None))
    assert np.allclose(out.min(axis=(1, 2)), 0, atol=1e-3)
    assert np.allclose(out.max(axis=(1, 2)), 255, atol=1e-2)


def test_dict_inputs_and_unsupported_keys():
    x = np.ones((2, 3, 3, 3), "float32")
    out = RandomInvert()({"images": x, "labels": np.array([0, 1])})
    np.testing.assert_array_equal(np.asarray(out["labels"]), [0, 1])
    with pytest.raises(NotImplementedError, match="bounding_boxes"):
        RandomInvert()({"images": x, "bounding_boxes": {}})
