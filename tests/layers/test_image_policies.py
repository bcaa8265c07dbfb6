"""RandAugment and AugMix: Keras's config keys, identity in inference; the training
path's picks and mixing checked by properties."""

import json

import jax
import numpy as np

from hoarfrost.layers import AugMix, RandAugment, RandomInvert

from tests.layers.fixture_checks import config_keys_match
from tests.layers.harness import load


def test_config_and_inference_match_keras():
    for cls, name in ((RandAugment, "imgaug_rand_augment"), (AugMix, "imgaug_aug_mix")):
        data = load(name)
        layer = cls(**json.loads(str(data["kwargs"])), seed=0)
        np.testing.assert_array_equal(np.asarray(layer(data["images"], training=False)),
                                      data["inference"])
        config_keys_match(layer, json.loads(str(data["config_keys"])))


def test_rand_augment_training_stays_in_range():
    data = load("imgaug_rand_augment")
    layer = RandAugment(num_ops=1, factor=0.3, value_range=(0, 1), seed=0)
    out = np.asarray(jax.jit(lambda v: layer(v, training=True))(data["images"][:1, :4, :4]))
    assert out.shape == (1, 4, 4, 3) and (out >= 0).all() and (out <= 1 + 1e-6).all()


def test_aug_mix_mixes_chains_convexly():
    # With one augmentation (inversion) every chain gives x or 255 - x, so the output is
    # a convex mix of the two: x + t * (255 - 2x) with t in [0, 1], the same t everywhere.
    layer = AugMix(num_chains=3, chain_depth=2, all_ops=False, seed=4)
    object.__setattr__(layer, "_steps", [RandomInvert((1.0, 1.0))])
    x = np.random.default_rng(0).uniform(0, 100, (2, 3, 3, 3)).astype("float32")
    out = np.asarray(jax.jit(lambda v: layer(v, training=True))(x))
    t = (out - x) / (255 - 2 * x)
    assert (t >= -1e-5).all() and (t <= 1 + 1e-5).all()
    np.testing.assert_allclose(t, t.flat[0], atol=1e-4)
