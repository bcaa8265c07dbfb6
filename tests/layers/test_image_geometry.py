"""RandomShear and RandomPerspective: warps at fixed draws equal Keras's, inference is
identity, config keys are Keras's; a zero draw leaves images unchanged."""

import jax
import numpy as np
import pytest

from hoarfrost.layers import RandomPerspective, RandomShear

from tests.layers.test_image_augmentation import replay


@pytest.mark.parametrize("name", ["imgaug_shear", "imgaug_shear_constant_nearest",
                                  "imgaug_perspective"])
def test_transform_matches_keras(name):
    replay(name, atol=1e-3)


def test_zero_draws_are_identity():
    x = np.random.default_rng(0).random((2, 5, 6, 3)).astype("float32")
    shear, perspective = RandomShear(seed=0), RandomPerspective(scale=0.0, seed=0)
    outs = jax.jit(lambda v: [shear(v, training=True), perspective(v, training=True)])(x)
    for out in outs:
        np.testing.assert_allclose(np.asarray(out), x, atol=1e-5)
    with pytest.raises(NotImplementedError, match="fill_mode"):
        RandomShear(fill_mode="mirror")

