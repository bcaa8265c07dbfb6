"""LoRA on layers: Keras 3's adapters, formula and configs; merging; hoarfrost's flags.

Fixtures: tools/keras_fixtures/lora.py (Keras 3.15 on JAX), the same float
weights and adapters in both libraries.
"""

import json
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from hoarfrost import layers
from hoarfrost.layers.lora import lora_contract, lora_plan
from hoarfrost.quantizers import Int8QuantizationConfig

FIXTURE = np.load(Path(__file__).parent / "fixtures" / "keras_lora.npz")
CASES = json.loads(str(FIXTURE["cases"]))


def case(name: str) -> dict:
    prefix = f"{name}/"
    return {k[len(prefix):]: FIXTURE[k] for k in FIXTURE.files if k.startswith(prefix)}


def replay(name: str):
    """The fixture's layer in hoarfrost, with Keras's weights, steps and adapters."""
    data = case(name)
    config = json.loads(str(data["config"]))
    layer = getattr(layers, config["class_name"])(**config["kwargs"])
    layer(jnp.asarray(data["x"]))
    layer.set_weights([data[f"w/{w.path.rpartition('/')[2]}"] for w in layer.weights])
    steps = config["steps"]
    if steps.startswith("int8"):
        quant = (Int8QuantizationConfig(activation_quantizer=None)
                 if steps == "int8_weights" else None)
        layer.quantize("int8", config=quant)
    if "lora" in steps:
        layer.enable_lora(config["rank"], lora_alpha=config["alpha"])
        a, b = layer.lora_variables
        a.assign(data["lora_a"])
        b.assign(data["lora_b"])
    return layer, data


def grad_of_inputs(layer, data):
    return jax.grad(lambda v: jnp.sum(layer(v) * data["probe"]))(jnp.asarray(data["x"]))


@pytest.mark.parametrize("name", [n for n in CASES if n.endswith("lora") and "int8" not in n
                                  or n == "dense_lora_rank3"])
def test_float_lora_equals_keras(name):
    layer, data = replay(name)
    np.testing.assert_allclose(np.asarray(layer(data["x"])), data["y"], rtol=1e-6, atol=1e-6)
    if "dx" in data:
        np.testing.assert_allclose(np.asarray(grad_of_inputs(layer, data)), data["dx"],
                                   rtol=1e-5, atol=1e-5)
    prefix = layer._lora_prefix
    assert [w.path.rpartition("/")[2] for w in layer.weights][-2:] == [f"{prefix}_a",
                                                                      f"{prefix}_b"]


def test_enable_lora_freezes_the_kernel_and_keeps_the_outputs():
    layer = layers.Dense(3, name="d")
    x = np.random.default_rng(0).normal(size=(4, 5)).astype("float32")
    before = np.asarray(layer(x))
    layer.enable_lora(2)
    assert [(w.path, w.shape, w.trainable) for w in layer.weights] == [
        ("d/kernel", (5, 3), False), ("d/bias", (3,), True), ("d/lora_kernel_a", (5, 2), True),
        ("d/lora_kernel_b", (2, 3), True)]
    assert layer.lora_alpha == 2 and layer.lora_variables[0].dtype == jnp.float32
    np.testing.assert_array_equal(np.asarray(layer(x)), before)  # B starts at zeros
    with pytest.raises(ValueError, match="already enabled"):
        layer.enable_lora(2)
    # Keras re-enables the base kernel here; hoarfrost keeps it frozen (its own flag).
    layer.trainable = False
    layer.trainable = True
    assert not layer.kernel.trainable and layer.bias.trainable
    layer.kernel.trainable = True  # by itself, on purpose: allowed
    assert layer.kernel.trainable


