"""hoarfrost.initializers: Keras's values for the deterministic ones, Keras's statistics for
the random ones, Keras's names and configs."""

import json
import math
from pathlib import Path

import numpy as np
import pytest

import hoarfrost
from hoarfrost import initializers
from hoarfrost.random import SeedGenerator

FIXTURES = Path(__file__).parent / "fixtures"
FIXTURE = np.load(FIXTURES / "keras_initializers.npz")


def test_deterministic_initializers_equal_keras():
    keys = [k for k in FIXTURE.files if k != "configs"]
    assert len(keys) == 17
    for key in keys:
        name, kwargs, shape = key.split("|")
        got = np.asarray(getattr(initializers, name)(**json.loads(kwargs))(json.loads(shape)))
        assert got.shape == FIXTURE[key].shape and got.dtype == np.float32, key
        if name == "STFT":  # cos/sin on the host: within an ulp of Keras's
            np.testing.assert_allclose(got, FIXTURE[key], rtol=0, atol=3e-7, err_msg=key)
        else:
            np.testing.assert_array_equal(got, FIXTURE[key], err_msg=key)


def test_configs_equal_keras_and_round_trip():
    for key, expected in json.loads(str(FIXTURE["configs"])).items():
        name, kwargs = key.split("|")
        init = getattr(initializers, name)(**json.loads(kwargs))
        config = initializers.serialize(init)
        if name == "Identity":  # Keras forgets `gain` in its config; hoarfrost keeps it
            expected["config"]["gain"] = 0.5
        assert config == expected, key
        again = initializers.get(config)
        assert type(again) is type(init) and initializers.serialize(again) == config


def _variance(init, shape, n):
    values = np.asarray(init(shape), np.float64)
    return values, values.var() / (1.0 / n)


@pytest.mark.parametrize("mode", ["fan_in", "fan_out", "fan_avg"])
@pytest.mark.parametrize("distribution", ["truncated_normal", "untruncated_normal", "uniform"])
def test_variance_scaling_has_keras_variance(mode, distribution):
    shape = (3, 3, 20, 40)  # a conv kernel: fans count the window
    fan_in, fan_out = 3 * 3 * 20, 3 * 3 * 40
    n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[mode]
    init = initializers.VarianceScaling(2.0, mode, distribution, seed=1)
    values = np.asarray(init(shape), np.float64)
    assert abs(values.var() / (2.0 / n) - 1) < 0.03
    assert abs(values.mean()) < 4 * math.sqrt(2.0 / n / values.size)
    if distribution == "uniform":
        assert np.abs(values).max() <= math.sqrt(3 * 2.0 / n)
    if distribution == "truncated_normal":
        assert np.abs(values).max() <= 2 * math.sqrt(2.0 / n) / 0.87962566103423978


@pytest.mark.parametrize("name,scale,mode,uniform", [
    ("GlorotUniform", 1, "fan_avg", True), ("GlorotNormal", 1, "fan_avg", False),
    ("HeUniform", 2, "fan_in", True), ("HeNormal", 2, "fan_in", False),
    ("LecunUniform", 1, "fan_in", True), ("LecunNormal", 1, "fan_in", False)])
def test_presets_are_keras_variance_scalings(name, scale, mode, uniform):
    init = initializers.get(name)
    assert isinstance(init, initializers.VarianceScaling)
    assert (init.scale, init.mode) == (scale, mode)
    assert init.distribution == ("uniform" if uniform else "truncated_normal")
    values = np.asarray(init((300, 200)), np.float64)
    n = {"fan_in": 300, "fan_avg": 250}[mode]
    assert abs(values.var() / (scale / n) - 1) < 0.03


def test_random_normal_uniform_truncated_and_orthogonal():
    normal = np.asarray(initializers.RandomNormal(1.0, 2.0, seed=2)((200, 100)), np.float64)
    assert abs(normal.mean() - 1.0) < 0.06 and abs(normal.std() - 2.0) < 0.04
    uniform = np.asarray(initializers.RandomUniform(-1.0, 3.0)((200, 100)))
    assert uniform.min() >= -1.0 and uniform.max() < 3.0 and abs(uniform.mean() - 1.0) < 0.05
    truncated = np.asarray(initializers.TruncatedNormal(0.5, 2.0)((200, 100)), np.float64)
    assert np.abs(truncated - 0.5).max() <= 4.0 and abs(truncated.std() - 1.759) < 0.04
    for shape in [(6, 4), (4, 6), (3, 3, 2, 5)]:
        q = np.asarray(initializers.Orthogonal(gain=2.0)(shape), np.float64).reshape(-1, shape[-1])
        small = q.T @ q if q.shape[0] >= q.shape[1] else q @ q.T
        np.testing.assert_allclose(small, 4.0 * np.eye(min(q.shape)), atol=1e-5)
    with pytest.raises(ValueError, match="at least two-dimensional"):
        initializers.Orthogonal()((3,))
    with pytest.raises(ValueError, match="2D matrices"):
        initializers.Identity()((2, 2, 2))


def test_seeds_fix_the_values_and_generators_advance():
    fixed = initializers.HeNormal(seed=3)
    np.testing.assert_array_equal(fixed((4, 5)), fixed((4, 5)))
    unseeded = initializers.HeNormal()
    assert not np.array_equal(unseeded((4, 5)), unseeded((4, 5)))
    generator = SeedGenerator(9)
    advancing = initializers.RandomUniform(seed=generator)
    assert not np.array_equal(advancing((4, 5)), advancing((4, 5)))
    np.testing.assert_array_equal(generator.state.numpy(), [9, 2])
    config = initializers.serialize(advancing)["config"]["seed"]
    assert config["class_name"] == "SeedGenerator" and config["config"]["seed"] == 9
    hoarfrost.utils.set_random_seed(4)
    a = np.asarray(unseeded((4, 5)))
    hoarfrost.utils.set_random_seed(4)
    np.testing.assert_array_equal(a, unseeded((4, 5)))
    with pytest.raises(ValueError, match="seed"):
        initializers.RandomNormal(seed=1.5)


def test_every_keras_name_resolves_and_layers_use_it():
    names = json.loads((FIXTURES / "keras_namespaces.json").read_text())["initializers"]
    for name in names:
        if name in ("deserialize", "get", "serialize", "Initializer"):
            continue
        init = initializers.get(name)
        assert isinstance(init, initializers.Initializer), name
    assert isinstance(initializers.get("he_normal"), initializers.HeNormal)
    assert isinstance(initializers.get({"class_name": "Ones", "config": {}}), initializers.Ones)
    array = np.arange(6, dtype="float32").reshape(2, 3)
    np.testing.assert_array_equal(initializers.get(array)((2, 3)), array)
    with pytest.raises(ValueError, match="Expected `shape`"):
        initializers.get(array)((3, 2))
    with pytest.raises(ValueError, match="Unknown initializer"):
        initializers.get("no_such_initializer")
    layer = hoarfrost.layers.Dense(3, kernel_initializer="identity", bias_initializer="ones")
    layer(np.zeros((1, 3), "float32"))
    np.testing.assert_array_equal(layer.kernel.numpy(), np.eye(3))
    np.testing.assert_array_equal(layer.bias.numpy(), np.ones(3))
    rebuilt = hoarfrost.layers.Dense.from_config(layer.get_config())
    assert isinstance(rebuilt.kernel_initializer, initializers.Identity)
    assert initializers.compute_fans((2, 3, 4), input_axes=[0, 1], output_axes=[2]) == (6, 4)
