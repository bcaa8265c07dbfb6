"""MixUp, CutMix, RandomErasing, RandomGaussianBlur, RandomColorJitter, Pipeline:
transforms (and mixed labels) at fixed draws equal Keras's, inference is identity,
config keys are Keras's; the random draws are checked by their properties."""

import json

import jax
import numpy as np
import pytest

from hoarfrost import layers
from hoarfrost.layers import (CutMix, MixUp, Pipeline, RandomColorJitter, RandomErasing,
                              RandomGaussianBlur, RandomInvert)

from tests.layers.fixture_checks import config_keys_match
from tests.layers.harness import load
from tests.layers.test_image_augmentation import replay


@pytest.mark.parametrize("name", ["imgaug_mix_up", "imgaug_cut_mix", "imgaug_erasing",
                                  "imgaug_gaussian_blur"])
def test_transform_matches_keras(name):
    layer, data = replay(name)
    if "labels" in data:
        params = {k[len("param_"):]: data[k] for k in data if k.startswith("param_")}
        np.testing.assert_allclose(np.asarray(layer._transform_labels(data["labels"], params)),
                                   data["transformed_labels"], rtol=1e-6)


def test_color_jitter_and_pipeline_inference_and_config():
    data = load("imgaug_color_jitter")
    jitter = RandomColorJitter(**json.loads(str(data["kwargs"])))
    np.testing.assert_allclose(np.asarray(jitter(data["images"], training=False)),
                               data["inference"])
    config_keys_match(jitter, json.loads(str(data["config_keys"])))
    data = load("imgaug_pipeline")
    pipeline = Pipeline([RandomInvert(), layers.AutoContrast()])
    np.testing.assert_allclose(np.asarray(pipeline(data["images"], training=False)),
                               data["inference"], rtol=1e-5, atol=1e-4)
    assert sorted(pipeline.get_config()) == json.loads(str(data["config_keys"]))
    clone = Pipeline.from_config(json.loads(json.dumps(pipeline.get_config())))
    assert [type(x) for x in clone.layers] == [RandomInvert, layers.AutoContrast]


def test_mixing_draws_keep_labels_convex_and_images_in_the_batch():
    rng = np.random.default_rng(0)
    x = rng.random((4, 6, 6, 3)).astype("float32")
    y = np.eye(4, dtype="float32")
    mix_up, cut_mix = MixUp(seed=1), CutMix(seed=2)
    # One compilation for both (the Beta draws are slow to compile).
    outs = jax.jit(lambda d: [mix_up(d, training=True), cut_mix(d, training=True)])(
        {"images": x, "labels": y})
    for out in outs:
        labels = np.asarray(out["labels"])
        np.testing.assert_allclose(labels.sum(axis=1), 1.0, rtol=1e-5)
        assert (labels >= -1e-6).all()
    # CutMix pastes whole pixels of other images: each output pixel is one of the batch's.
    pasted = np.asarray(outs[1]["images"])
    assert all(any(np.array_equal(pasted[i, r, c], x[j, r, c]) for j in range(4))
               for i in range(4) for r in range(6) for c in range(6))
    # MixUp: convex combinations of two images stay within the batch's range.
    assert x.min() - 1e-6 <= np.asarray(outs[0]["images"]).min()
    np.testing.assert_array_equal(np.asarray(mix_up(x, training=False)), x)


def test_erasing_and_blur_draws():
    x = np.full((3, 6, 6, 3), 100.0, "float32")
    erase_all = RandomErasing(factor=(1.0, 1.0), fill_value=0.0, seed=0)
    erase_none = RandomErasing(factor=(0.0, 0.0))
    blur = RandomGaussianBlur(factor=(1.0, 1.0), seed=0)
    erased, kept, blurred = (np.asarray(o) for o in jax.jit(lambda v: [
        erase_all(v, training=True), erase_none(v, training=True), blur(v, training=True)])(x))
    assert set(np.unique(erased)) <= {0.0, 100.0} and (erased == 0).any(axis=(1, 2, 3)).all()
    np.testing.assert_array_equal(kept, x)
    # A constant image stays constant under any Gaussian blur (away from the border).
    np.testing.assert_allclose(blurred[:, 2:4, 2:4], 100.0, rtol=1e-5)
    with pytest.raises(ValueError, match="odd"):
        RandomGaussianBlur(kernel_size=4)
