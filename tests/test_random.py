"""hoarfrost.random: Keras's draws for int seeds and SeedGenerators, the distributions'
statistics, and seed generators as layer state inside fit."""

from pathlib import Path

import jax
import numpy as np
import pytest

import hoarfrost
from hoarfrost import random

FIXTURES = Path(__file__).parent / "fixtures"
LOGITS = np.log(np.array([[0.1, 0.2, 0.7], [0.5, 0.25, 0.25]], "float32"))
ONES = np.ones((200, 100), "float32")
# The calls tools/keras_fixtures/namespaces.py recorded with Keras (a 2 x 12 corner of each).
CALLS = {
    "normal": lambda s: random.normal((200, 100), mean=1.0, stddev=2.0, seed=s),
    "uniform": lambda s: random.uniform((200, 100), minval=-1.0, maxval=3.0, seed=s),
    "truncated_normal": lambda s: random.truncated_normal((200, 100), mean=0.5, stddev=2.0,
                                                          seed=s),
    "randint": lambda s: random.randint((200, 100), 3, 7, seed=s),
    "categorical": lambda s: random.categorical(LOGITS, 10000, seed=s),
    "dropout": lambda s: random.dropout(ONES, 0.25, seed=s),
    "dropout_noise_shape": lambda s: random.dropout(ONES, 0.25, noise_shape=(1, 100), seed=s),
    "shuffle": lambda s: random.shuffle(np.arange(50, dtype="float32").reshape(5, 10), axis=1,
                                        seed=s),
}
HEAVY = {  # slow to compile (rejection loops): one jitted call draws all three
    "gamma": lambda s: random.gamma((200, 100), alpha=3.0, seed=s),
    "beta": lambda s: random.beta((200, 100), alpha=2.0, beta=6.0, seed=s),
    "binomial": lambda s: random.binomial((200, 100), counts=10, probabilities=0.3, seed=s),
}
FIXTURE = np.load(FIXTURES / "keras_random.npz")
SAME_JAX = str(FIXTURE["jax_version"]) == jax.__version__


def _corner(a):
    return np.asarray(a)[:2, :12]


def _check_keras(name, tag, got, exact=True):
    """Keras's values where JAX's PRNG is the fixture's (they depend on its version)."""
    if not SAME_JAX:
        return
    expected = FIXTURE[f"{name}|{tag}"]
    assert got.dtype == expected.dtype, (name, tag)
    if exact:
        np.testing.assert_array_equal(_corner(got), expected, err_msg=f"{name}|{tag}")
    else:  # compiled with other ops around it: within float rounding
        np.testing.assert_allclose(_corner(got), expected, rtol=1e-6, err_msg=f"{name}|{tag}")


def test_draws_equal_keras_and_have_their_distributions_statistics():
    """An int seed: Keras's values, the same at every call; a SeedGenerator: Keras's values,
    new ones at each call. And each distribution's moments over 20000 draws."""
    draws = {}
    for name, call in CALLS.items():
        draws[name] = np.asarray(call(42))
        _check_keras(name, "int", draws[name])
        np.testing.assert_array_equal(call(42), draws[name])
        generator = random.SeedGenerator(7)
        first, second = call(generator), call(generator)
        _check_keras(name, "gen0", first)
        _check_keras(name, "gen1", second)
        assert not np.array_equal(first, second)
        np.testing.assert_array_equal(generator.state.numpy(), [7, 2])
    draws.update({name: np.asarray(v) for name, v in
                  jax.jit(lambda: {n: c(42) for n, c in HEAVY.items()})().items()})
    for name in HEAVY:
        _check_keras(name, "int", draws[name], exact=False)
    s = {k: v.astype(np.float64) for k, v in draws.items()}
    n = 20000
    se = 1 / np.sqrt(n)  # one standard error, in units of the standard deviation
    assert abs(s["normal"].mean() - 1.0) < 4 * 2.0 * se and abs(s["normal"].std() - 2.0) < 0.05
    assert s["uniform"].min() >= -1.0 and s["uniform"].max() < 3.0
    assert abs(s["uniform"].mean() - 1.0) < 4 * 1.155 * se
    t = s["truncated_normal"]
    assert t.min() >= 0.5 - 4.0 and t.max() <= 0.5 + 4.0
    assert abs(t.std() - 2.0 * 0.87962566) < 0.05  # the std of N(0, 1) cut at +-2
    assert set(np.unique(s["randint"])) == {3, 4, 5, 6}
    for row, probs in enumerate(np.exp(LOGITS)):
        freq = np.bincount(draws["categorical"][row], minlength=3) / 10000
        np.testing.assert_allclose(freq, probs, atol=0.02)
    kept = s["dropout"] != 0
    assert abs(kept.mean() - 0.75) < 0.015
    np.testing.assert_allclose(s["dropout"][kept], 1 / 0.75, rtol=1e-6)
    columns = s["dropout_noise_shape"] != 0  # one decision per column, shared by the rows
    assert (columns == columns[:1]).all() and 0 < columns[0].mean() < 1
    shuffled = s["shuffle"]
    assert (np.sort(shuffled, axis=1) == np.arange(50).reshape(5, 10)).all()
    assert (shuffled[:, :1] + np.arange(10) != shuffled).any()
    assert abs(s["gamma"].mean() - 3.0) < 0.06 and abs(s["gamma"].var() - 3.0) < 0.2
    assert abs(s["beta"].mean() - 0.25) < 0.005 and 0 < s["beta"].min() < s["beta"].max() < 1
    assert abs(s["binomial"].mean() - 3.0) < 0.06 and abs(s["binomial"].var() - 2.1) < 0.12


