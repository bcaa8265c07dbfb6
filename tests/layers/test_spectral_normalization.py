"""SpectralNormalization: Keras's weights order, outputs, normalised kernel and u;
the trainability contract (frozen: bit-identical); the Wrapper base."""

import json

import numpy as np
import pytest

from hoarfrost import Input, Model, layers
from hoarfrost.layers import Conv2D, Dense, Embedding, SpectralNormalization, Wrapper
from hoarfrost.saving.h5_format import keras_weight_order

from tests.layers.fixture_checks import check_breadth_fixture
from tests.layers.harness import FIXTURES


def _wrapped(name):
    with np.load(FIXTURES / f"{name}.npz") as data:
        inner = layers.deserialize(json.loads(str(data["inner_config"])))
    return lambda **kwargs: SpectralNormalization(inner, **kwargs)


@pytest.mark.parametrize("name", ["b2_spectral_dense", "b2_spectral_conv2d"])
def test_matches_keras(name):
    layer = check_breadth_fixture(name, cls=_wrapped(name))
    assert [w.path.split("/")[-1] for w in layer.weights] == ["kernel", "vector_u", "bias"]
    assert [w.path for w in keras_weight_order(layer)] == [w.path for w in layer.weights]


def test_embedding_kernel_and_u_match_keras():
    # Keras casts the output to the integer ids' dtype (all zeros); hoarfrost keeps
    # the embeddings' floats, so only the weights after a training call are compared.
    name = "b2_spectral_embedding"
    with np.load(FIXTURES / f"{name}.npz") as data:
        layer = _wrapped(name)()
        ids = data["input_0"]
        layer(ids)
        layer.set_weights([data["weight_0"], data["weight_1"]])
        out = layer(ids, training=True)
        assert out.dtype == np.float32
        for w, i in zip(layer.weights, range(2)):
            np.testing.assert_allclose(w.numpy(), data[f"after_training_{i}"], rtol=1e-5)
        assert isinstance(layer.layer, Embedding)


def test_training_normalises_to_unit_spectral_norm():
    layer = SpectralNormalization(Dense(4), power_iterations=20)
    x = np.random.default_rng(0).normal(size=(3, 5)).astype("float32")
    layer(x)
    for _ in range(3):
        layer(x, training=True)
    assert np.isclose(np.linalg.svd(layer.kernel.numpy(), compute_uv=False)[0], 1.0, atol=1e-3)


def test_fit_trains_kernel_updates_u_and_frozen_is_bit_identical():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(8, 3)).astype("float32"), rng.normal(size=(8, 2)).astype("float32")
    inputs = Input((3,))
    sn = SpectralNormalization(Dense(2))
    model = Model(inputs, sn(inputs))
    model.compile(optimizer="adam", loss="mse")
    assert [len(model.trainable_weights), len(model.non_trainable_weights)] == [2, 1]
    before = [w.numpy() for w in sn.weights]
    model.fit(x, y, epochs=1, batch_size=4, verbose=0)
    assert all(not np.array_equal(b, w.numpy()) for b, w in zip(before, sn.weights))
    for frozen in (sn, sn.layer):  # the wrapper, or only the wrapped layer
        frozen.trainable = False
        before = [w.numpy() for w in sn.weights]
        model.fit(x, y, epochs=1, batch_size=4, verbose=0)
        for b, w in zip(before, sn.weights):
            assert np.array_equal(b, w.numpy()), w.path
        frozen.trainable = True


def test_config_round_trip_and_errors(tmp_path):
    sn = SpectralNormalization(Conv2D(2, 2), power_iterations=2)
    x = np.ones((1, 3, 3, 1), "float32")
    sn(x)
    clone = SpectralNormalization.from_config(json.loads(json.dumps(sn.get_config())))
    assert clone.power_iterations == 2 and isinstance(clone.layer, Conv2D)
    inputs = Input((3, 3, 1))
    model = Model(inputs, sn(inputs))
    model.save(tmp_path / "m.keras")
    from hoarfrost.saving import load_model
    loaded = load_model(tmp_path / "m.keras")
    for a, b in zip(model.get_weights(), loaded.get_weights()):
        assert np.array_equal(a, b)
    with pytest.raises(ValueError, match="power_iterations"):
        SpectralNormalization(Dense(2), power_iterations=0)
    with pytest.raises(ValueError, match="nor 'embeddings'"):
        SpectralNormalization(layers.Flatten())(np.ones((1, 2), "float32"))
    with pytest.raises(ValueError, match="Layer instance"):
        Wrapper("dense")
    assert isinstance(layers.TimeDistributed(Dense(2)), Wrapper)
