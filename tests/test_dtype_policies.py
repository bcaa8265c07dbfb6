"""hoarfrost.dtype_policies: policies, their config form, and what a layer does with one
(inputs cast to the compute dtype, variables read in it inside `call`)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import hoarfrost
from hoarfrost import config, dtype_policies, layers, masking
from hoarfrost.dtype_policies import DTypePolicy
from hoarfrost.variables import AutocastScope, StatelessScope, Variable


@pytest.fixture(autouse=True)
def global_policy_restored():
    saved = dict(config._state)
    yield
    config._state.clear()
    config._state.update(saved)


def test_policy_names_give_keras_dtypes():
    for name, compute, variable in (("mixed_bfloat16", "bfloat16", "float32"),
                                    ("mixed_float16", "float16", "float32"),
                                    ("float32", "float32", "float32"),
                                    ("bfloat16", "bfloat16", "bfloat16"),
                                    ("int32", "int32", "int32")):
        policy = DTypePolicy(name)
        assert (policy.name, policy.compute_dtype, policy.variable_dtype) == (name, compute,
                                                                              variable)
    assert repr(DTypePolicy("mixed_float16")) == '<DTypePolicy "mixed_float16">'
    assert DTypePolicy("float32") == DTypePolicy("float32") != DTypePolicy("mixed_bfloat16")
    assert hoarfrost.DTypePolicy is hoarfrost.config.DTypePolicy is DTypePolicy
    assert hoarfrost.mixed_precision.Policy is DTypePolicy
    for name in ("DTypePolicy", "Policy", "dtype_policy", "global_policy", "set_dtype_policy",
                 "set_global_policy"):  # keras.mixed_precision's names (LossScaleOptimizer:
        assert hasattr(hoarfrost.mixed_precision, name), name  # test_loss_scaling.py)
    for name in ("DTypePolicy", "FloatDTypePolicy", "get", "serialize", "deserialize"):
        assert hasattr(dtype_policies, name), name
    with pytest.raises(ValueError, match="mixed_float8"):
        DTypePolicy("mixed_float8")
    with pytest.raises(TypeError, match="must be a string"):
        DTypePolicy(32)


def test_get_serialize_and_the_global_policy():
    assert dtype_policies.get(None) == DTypePolicy("float32")
    config.set_dtype_policy("mixed_bfloat16")
    assert dtype_policies.get(None).name == "mixed_bfloat16" == DTypePolicy().name
    assert hoarfrost.mixed_precision.global_policy().name == "mixed_bfloat16"
    hoarfrost.mixed_precision.set_global_policy(DTypePolicy("float32"))
    assert config.dtype_policy().name == "float32"
    form = {"module": "keras", "class_name": "DTypePolicy",
            "config": {"name": "mixed_float16"}, "registered_name": None}
    assert dtype_policies.serialize(DTypePolicy("mixed_float16")) == form
    assert dtype_policies.get(form) == DTypePolicy("mixed_float16")
    assert dtype_policies.get(np.float16) == DTypePolicy("float16")
    with pytest.raises(ValueError, match="QuantizedDTypePolicy"):
        dtype_policies.get({"class_name": "QuantizedDTypePolicy", "config": {}})


def test_a_layer_takes_a_policy_by_name_object_or_config():
    for given in ("mixed_bfloat16", DTypePolicy("mixed_bfloat16"),
                  dtype_policies.serialize(DTypePolicy("mixed_bfloat16"))):
        dense = layers.Dense(2, dtype=given)
        assert dense.dtype_policy == DTypePolicy("mixed_bfloat16")
        assert (dense.compute_dtype, dense.variable_dtype, dense.dtype) == (
            "bfloat16", "float32", "float32")
    dense = layers.Dense(2, dtype=np.float16)
    assert dense.dtype_policy.name == "float16"
    dense.dtype_policy = "mixed_float16"  # before build: the weights are float32
    out = dense(np.ones((1, 3), "float32"))
    assert dense.kernel.dtype == np.float32 and out.dtype == jnp.float16
    clone = layers.Dense.from_config(dense.get_config())
    assert clone.dtype_policy == dense.dtype_policy


def test_autocast_scope_casts_floating_reads_only():
    kernel = Variable(np.ones((2, 2), "float32"), "kernel")
    count = Variable(np.zeros((), "int32"), "count", trainable=False)
    stats = Variable(np.ones((2,), "float32"), "stats", trainable=False, autocast=False)
    with AutocastScope("bfloat16"):
        assert kernel.value.dtype == jnp.bfloat16 and kernel.dtype == jnp.bfloat16
        assert count.value.dtype == jnp.int32
        assert stats.value.dtype == jnp.float32
        with AutocastScope(None):
            assert kernel.value.dtype == jnp.float32
        kernel.assign(kernel.value * 3)  # stored as float32
        kernel.assign_add(np.full((2, 2), 1e-3, "float32"))  # added in float32
    assert kernel.dtype == np.float32
    np.testing.assert_array_equal(kernel.numpy(), np.full((2, 2), np.float32(3) + np.float32(1e-3)))
    with pytest.raises(ValueError, match="floating-point"):
        AutocastScope("int32")


def test_mixed_layer_casts_float_inputs_keeps_masks_and_ints():
    dense = layers.Dense(3, dtype="mixed_bfloat16")
    x = jnp.ones((2, 4), jnp.float32)
    masking.set_mask(x, jnp.array([True, False]))
    seen = {}
    call = dense.call

    def spy(inputs):
        seen["dtype"], seen["mask"] = inputs.dtype, masking.get_mask(inputs)
        seen["kernel"] = dense.kernel.value.dtype
        return call(inputs)

    dense.call = spy
    assert dense(x).dtype == jnp.bfloat16
    assert seen["dtype"] == jnp.bfloat16 and seen["kernel"] == jnp.bfloat16
    np.testing.assert_array_equal(seen["mask"], [True, False])
    embedding = layers.Embedding(5, 2, dtype="mixed_bfloat16")
    assert embedding(np.array([[1, 4]], "int32")).dtype == jnp.bfloat16
    relu = layers.Activation("relu", dtype="mixed_bfloat16", autocast=False)
    assert relu(np.ones((1, 2), "float32")).dtype == jnp.float32  # autocast=False: as given


def test_gradients_reach_the_float32_variables():
    dense = layers.Dense(3, dtype="mixed_bfloat16")
    x = np.random.default_rng(0).normal(size=(4, 5)).astype("float32")
    dense(x)
    reference = layers.Dense(3)
    reference(x)
    reference.set_weights(dense.get_weights())

    def loss(kernel, layer):
        with StatelessScope([(layer.kernel, kernel)]):
            return jnp.sum(layer(x).astype(jnp.float32) ** 2)

    grad = jax.grad(loss)(dense.kernel.value, dense)
    assert grad.dtype == jnp.float32
    np.testing.assert_allclose(grad, jax.grad(loss)(reference.kernel.value, reference),
                               rtol=0.05, atol=0.05)