def test_constructor_arguments_and_config_round_trip():
    layer = layers.Dense(3, lora_rank=2, lora_alpha=6.0)
    layer.build((None, 4))
    # Keras 3.15 drops lora_alpha when build() enables LoRA (the fixture records 2.0).
    assert float(FIXTURE["constructor/alpha_after_build"]) == 2.0
    assert layer.lora_enabled and layer.lora_alpha == 6.0
    config = layer.get_config()
    assert (config["lora_rank"], config["lora_alpha"]) == (2, 6.0)
    assert "lora_rank" not in layers.Dense(3).get_config()  # only when set, as Keras
    for cls, kwargs, shape in ((layers.Embedding, {"input_dim": 5, "output_dim": 3}, (None, 2)),
                               (layers.EinsumDense, {"equation": "ab,bc->ac",
                                                     "output_shape": 3}, (None, 4)),
                               (layers.Conv1D, {"filters": 3, "kernel_size": 2}, (None, 5, 2))):
        rebuilt = cls.from_config(cls(**kwargs, lora_rank=2).get_config())
        rebuilt.build(shape)
        assert rebuilt.lora_enabled and rebuilt.lora_rank == 2
    with pytest.raises(ValueError, match="lora_rank"):
        layers.Dense(3, lora_rank=0)


def test_errors_name_the_layer_and_the_reason():
    with pytest.raises(ValueError, match="isn't yet built"):
        layers.Dense(3, name="unbuilt").enable_lora(2)
    constrained = layers.Dense(3, kernel_constraint="non_neg", name="c")
    constrained.build((None, 2))
    with pytest.raises(ValueError, match='"c".*kernel_constraint'):
        constrained.enable_lora(2)
    plain = layers.Dense(3)
    plain.build((None, 2))
    with pytest.raises(ValueError, match="nothing to merge"):
        plain.merge_lora()


@pytest.mark.parametrize("cls, kwargs, shape", [
    (layers.Conv2D, {"filters": 4, "kernel_size": 3}, (2, 6, 6, 3)),
    (layers.Conv1DTranspose, {"filters": 3, "kernel_size": 3, "strides": 2}, (2, 5, 2)),
])
def test_convolutions_adapt_their_kernel_the_same_way(cls, kwargs, shape):
    rng = np.random.default_rng(1)
    x = rng.normal(size=shape).astype("float32")
    layer = cls(**kwargs)
    layer(x)
    layer.enable_lora(2, lora_alpha=3)
    a, b = layer.lora_variables
    assert a.shape == layer.kernel.shape[:-1] + (2,) and b.shape == (2, layer.kernel.shape[-1])
    a.assign(rng.normal(size=a.shape))
    b.assign(rng.normal(size=b.shape))
    merged = layer.kernel.numpy() + 1.5 * np.matmul(a.numpy(), b.numpy())
    plain = cls(**kwargs)
    plain(x)
    plain.set_weights([merged, layer.bias.numpy()])
    np.testing.assert_allclose(np.asarray(layer(x)), np.asarray(plain(x)), rtol=1e-5, atol=1e-5)


def test_merge_folds_the_adapter_into_the_kernel():
    layer, data = replay("einsum_lora")
    expected = np.asarray(layer(data["x"]))
    layer.merge_lora()
    assert [w.path.rpartition("/")[2] for w in layer.weights] == ["kernel", "bias"]
    assert not layer.lora_enabled and "lora_rank" not in layer.get_config()
    np.testing.assert_allclose(np.asarray(layer(data["x"])), expected, rtol=1e-6, atol=1e-6)
    # The merged kernel keeps its flag (frozen) and follows the layer's flag again.
    assert not layer.kernel.trainable
    layer.trainable = True
    assert layer.kernel.trainable


# equation, inputs, kernel, rank, the plan `lora_plan` picks (merged, through the kernel)
CONTRACTS = [
    ("...i,ij->...j", (64, 32, 16), (16, 24), 4, (True, False)),  # a big batch: merged, factored
    ("...i,ij->...j", (2, 16), (16, 24), 4, (False, False)),      # a small one: factored
    ("abc,cde->abde", (8, 16, 12), (12, 3, 5), 2, (True, True)),  # per-head A: through the kernel
    ("abcd,cde->abe", (8, 16, 3, 5), (3, 5, 12), 2, (True, False)),
    ("ab,cb->ac", (30, 6), (7, 6), 2, (True, True)),              # not factorable
]


