"""hoarfrost.constraints: Keras's projections, names and configs, applied by fit after each
update of a trainable weight."""

import json
from pathlib import Path

import jax
import numpy as np
import pytest

import hoarfrost
from hoarfrost import constraints

FIXTURE = np.load(Path(__file__).parent / "fixtures" / "keras_constraints.npz")


def test_projections_equal_keras():
    keys = [k for k in FIXTURE.files if k.count("|") == 2]
    assert len(keys) == 8

    @jax.jit  # one compilation for all
    def project(w2, w4):
        weights = {"w2": w2, "w4": w4}
        return [getattr(constraints, name)(**json.loads(kwargs))(weights[json.loads(w)])
                for name, kwargs, w in (key.split("|") for key in keys)]

    for key, got in zip(keys, project(FIXTURE["w2"], FIXTURE["w4"])):
        np.testing.assert_allclose(got, FIXTURE[key], rtol=1e-6, atol=1e-7, err_msg=key)


def test_names_and_configs_as_keras():
    for key, expected in json.loads(str(FIXTURE["configs"])).items():
        name, kwargs = key.split("|")
        constraint = getattr(constraints, name)(**json.loads(kwargs))
        assert constraints.serialize(constraint) == expected, key
        again = constraints.get(expected)
        assert type(again) is type(constraint) and again.get_config() == constraint.get_config()
    for name in ("max_norm", "MaxNorm", "non_neg", "unit_norm", "min_max_norm", "Constraint"):
        assert isinstance(constraints.get(name), constraints.Constraint)
    assert constraints.get(None) is None
    clip = lambda w: w.clip(-1, 1)  # noqa: E731  (a function of the value is a constraint)
    assert constraints.get(clip) is clip
    with pytest.raises(ValueError, match="Unknown constraint"):
        constraints.get("no_such_constraint")


def test_dense_constraints_apply_after_each_step_as_keras_and_never_when_frozen():
    config = json.loads(str(FIXTURE["dense_config"]))
    model = hoarfrost.Sequential([
        hoarfrost.Input((5,)),
        hoarfrost.layers.Dense(3, kernel_constraint=config["kernel_constraint"],
                               bias_constraint="non_neg")])
    dense = model.layers[0]
    assert isinstance(dense.kernel_constraint, constraints.MaxNorm)
    assert dense.get_config()["kernel_constraint"] == config["kernel_constraint"]
    assert dense.get_config()["bias_constraint"] == config["bias_constraint"]
    model.set_weights([FIXTURE["dense_kernel_0"], FIXTURE["dense_bias_0"]])
    model.compile(hoarfrost.optimizers.SGD(0.1), "mse")
    x, y = FIXTURE["dense_x"], FIXTURE["dense_y"]
    model.fit(x, y, batch_size=2, epochs=1, shuffle=False, verbose=0)
    np.testing.assert_allclose(dense.kernel.numpy(), FIXTURE["dense_kernel"], rtol=1e-6,
                               atol=1e-7)
    np.testing.assert_allclose(dense.bias.numpy(), FIXTURE["dense_bias"], rtol=1e-6, atol=1e-7)
    # Frozen: not updated, so not projected either (still bit-identical).
    dense.kernel.assign(np.full((5, 3), 3.0, "float32"))  # outside the constraint's range
    dense.trainable = False
    model.fit(x, y, batch_size=2, epochs=1, shuffle=False, verbose=0)
    np.testing.assert_array_equal(dense.kernel.numpy(), np.full((5, 3), 3.0, "float32"))
    rebuilt = hoarfrost.layers.Dense.from_config(dense.get_config())
    assert rebuilt.kernel_constraint.get_config() == {"max_value": 0.5, "axis": 0}
