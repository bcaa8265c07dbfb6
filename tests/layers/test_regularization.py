"""SpatialDropout2D, GaussianNoise, and the random-key plumbing of Dropout in fit."""

import numpy as np
import pytest

import hoarfrost
from hoarfrost import Input, layers
from hoarfrost.callbacks import Callback
from hoarfrost.layers.regularization import Dropout, GaussianNoise, SpatialDropout2D
from hoarfrost.models import Sequential

from tests.layers.harness import check_keras_fixture, run_layer_test


def test_spatial_dropout2d_harness():
    layer = run_layer_test(SpatialDropout2D, {"rate": 0.3}, (2, 3, 4, 5), (2, 3, 4, 5), 0,
                           train=False)
    assert isinstance(layer, Dropout)
    assert layer.get_config()["data_format"] == "channels_last"
    assert "noise_shape" not in layer.get_config()


def test_gaussian_noise_harness():
    run_layer_test(GaussianNoise, {"stddev": 0.5, "seed": 3}, (2, 3), (2, 3), 0, train=False)


@pytest.mark.parametrize("name,cls", [("reg_spatial_dropout2d", SpatialDropout2D),
                                      ("reg_gaussian_noise", GaussianNoise)])
def test_matches_keras_in_inference(name, cls):
    check_keras_fixture(name, cls=cls, rtol=0, atol=0)


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_spatial_dropout2d_drops_whole_channels(data_format):
    layer = SpatialDropout2D(0.4, data_format=data_format)
    x = np.ones((64, 8, 3, 5) if data_format == "channels_first" else (64, 3, 5, 8), np.float32)
    assert np.array_equal(np.asarray(layer(x)), x)
    out = np.asarray(layer(x, training=True))
    assert set(np.unique(out)) <= {0.0, np.float32(1 / 0.6)}
    spatial = (2, 3) if data_format == "channels_first" else (1, 2)
    # One decision per (sample, channel), shared by every position.
    assert np.array_equal(out.min(axis=spatial), out.max(axis=spatial))
    assert 0.3 < (out.max(axis=spatial) == 0).mean() < 0.5


def test_spatial_dropout2d_rejects_wrong_rank_and_format():
    with pytest.raises(ValueError, match=r'"sd".*expected ndim=4, found ndim=3'):
        SpatialDropout2D(0.5, name="sd")(np.ones((2, 3, 4), np.float32))
    with pytest.raises(ValueError, match="data_format"):
        SpatialDropout2D(0.5, data_format="channels_middle")


def test_gaussian_noise_statistics_and_identity():
    layer = GaussianNoise(0.3)
    x = np.full((200, 50), 2.0, np.float32)
    assert np.array_equal(np.asarray(layer(x)), x)
    noise = np.asarray(layer(x, training=True)) - x
    assert abs(noise.mean()) < 0.01
    assert abs(noise.std() - 0.3) < 0.01
    assert abs(np.corrcoef(noise[:, 0], noise[:, 1])[0, 1]) < 0.2
    again = np.asarray(layer(x, training=True)) - x
    assert not np.array_equal(noise, again)  # a new draw per call
    with pytest.raises(ValueError, match="stddev"):
        GaussianNoise(1.5)


def test_seeded_layers_are_reproducible_eagerly():
    x = np.ones((4, 6), np.float32)
    hoarfrost.utils.set_random_seed(7)
    first = [np.asarray(GaussianNoise(0.2)(x, training=True)),
             np.asarray(Dropout(0.5)(x, training=True))]
    hoarfrost.utils.set_random_seed(7)
    second = [np.asarray(GaussianNoise(0.2)(x, training=True)),
              np.asarray(Dropout(0.5)(x, training=True))]
    for a, b in zip(first, second):
        assert np.array_equal(a, b)


# --- random keys inside fit -------------------------------------------------------------------
class _KernelRecorder(Callback):
    """Records the Dense kernel after every step (a batch hook: one step per call)."""

    def __init__(self, dense):
        super().__init__()
        self.dense, self.kernels = dense, []

    def on_train_batch_end(self, batch, logs=None):
        self.kernels.append(self.dense.kernel.numpy().copy())


