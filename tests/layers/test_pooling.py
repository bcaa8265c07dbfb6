import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hoarfrost.layers import pooling
from hoarfrost.layers.pooling import (AveragePooling1D, AveragePooling2D, GlobalAveragePooling1D,
                                      GlobalAveragePooling2D, GlobalMaxPooling1D,
                                      GlobalMaxPooling2D, MaxPooling1D, MaxPooling2D)

from tests.layers.harness import FIXTURES, check_keras_fixture, run_layer_test


# --- the generic harness ------------------------------------------------------------------
@pytest.mark.parametrize("cls, kwargs, input_shape, output_shape", [
    (MaxPooling1D, {}, (2, 7, 3), (2, 3, 3)),
    (MaxPooling1D, {"pool_size": 3, "strides": 1, "padding": "same",
                    "data_format": "channels_first"}, (2, 3, 5), (2, 3, 5)),
    (MaxPooling2D, {}, (2, 5, 4, 3), (2, 2, 2, 3)),
    (MaxPooling2D, {"pool_size": (3, 2), "strides": 2, "padding": "same"}, (2, 5, 4, 3),
     (2, 3, 2, 3)),
    (AveragePooling1D, {"pool_size": 3, "padding": "same"}, (2, 7, 3), (2, 3, 3)),
    (AveragePooling2D, {"pool_size": 2, "strides": 1, "data_format": "channels_first"},
     (2, 3, 5, 4), (2, 3, 4, 3)),
    (GlobalAveragePooling1D, {}, (2, 7, 3), (2, 3)),
    (GlobalAveragePooling2D, {"keepdims": True, "data_format": "channels_first"}, (2, 3, 5, 4),
     (2, 3, 1, 1)),
    (GlobalMaxPooling1D, {"keepdims": True}, (2, 7, 3), (2, 1, 3)),
    (GlobalMaxPooling2D, {}, (2, 5, 4, 3), (2, 3)),
])
def test_pooling_layer(cls, kwargs, input_shape, output_shape):
    run_layer_test(cls, kwargs, input_shape, output_shape, 0, train=False)


def test_strides_default_to_pool_size_in_the_config():
    config = AveragePooling2D((3, 2)).get_config()
    assert config["pool_size"] == (3, 2) and config["strides"] == (3, 2)
    assert MaxPooling1D(padding="SAME").get_config()["padding"] == "same"


# --- shapes ---------------------------------------------------------------------------
def _keras_length(n, k, s, padding):
    return (n - k) // s + 1 if padding == "valid" else (n - 1) // s + 1


@settings(max_examples=20, deadline=None)
@given(h=st.integers(1, 12), w=st.integers(1, 12), ph=st.integers(1, 4), pw=st.integers(1, 4),
       s=st.one_of(st.none(), st.integers(1, 3)), padding=st.sampled_from(["valid", "same"]))
def test_max_pooling2d_output_shape_fuzzed_against_keras_formula(h, w, ph, pw, s, padding):
    layer = MaxPooling2D((ph, pw), strides=s, padding=padding)
    out_h = _keras_length(h, ph, s or ph, padding)
    out_w = _keras_length(w, pw, s or pw, padding)
    x = np.zeros((1, h, w, 2), np.float32)
    if min(out_h, out_w) <= 0:
        with pytest.raises(ValueError, match="output would be empty"):
            layer.compute_output_shape((None, h, w, 2))
        return
    assert layer.compute_output_shape((None, h, w, 2)) == (None, out_h, out_w, 2)
    assert jax.eval_shape(layer, jax.ShapeDtypeStruct(x.shape, x.dtype)).shape == (
        1, out_h, out_w, 2)


# --- Keras differential fixtures ----------------------------------------------------------
POOL_FIXTURES = sorted(p.stem for p in FIXTURES.glob("pool_*.npz"))


def test_every_pooling_layer_has_keras_fixtures():
    names = {str(np.load(FIXTURES / f"{n}.npz")["class_name"]) for n in POOL_FIXTURES}
    assert names == {"MaxPooling1D", "MaxPooling2D", "AveragePooling1D", "AveragePooling2D",
                     "GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalMaxPooling1D",
                     "GlobalMaxPooling2D"}


@pytest.mark.parametrize("name", POOL_FIXTURES)
def test_matches_keras(name):
    class_name = str(np.load(FIXTURES / f"{name}.npz")["class_name"])
    check_keras_fixture(name, cls=getattr(pooling, class_name))


