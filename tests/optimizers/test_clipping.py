"""Keras's clipping rules, including its edge cases."""

import jax.numpy as jnp
import numpy as np

from hoarfrost.optimizers import clipping


def test_clip_by_norm_scales_long_gradients_and_keeps_zero_ones():
    np.testing.assert_allclose(clipping.clip_by_norm(jnp.asarray([3.0, 4.0]), 1.0), [0.6, 0.8])
    np.testing.assert_array_equal(clipping.clip_by_norm(jnp.asarray([0.3, 0.4]), 1.0),
                                  np.float32([0.3, 0.4]))
    np.testing.assert_array_equal(clipping.clip_by_norm(jnp.zeros(2), 1.0), [0.0, 0.0])


def test_clip_by_global_norm_scales_together_and_propagates_non_finite():
    a, b = clipping.clip_by_global_norm([jnp.asarray([3.0]), jnp.asarray([4.0])], 1.0)
    np.testing.assert_allclose([a[0], b[0]], [0.6, 0.8], rtol=1e-6)
    a, b = clipping.clip_by_global_norm([jnp.asarray([np.inf]), jnp.asarray([4.0])], 1.0)
    assert np.isnan(a[0]) and np.isnan(b[0])  # Keras: a step is never silently shrunk to 0
    assert clipping.clip_by_global_norm([], 1.0) == []


def test_clip_by_value():
    np.testing.assert_array_equal(clipping.clip_by_value(jnp.asarray([-2.0, 0.1, 3.0]), 0.5),
                                  np.float32([-0.5, 0.1, 0.5]))