class Noise(hoarfrost.layers.Layer):
    """Adds standard normal noise from its own SeedGenerator (as a Keras VAE's sampler)."""

    def __init__(self, seed=1337, **kwargs):
        super().__init__(**kwargs)
        self.seed = seed
        self.seed_generator = random.SeedGenerator(seed)

    def call(self, x):
        return x + random.normal(x.shape, seed=self.seed_generator)

    def get_config(self):
        return {**super().get_config(), "seed": self.seed}


def test_seed_generator_in_a_layer_draws_anew_each_step_as_keras(tmp_path):
    fixture = FIXTURE
    noise = Noise()
    model = hoarfrost.Sequential([
        hoarfrost.Input((3,)),
        hoarfrost.layers.Dense(1, use_bias=False, kernel_initializer="zeros"), noise])
    # Keras's split: the state is a non-trainable variable, not a weight or a parameter.
    state = noise.seed_generator.state
    assert [v.path for v in model.weights] == ["dense/kernel"]
    assert model.variables[-1] is state and model.non_trainable_variables == [state]
    assert model.count_params() == 3
    model.compile(hoarfrost.optimizers.SGD(0.1), "mse")
    x, y = np.ones((8, 3), "float32"), np.zeros((8, 1), "float32")
    model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    # Each of the 4 steps drew from [1337, step]: the kernel's gradients are that noise.
    np.testing.assert_array_equal(state.numpy(), fixture["fit_state"])
    np.testing.assert_allclose(model.get_weights()[0], fixture["fit_kernel"], rtol=1e-6)
    # A frozen layer's generator still advances (its draws never repeat).
    noise.trainable = False
    model.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0)
    np.testing.assert_array_equal(state.numpy(), [1337, 6])
    # As in Keras, the state is not saved: a loaded generator restarts from its seed.
    path = tmp_path / "noise.keras"
    model.save(path)
    loaded = hoarfrost.load_model(path, custom_objects={"Noise": Noise})
    np.testing.assert_array_equal(loaded.get_weights()[0], model.get_weights()[0])
    np.testing.assert_array_equal(loaded.layers[-1].seed_generator.state.numpy(), [1337, 0])


def test_eager_calls_advance_the_generator_and_untracked_traces_raise():
    layer = Noise(seed=3)
    x = np.zeros((2, 2), "float32")
    first, second = np.asarray(layer(x)), np.asarray(layer(x))
    assert not np.array_equal(first, second)
    np.testing.assert_array_equal(layer.seed_generator.state.numpy(), [3, 2])
    with pytest.raises(ValueError, match="SeedGenerator 'seed_generator.*does not carry its state"):
        jax.jit(layer)(x)
    np.testing.assert_array_equal(layer.seed_generator.state.numpy(), [3, 2])


def test_unseeded_draws_use_the_step_key_in_fit_and_raise_elsewhere_when_traced():
    class Unseeded(hoarfrost.layers.Layer):
        def call(self, x):
            return x + random.uniform(x.shape)

    # Eagerly: the global stream, which set_random_seed resets.
    hoarfrost.utils.set_random_seed(5)
    a = np.asarray(random.uniform((3,)))
    hoarfrost.utils.set_random_seed(5)
    np.testing.assert_array_equal(a, random.uniform((3,)))
    assert not np.array_equal(a, random.uniform((3,)))
    model = hoarfrost.Sequential([hoarfrost.Input((2,)), hoarfrost.layers.Dense(1), Unseeded()])
    model.compile("sgd", "mse")
    history = model.fit(np.ones((4, 2)), np.zeros((4, 1)), batch_size=2, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    with pytest.raises(ValueError, match="seed=None was traced outside a training step"):
        model.predict(np.ones((4, 2)), verbose=0)


def test_bad_seeds_and_dtypes_raise_naming_the_argument():
    with pytest.raises(ValueError, match="seed"):
        random.SeedGenerator(seed=1.5)
    with pytest.raises(ValueError, match="seed"):
        random.normal((2,), seed="42")
    with pytest.raises(ValueError, match="2\\*\\*32"):
        random.normal((2,), seed=-1)
    with pytest.raises(ValueError, match="integer `dtype`"):
        random.randint((2,), 0, 3, dtype="float32")
    with pytest.raises(ValueError, match="floating point `dtype`"):
        random.uniform((2,), dtype="int32")
    with pytest.raises(ValueError, match="2-D"):
        random.categorical(np.zeros(3), 2)
    with pytest.raises(ValueError, match="unrecognized keyword"):
        random.SeedGenerator(1, backend="jax")
    generator = random.SeedGenerator(11, name="gen")
    assert random.SeedGenerator.from_config(generator.get_config()).get_config() == {
        "seed": 11, "name": "gen"}