@pytest.mark.parametrize("equation, x_shape, w_shape, rank, plan", CONTRACTS)
def test_lora_contract_equals_the_formula_and_its_derivatives(equation, x_shape, w_shape, rank,
                                                              plan):
    """Every grouping `lora_contract` picks gives the formula's value, gradients (the
    adapter's, the inputs', a kernel's a user unfroze) and forward-mode tangents."""
    assert lora_plan(equation, x_shape, w_shape, rank) == plan
    keys = jax.random.split(jax.random.key(0), 5)
    x, w = jax.random.normal(keys[0], x_shape), jax.random.normal(keys[1], w_shape)
    a = jax.random.normal(keys[2], w_shape[:-1] + (rank,))
    b = jax.random.normal(keys[3], (rank, w_shape[-1]))

    def reference(x, w, a, b):
        return jnp.einsum(equation, x, w + 1.5 * jnp.matmul(a, b), precision="highest")

    def fast(x, w, a, b):
        return lora_contract(x, w, a, b, 1.5, equation=equation)

    probe = jax.random.normal(keys[4], reference(x, w, a, b).shape)
    np.testing.assert_allclose(fast(x, w, a, b), reference(x, w, a, b), rtol=1e-5, atol=1e-4)
    for argnums in [(2, 3), (0, 1, 2, 3), (3,), (1,)]:
        got = jax.grad(lambda *v: jnp.sum(fast(*v) * probe), argnums)(x, w, a, b)
        want = jax.grad(lambda *v: jnp.sum(reference(*v) * probe), argnums)(x, w, a, b)
        for g, r in zip(got, want):
            np.testing.assert_allclose(g, r, rtol=1e-4, atol=1e-4 * float(jnp.abs(r).max()))
    tangents = (0.1 * x, 0.2 * w, 0.3 * a, 0.4 * b)
    got = jax.jvp(fast, (x, w, a, b), tangents)[1]
    want = jax.jvp(reference, (x, w, a, b), tangents)[1]
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4 * float(jnp.abs(want).max()))


def test_a_frozen_kernel_gets_no_gradient_computed():
    """The adapter's gradient, factored, forms nothing kernel-sized (contract item 4)."""
    layer = layers.Dense(24)
    x = np.random.default_rng(0).normal(size=(64, 32, 16)).astype("float32")
    layer(x)
    layer.enable_lora(4)
    trainable = [v.value for v in layer.trainable_variables]
    frozen = [v.value for v in layer.non_trainable_variables]

    def loss(trainable):
        return jnp.sum(layer.stateless_call(trainable, frozen, x)[0])

    jaxpr = jax.make_jaxpr(jax.grad(loss))(trainable)
    # x^T (upstream): a contraction over the batch (64 x 32 rows) into the kernel's shape.
    over_batch = [tuple(eqn.outvars[0].aval.shape) for eqn in jaxpr.jaxpr.eqns
                  if eqn.primitive.name == "dot_general"
                  and any(v.aval.shape[:2] == (64, 32) for v in eqn.invars)]
    assert over_batch and (16, 24) not in over_batch and (24, 16) not in over_batch


@pytest.mark.parametrize("make, data", [
    (lambda: layers.Dense(4, lora_rank=2), np.ones((2, 3), "float32")),
    (lambda: layers.EinsumDense("ab,bc->ac", 4, lora_rank=2), np.ones((2, 3), "float32")),
    (lambda: layers.Embedding(10, 4, lora_rank=2), np.ones((2, 3), "int32")),
])
def test_a_lora_layer_computes_in_the_policy_compute_dtype(make, data):
    """Under mixed_bfloat16 a LoRA layer returns bfloat16, as Keras 3's (checked on 3.15)."""
    from hoarfrost import mixed_precision
    mixed_precision.set_global_policy("mixed_bfloat16")
    try:
        layer = make()
        assert layer(data).dtype == jnp.bfloat16
        assert {str(w.dtype) for w in layer.weights} == {"float32"}  # variables stay float32
    finally:
        mixed_precision.set_global_policy("float32")