# --- the CPU lowering equals reduce_window, gradients included ----------------------------
@pytest.mark.parametrize("shape, pool_size, padding, mode", [
    ((2, 9, 7, 3), (2, 2), "valid", "max"),
    ((2, 9, 7, 3), (2, 3), "same", "max"),
    ((2, 9, 7, 3), (2, 3), "same", "average"),
    ((2, 9, 7, 3), (3, 3), "valid", "average"),
    ((2, 11, 3), (3,), "same", "average"),
    ((2, 11, 3), (3,), "valid", "max"),
])
def test_tiled_lowering_equals_reduce_window(shape, pool_size, padding, mode):
    # Small integers: many ties, where max pooling must pick the same (first) element.
    x = jnp.asarray(np.random.default_rng(0).integers(-2, 3, size=shape), jnp.float32)

    def forward_and_grad(lowering):
        def run(x):
            out, vjp = jax.vjp(lambda x: pooling.pool(x, mode, pool_size, pool_size, padding,
                                                      lowering=lowering), x)
            return out, vjp(jnp.cos(out))[0]
        return jax.jit(run)(x)

    (want, want_grad), (got, got_grad) = (forward_and_grad(lowering)
                                          for lowering in ("reduce_window", "tiled"))
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(got_grad, want_grad, rtol=1e-6, atol=1e-6)


@settings(max_examples=8, deadline=None)
@given(h=st.integers(1, 9), w=st.integers(1, 9), ph=st.integers(1, 3), pw=st.integers(1, 3),
       padding=st.sampled_from(["valid", "same"]))
def test_tiled_max_pooling_gradient_fuzzed_against_reduce_window(h, w, ph, pw, padding):
    """Ties everywhere (small integers): the gradient still goes to each window's first max."""
    if padding == "valid" and (ph > h or pw > w):
        return  # no output
    x = jnp.asarray(np.random.default_rng(h * 10 + w).integers(-1, 2, size=(2, h, w, 2)),
                    jnp.float32)

    def forward_and_grad(lowering):
        out, vjp = jax.vjp(lambda x: pooling.pool(x, "max", (ph, pw), (ph, pw), padding,
                                                  lowering=lowering), x)
        return out, vjp(jnp.cos(out))[0]

    (want, want_grad), (got, got_grad) = (forward_and_grad(lowering)
                                          for lowering in ("reduce_window", "tiled"))
    assert np.array_equal(got, want)
    assert np.array_equal(got_grad, want_grad)


def test_lowering_is_chosen_by_backend_and_overlap(monkeypatch):
    def uses_reduce_window(strides):
        run = lambda x: pooling.pool(x, "max", (2, 2), strides, "valid")  # noqa: E731
        return "reduce_window" in str(jax.make_jaxpr(run)(jnp.zeros((1, 4, 4, 1))))

    monkeypatch.setattr(jax, "default_backend", lambda: "cpu")
    assert not uses_reduce_window((2, 2))
    assert uses_reduce_window((1, 1))  # overlapping windows
    monkeypatch.setattr(jax, "default_backend", lambda: "gpu")
    assert uses_reduce_window((2, 2))


# --- behaviour and errors -------------------------------------------------------------------
def test_average_pooling_same_padding_averages_only_real_elements():
    x = np.arange(1, 6, dtype=np.float32).reshape(1, 5, 1)
    out = np.asarray(AveragePooling1D(2, padding="same")(x))
    np.testing.assert_allclose(out[0, :, 0], [1.5, 3.5, 5.0])


def test_masked_global_average_pooling_ignores_masked_steps():
    x = np.arange(12, dtype=np.float32).reshape(2, 3, 2)
    mask = np.array([[True, True, False], [True, True, True]])
    out = np.asarray(GlobalAveragePooling1D()(x, mask=mask))
    np.testing.assert_allclose(out, [[1.0, 2.0], [8.0, 9.0]])


def test_wrong_rank_names_the_layer():
    with pytest.raises(ValueError, match=r'"pool".*expected ndim=4, found ndim=3'):
        MaxPooling2D(name="pool")(np.zeros((1, 4, 4), np.float32))


def test_window_larger_than_input_names_the_layer():
    with pytest.raises(ValueError, match=r'"p".*output would be empty.*pool_size=\(3, 3\)'):
        MaxPooling2D(3, name="p")(np.zeros((1, 2, 5, 1), np.float32))


@pytest.mark.parametrize("make, match", [
    (lambda: MaxPooling2D((2, 2, 2)), r"MaxPooling2D: `pool_size` must be an integer or a tuple"),
    (lambda: AveragePooling1D(2, padding="causal"), r"AveragePooling1D: `padding` must be one"),
    (lambda: MaxPooling1D(2, strides=0), r"MaxPooling1D: `strides` must hold integers >= 1"),
    (lambda: GlobalMaxPooling2D(data_format="NCHW"), r"GlobalMaxPooling2D: `data_format`"),
])
def test_bad_arguments_are_named(make, match):
    with pytest.raises(ValueError, match=match):
        make()