def _noisy_fit(noise_layer, seed, record=True, epochs=2):
    """Train Input -> noise -> Dense(1) on ones for 4 steps per epoch; return kernels."""
    hoarfrost.utils.set_random_seed(seed)
    dense = layers.Dense(1, use_bias=False, kernel_initializer="ones")
    model = Sequential([Input((8,)), noise_layer, dense])
    model.compile(optimizer="sgd", loss="mse")
    x, y = np.ones((4, 8), np.float32), np.zeros((4, 1), np.float32)
    recorder = _KernelRecorder(dense)
    model.fit(x, y, batch_size=1, epochs=epochs, verbose=0, shuffle=False,
              callbacks=[recorder] if record else None)
    return recorder.kernels, dense.kernel.numpy()


def test_dropout_draws_a_new_mask_each_step_reproducibly():
    kernels, final = _noisy_fit(Dropout(0.5), seed=1)
    start = np.ones((8, 1), np.float32)
    # The update of step t is non-zero exactly where step t's mask kept the input.
    masks = [tuple((k != prev).ravel()) for prev, k in zip([start] + kernels[:-1], kernels)]
    assert len(masks) == 8 and len(set(masks)) >= 4
    again, final_again = _noisy_fit(Dropout(0.5), seed=1)
    assert all(np.array_equal(a, b) for a, b in zip(kernels, again))
    _, other = _noisy_fit(Dropout(0.5), seed=2, record=False)
    assert not np.array_equal(final, other)
    # Many steps per compiled call (no batch callback) draw the very same masks.
    _, chunked = _noisy_fit(Dropout(0.5), seed=1, record=False)
    np.testing.assert_allclose(chunked, final, rtol=1e-6)


def test_gaussian_noise_in_fit_changes_each_step_and_is_reproducible():
    kernels, _ = _noisy_fit(GaussianNoise(0.5), seed=3, epochs=1)
    start = np.ones((8, 1), np.float32)
    deltas = [k - prev for prev, k in zip([start] + kernels[:-1], kernels)]
    # Without noise every coordinate would move by the same amount.
    assert all(np.ptp(d) > 1e-4 for d in deltas)
    assert not np.allclose(deltas[0] / deltas[0].mean(), deltas[1] / deltas[1].mean())
    again, _ = _noisy_fit(GaussianNoise(0.5), seed=3, epochs=1)
    assert all(np.array_equal(a, b) for a, b in zip(kernels, again))


def test_dropout_rate_bounds_as_keras():
    """Keras accepts rate in [0, 1]; 1 drops everything in training and nothing at inference."""
    import jax.numpy as jnp
    import pytest

    from hoarfrost.layers import Dropout
    x = jnp.ones((2, 3))
    assert float(jnp.abs(Dropout(1.0)(x, training=True)).sum()) == 0.0
    assert float(Dropout(1.0)(x, training=False).sum()) == 6.0
    with pytest.raises(ValueError, match=r"Dropout: `rate` must be in \[0, 1\], got 1.5"):
        Dropout(1.5)


def test_weight_penalties_count_in_evaluate_for_trainable_variables_only():
    """As Keras 3: evaluate's loss includes the penalties of trainable weights; freezing a
    layer removes its penalty at once (values measured with keras 3.15.1, same model)."""
    import numpy as np

    import hoarfrost
    from hoarfrost import layers, regularizers
    model = hoarfrost.Sequential([
        layers.Dense(3, input_shape=(4,), kernel_regularizer=regularizers.l2(0.1),
                     kernel_initializer="ones", name="a"),
        layers.Dense(1, kernel_regularizer="l1", kernel_initializer="ones", name="b")])
    model.compile("sgd", "mse")
    x, y = np.ones((8, 4), "float32"), np.zeros((8, 1), "float32")
    assert abs(model.evaluate(x, y, verbose=0) - 145.23) < 1e-4  # mse 144 + 1.2 + 0.03
    model.get_layer("a").trainable = False
    assert abs(model.evaluate(x, y, verbose=0) - 144.03) < 1e-4
