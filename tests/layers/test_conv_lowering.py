"""The lowering rule and the tiled im2col: equal to XLA's convolution, gradients included."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hoarfrost.layers import conv_lowering, convolutional
from hoarfrost.layers.conv_lowering import Lowering, choose
from hoarfrost.layers.convolutional import conv_im2col, conv_xla

from tests.layers.harness import FIXTURES, check_keras_fixture


def _values_and_grads(plan, x, kernel, strides, padding, dilation, groups=1, lhs_dilation=None):
    """The output and the gradients of sum(sin(out)), in one compiled call."""
    def run(x, kernel):
        out, vjp = jax.vjp(lambda x, k: conv_lowering.apply(
            plan, conv_im2col, conv_xla, x, k, strides, padding, dilation, groups, lhs_dilation),
            x, kernel)
        return (out,) + vjp(jnp.cos(out))
    return jax.jit(run)(x, kernel)


def _assert_equal_to_xla(plan, x, kernel, *args):
    want = _values_and_grads(Lowering("xla"), x, kernel, *args)
    got = _values_and_grads(plan, x, kernel, *args)
    np.testing.assert_allclose(got[0], want[0], rtol=1e-5, atol=1e-5)
    for g, w in zip(got[1:], want[1:]):  # sums over many more terms: looser
        np.testing.assert_allclose(g, w, rtol=1e-4, atol=1e-4)


@settings(max_examples=6, deadline=None)
@given(n=st.integers(1, 5), h=st.integers(1, 9), w=st.integers(1, 7), kh=st.integers(1, 3),
       kw=st.integers(1, 3), sh=st.integers(1, 3), sw=st.integers(1, 2), dh=st.integers(1, 2),
       padding=st.sampled_from(["valid", "same"]), groups=st.sampled_from([1, 2]),
       batch_tile=st.integers(1, 3), row_tile=st.sampled_from([None, 1, 2, 3]))
def test_tiled_im2col_fuzzed_against_xla(n, h, w, kh, kw, sh, sw, dh, padding, groups,
                                         batch_tile, row_tile):
    """Any batch and row tiling (remainders included) computes XLA's values and gradients."""
    if sh > 1 and dh > 1:
        dh = 1  # Keras refuses strides > 1 with dilation > 1
    if padding == "valid" and ((kh - 1) * dh + 1 > h or kw > w):
        return  # no output
    rng = np.random.default_rng(n * 1000 + h * 10 + w)
    x = jnp.asarray(rng.normal(size=(n, h, w, 2 * groups)), jnp.float32)
    kernel = jnp.asarray(rng.normal(size=(kh, kw, 2, 2 * groups)), jnp.float32)
    plan = Lowering("im2col", batch_tile=batch_tile, row_tile=row_tile)
    _assert_equal_to_xla(plan, x, kernel, (sh, sw), padding, (dh, 1), groups)


TRANSPOSED_CASES = [
    # x shape, kernel shape, explicit pads, lhs_dilation (Conv2DTranspose's call), plan
    ((3, 4, 5, 3), (3, 3, 3, 2), [(2, 3), (1, 2)], (2, 3), Lowering("im2col", 2, None)),
    ((2, 4, 3, 2), (2, 3, 2, 4), [(1, 1), (2, 2)], (2, 2), Lowering("im2col", 1, 2)),
    ((2, 5, 3), (3, 3, 4), [(2, 2)], (3,), Lowering("im2col", 1, 4)),  # 1D
]


@pytest.mark.parametrize("case", TRANSPOSED_CASES, ids=[str(i) for i in range(3)])
def test_tiled_transposed_convolution_equals_xla(case):
    x_shape, k_shape, pads, lhs_dilation, plan = case
    rng = np.random.default_rng(0)
    x = jnp.asarray(rng.normal(size=x_shape), jnp.float32)
    kernel = jnp.asarray(rng.normal(size=k_shape), jnp.float32)
    rank = len(x_shape) - 2
    _assert_equal_to_xla(plan, x, kernel, (1,) * rank, pads, (1,) * rank, 1, lhs_dilation)


def test_the_rule_tiles_by_batch_then_rows_and_never_falls_back_to_xla_on_cpu():
    x, kernel = (8, 10, 10, 4), (3, 3, 4, 16)
    per_sample = 10 * 10 * 9 * 4  # "same": one patch row of 9 taps x 4 channels per output pixel
    assert conv_lowering.patch_elements(x, kernel, (1, 1), "same", (1, 1)) == 8 * per_sample
    args = (x, kernel, (1, 1), "same", (1, 1))
    assert choose(*args, backend="cpu", budget=8 * per_sample) == Lowering("im2col")
    assert choose(*args, backend="cpu", budget=3 * per_sample) == Lowering("im2col", 3)
    assert choose(*args, backend="cpu", budget=per_sample // 3) == Lowering("im2col", 1, 3)
    assert choose(*args, backend="cpu", budget=1) == Lowering("im2col", 1, 1)
    assert choose(*args, backend="gpu", budget=1) == Lowering("xla")
    # Fewer than NARROW_FILTERS filters: XLA's convolution, unless grouped (depthwise).
    narrow = (x, (3, 3, 4, conv_lowering.NARROW_FILTERS - 1), (1, 1), "same", (1, 1))
    assert choose(*narrow, backend="cpu") == Lowering("xla")
    assert choose(*narrow, backend="cpu", groups=4) == Lowering("im2col")
    batch, = jax.export.symbolic_shape("b")  # a size known only when the program runs
    assert choose((batch, 10, 10, 4), kernel, (1, 1), "same", (1, 1),
                  backend="cpu") == Lowering("xla")
    # A transposed convolution's patches count the zeros its input dilation inserts.
    transposed = (x, kernel, (1, 1), [(1, 1), (1, 1)], (1, 1), (2, 2))
    assert conv_lowering.patch_elements(*transposed) == 8 * 19 * 19 * 9 * 4
    assert choose(*transposed, backend="cpu", budget=8 * per_sample) == Lowering("im2col", 2)


@pytest.mark.parametrize("name", ["conv_2d_groups", "conv_2d_channels_first_same_strided",
                                  "conv_depthwise", "conv_transpose_output_padding_same"])
def test_layers_match_keras_when_tiled(name, monkeypatch):
    """A patch budget of a few elements tiles every layer by single output rows."""
    monkeypatch.setattr(conv_lowering, "PATCH_BUDGET", 8)
    monkeypatch.setattr(conv_lowering, "NARROW_FILTERS", 0)  # the fixtures' filters are few
    class_name = str(np.load(FIXTURES / f"{name}.npz")["class_name"])
    check_keras_fixture(name, cls=getattr(convolutional, class_name))
