"""XLA options chosen per compiled program: narrow matmuls leave YNNPACK, wide ones keep it."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax import lax

import hoarfrost
from hoarfrost import layers
from hoarfrost.engine import xla_options


def _jaxpr(fun, *shapes):
    return jax.make_jaxpr(fun)(*(jnp.zeros(s, jnp.float32) for s in shapes)).jaxpr


def test_small_batch_dense_is_narrow():
    jaxpr = _jaxpr(lambda x, w: jax.nn.relu(x @ w), (32, 784), (784, 300))
    assert not xla_options.has_wide_matmul(jaxpr)
    assert xla_options.options_for(jaxpr, "cpu") == {"xla_cpu_experimental_ynn_fusion_type": ""}


def test_convolution_patches_are_wide():
    # im2col: (batch, rows, cols, window * channels) @ (window * channels, filters)
    jaxpr = _jaxpr(lambda p, k: p @ k, (128, 26, 26, 9), (9, 32))
    assert xla_options.has_wide_matmul(jaxpr)
    assert xla_options.options_for(jaxpr, "cpu") == {}


def test_kernel_gradient_layout_does_not_count_as_wide():
    # x^T @ dy contracts the rows: YNNPACK never takes it, however large its output.
    jaxpr = _jaxpr(lambda x, dy: lax.dot_general(x, dy, (((0,), (0,)), ((), ()))),
                   (32, 784), (32, 300))
    assert not xla_options.has_wide_matmul(jaxpr)


def test_matmuls_nested_in_loops_are_seen():
    def body(carry, x):
        return carry, x @ carry
    jaxpr = _jaxpr(lambda w, xs: lax.scan(body, w, xs)[1], (256, 256), (4, 512, 256))
    assert xla_options.has_wide_matmul(jaxpr)


def test_other_platforms_keep_xla_defaults():
    jaxpr = _jaxpr(lambda x, w: x @ w, (32, 784), (784, 300))
    assert xla_options.options_for(jaxpr, "gpu") == {}


def test_an_option_this_jaxlib_lacks_falls_back_to_defaults(monkeypatch):
    monkeypatch.setattr(xla_options, "_NO_YNN", {"xla_cpu_no_such_option_hoarfrost": ""})
    monkeypatch.setattr(xla_options, "_unsupported", False)
    fun = xla_options.PlatformJit(lambda x, w: x @ w)
    x, w = jnp.ones((4, 3)), jnp.ones((3, 2))
    np.testing.assert_array_equal(fun(x, w), np.full((4, 2), 3.0))
    assert xla_options._unsupported
    np.testing.assert_array_equal(fun(x, w), np.full((4, 2), 3.0))


@pytest.mark.skipif(jax.default_backend() != "cpu", reason="the choice is made on CPU")
def test_mlp_training_step_is_compiled_without_ynnpack_fusions():
    model = hoarfrost.Sequential([layers.Dense(64, activation="relu", input_dim=32),
                                  layers.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    x = np.random.default_rng(0).random((64, 32), np.float32)
    y = np.arange(64) % 10
    model.fit(x, y, batch_size=32, epochs=1, verbose=0)
    (builder,) = model._builders.values()
    chosen = list(builder.train_loop._chosen.values())
    assert chosen == [builder.train_loop._variant(dict(xla_options._NO_YNN))]
