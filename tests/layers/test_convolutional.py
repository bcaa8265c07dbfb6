import json

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hoarfrost import Input, Model, layers
from hoarfrost.layers import conv_lowering, convolutional
from hoarfrost.layers.convolutional import (Conv1D, Conv2D, Conv2DTranspose, DepthwiseConv2D,
                                            SeparableConv2D, conv_im2col, conv_xla)

from tests.layers.harness import FIXTURES, check_keras_fixture, run_layer_test


# --- the generic harness, several argument combinations per layer -------------
@pytest.mark.parametrize("kwargs, input_shape, output_shape", [
    ({"filters": 4, "kernel_size": 3}, (2, 8, 3), (2, 6, 4)),
    ({"filters": 4, "kernel_size": 3, "padding": "causal", "dilation_rate": 2,
      "activation": "relu"}, (2, 8, 2), (2, 8, 4)),
    ({"filters": 4, "kernel_size": 2, "strides": 3, "padding": "same", "groups": 2,
      "data_format": "channels_first", "kernel_regularizer": "l2"}, (2, 4, 8), (2, 4, 3)),
])
def test_conv1d(kwargs, input_shape, output_shape):
    channels = input_shape[1] if kwargs.get("data_format") == "channels_first" else input_shape[-1]
    groups = kwargs.get("groups", 1)
    params = kwargs["kernel_size"] * channels // groups * kwargs["filters"] + kwargs["filters"]
    run_layer_test(Conv1D, kwargs, input_shape, output_shape, params)


@pytest.mark.parametrize("kwargs, input_shape, output_shape, params", [
    ({"filters": 3, "kernel_size": 2}, (2, 5, 4, 2), (2, 4, 3, 3), 2 * 2 * 2 * 3 + 3),
    ({"filters": 4, "kernel_size": (3, 2), "strides": (2, 1), "padding": "same",
      "activation": "relu", "use_bias": False}, (2, 5, 4, 2), (2, 3, 4, 4), 3 * 2 * 2 * 4),
    ({"filters": 6, "kernel_size": 3, "groups": 3, "dilation_rate": (1, 2),
      "data_format": "channels_first", "bias_regularizer": "l1"}, (2, 3, 6, 7), (2, 6, 4, 3),
     3 * 3 * 1 * 6 + 6),
])
def test_conv2d(kwargs, input_shape, output_shape, params):
    run_layer_test(Conv2D, kwargs, input_shape, output_shape, params)


@pytest.mark.parametrize("kwargs, input_shape, output_shape, params", [
    ({"kernel_size": 3, "depth_multiplier": 2}, (2, 5, 6, 3), (2, 3, 4, 6), 3 * 3 * 3 * 2 + 6),
    ({"kernel_size": 2, "strides": 2, "padding": "same", "data_format": "channels_first",
      "use_bias": False}, (2, 3, 5, 4), (2, 3, 3, 2), 2 * 2 * 3),
])
def test_depthwise_conv2d(kwargs, input_shape, output_shape, params):
    run_layer_test(DepthwiseConv2D, kwargs, input_shape, output_shape, params)


@pytest.mark.parametrize("kwargs, input_shape, output_shape, params", [
    ({"filters": 4, "kernel_size": 3, "depth_multiplier": 2}, (2, 5, 6, 3), (2, 3, 4, 4),
     3 * 3 * 3 * 2 + 6 * 4 + 4),
    ({"filters": 2, "kernel_size": 2, "strides": 2, "padding": "same", "activation": "relu",
      "data_format": "channels_first"}, (2, 3, 5, 4), (2, 2, 3, 2), 2 * 2 * 3 + 3 * 2 + 2),
])
def test_separable_conv2d(kwargs, input_shape, output_shape, params):
    layer = run_layer_test(SeparableConv2D, kwargs, input_shape, output_shape, params)
    assert [w.path.split("/")[1] for w in layer.weights] == [
        "depthwise_kernel", "pointwise_kernel", "bias"]


@pytest.mark.parametrize("kwargs, input_shape, output_shape, params", [
    ({"filters": 3, "kernel_size": 3}, (2, 4, 5, 2), (2, 6, 7, 3), 3 * 3 * 3 * 2 + 3),
    ({"filters": 2, "kernel_size": 3, "strides": 2, "padding": "same"}, (2, 4, 5, 2),
     (2, 8, 10, 2), 3 * 3 * 2 * 2 + 2),
    ({"filters": 2, "kernel_size": (3, 2), "strides": (2, 3), "output_padding": (1, 2),
      "data_format": "channels_first"}, (2, 2, 3, 4), (2, 2, 8, 13), 3 * 2 * 2 * 2 + 2),
])
def test_conv2d_transpose(kwargs, input_shape, output_shape, params):
    layer = run_layer_test(Conv2DTranspose, kwargs, input_shape, output_shape, params)
    assert layer.kernel.shape == layer.kernel_size + (kwargs["filters"], 2)


# --- shapes ---------------------------------------------------------------------------
def _keras_length(n, k, s, d, padding):
    if padding == "valid":
        return int(np.floor((n - d * (k - 1) - 1) / s)) + 1
    return int(np.floor((n - 1) / s)) + 1


@settings(max_examples=20, deadline=None)
@given(h=st.integers(1, 12), w=st.integers(1, 12), k=st.integers(1, 4), s=st.integers(1, 3),
       d=st.integers(1, 3), padding=st.sampled_from(["valid", "same"]),
       channels_first=st.booleans())
def test_conv2d_output_shape_fuzzed_against_keras_formula(h, w, k, s, d, padding,
                                                          channels_first):
    if s > 1:
        d = 1  # Keras forbids strides > 1 with dilation_rate > 1
    out_h, out_w = (_keras_length(n, k, s, d, padding) for n in (h, w))
    fmt = "channels_first" if channels_first else "channels_last"
    layer = Conv2D(2, (k, k), strides=s, padding=padding, dilation_rate=d, data_format=fmt)
    shape = (None, 3, h, w) if channels_first else (None, h, w, 3)
    if min(out_h, out_w) <= 0:
        with pytest.raises(ValueError, match="output would be empty"):
            layer.build(shape)
        return
    layer.build(shape)
    expected = (None, 2, out_h, out_w) if channels_first else (None, out_h, out_w, 2)
    assert layer.compute_output_shape(shape) == expected  # abstract evaluation of call()


# --- Keras differential fixtures -------------------------------------------------------
CONV_FIXTURES = sorted(p.stem for p in FIXTURES.glob("conv_*.npz"))


def test_every_conv_layer_has_keras_fixtures():
    names = {str(np.load(FIXTURES / f"{n}.npz")["class_name"]) for n in CONV_FIXTURES}
    assert names == {"Conv1D", "Conv2D", "DepthwiseConv2D", "SeparableConv2D", "Conv2DTranspose"}


@pytest.mark.parametrize("name", CONV_FIXTURES)
def test_matches_keras(name):
    class_name = str(np.load(FIXTURES / f"{name}.npz")["class_name"])
    check_keras_fixture(name, cls=getattr(convolutional, class_name))


@pytest.mark.parametrize("name", ["conv_1d_causal_dilated_relu", "conv_2d_groups",
                                  "conv_2d_channels_first_same_strided", "conv_depthwise",
                                  "conv_separable_same_strided_relu",
                                  "conv_transpose_output_padding_same"])
def test_matches_keras_with_xla_convolution(name, monkeypatch):
    """The lowering used off CPU (forced here) matches Keras too."""
    monkeypatch.setattr(conv_lowering, "choose", lambda *a, **k: conv_lowering.Lowering("xla"))
    class_name = str(np.load(FIXTURES / f"{name}.npz")["class_name"])
    check_keras_fixture(name, cls=getattr(convolutional, class_name))


def test_keras_weights_load_into_a_model_and_match_in_a_jitted_step():
    """The fixture's weights work inside a compiled predict (the lowering used by fit)."""
    data = np.load(FIXTURES / "conv_2d_same_strides_relu.npz")
    x = data["input_0"]
    inputs = Input(shape=x.shape[1:])
    model = Model(inputs, Conv2D(**json.loads(str(data["kwargs"])))(inputs))
    model.set_weights([data["weight_0"], data["weight_1"]])
    np.testing.assert_allclose(model.predict(x, verbose=0), data["output_inference_0"],
                               rtol=1e-5, atol=1e-5)


# --- the CPU lowering equals XLA's convolution ---------------------------------------
LOWERING_CASES = [
    # x shape (channels last), kernel shape, strides, padding, dilation, groups, lhs_dilation
    ((1, 9, 8, 4), (3, 3, 4, 5), (1, 1), "valid", (1, 1), 1, None),
    ((1, 9, 8, 4), (2, 4, 4, 5), (2, 3), "same", (1, 1), 1, None),  # even window: uneven pads
    ((1, 9, 8, 4), (3, 3, 4, 6), (1, 1), "same", (2, 3), 1, None),
    ((1, 9, 8, 4), (3, 3, 2, 6), (1, 2), "valid", (1, 1), 2, None),
    ((1, 9, 8, 4), (3, 3, 1, 8), (2, 2), "same", (1, 1), 4, None),  # depthwise, multiplier 2
    ((1, 4, 5, 3), (3, 3, 3, 2), (1, 1), [(2, 3), (1, 2)], (1, 1), 1, (2, 3)),  # transposed
    ((2, 11, 4), (2, 2, 6), (1,), "same", (3,), 2, None),  # 1D
    ((2, 10, 9, 3), (3, 2, 3, 4), (3, 2), "valid", (1, 2), 1, None),  # last rows never read
    ((1, 5, 6, 4, 2), (2, 3, 2, 2, 3), (1, 2, 1), "same", (1, 1, 2), 1, None),  # 3D
]
@pytest.mark.parametrize("case", LOWERING_CASES, ids=[str(i) for i in range(len(LOWERING_CASES))])
def test_im2col_lowering_equals_xla_convolution_with_gradients(case):
    x_shape, k_shape, strides, padding, dilation, groups, lhs_dilation = case
    rng = np.random.default_rng(0)
    x = jnp.asarray(rng.normal(size=x_shape), jnp.float32)
    kernel = jnp.asarray(rng.normal(size=k_shape), jnp.float32)

    def forward_and_grads(fn):
        def run(x, k):
            out, vjp = jax.vjp(lambda x, k: fn(x, k, strides, padding, dilation, groups,
                                               lhs_dilation), x, k)
            return (out,) + vjp(jnp.cos(out))  # the gradients of sum(sin(out))
        return jax.jit(run)(x, kernel)

    want, got = forward_and_grads(conv_xla), forward_and_grads(conv_im2col)
    np.testing.assert_allclose(got[0], want[0], rtol=1e-5, atol=1e-5)
    for g, w in zip(got[1:], want[1:]):  # sums over many more terms: looser
        np.testing.assert_allclose(g, w, rtol=1e-4, atol=1e-4)


@settings(max_examples=8, deadline=None)
@given(h=st.integers(1, 9), w=st.integers(1, 9), kh=st.integers(1, 3), kw=st.integers(1, 3),
       sh=st.integers(1, 3), sw=st.integers(1, 3), dh=st.integers(1, 2), dw=st.integers(1, 2),
       padding=st.sampled_from(["valid", "same"]), channels=st.integers(1, 3))
def test_im2col_gradients_fuzzed_against_xla(h, w, kh, kw, sh, sw, dh, dw, padding, channels):
    """The hand-written input and kernel gradients hold for any window, stride and dilation."""
    window_h, window_w = (kh - 1) * dh + 1, (kw - 1) * dw + 1
    if padding == "valid" and (window_h > h or window_w > w):
        return  # no output
    rng = np.random.default_rng(h * 100 + w)
    x = jnp.asarray(rng.normal(size=(2, h, w, channels)), jnp.float32)
    kernel = jnp.asarray(rng.normal(size=(kh, kw, channels, 2)), jnp.float32)
    args = ((sh, sw), padding, (dh, dw))

    def grads(fn):
        out, vjp = jax.vjp(lambda x, k: fn(x, k, *args), x, kernel)
        return (out,) + vjp(jnp.cos(out))

    for got, want in zip(grads(conv_im2col), grads(conv_xla)):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)


def _uses_xla_conv(filters: int = 8) -> bool:
    """Whether a differentiated convolution (forward and gradient) runs XLA's."""
    x, kernel = jnp.zeros((2, 6, 6, 3)), jnp.zeros((3, 3, 3, filters))
    # A fresh function each time, so no trace cache hides the backend's change.
    loss = lambda x, k: convolutional.conv(x, k, (1, 1), "same", (1, 1)).sum()  # noqa: E731
    run = jax.grad(loss, argnums=(0, 1))
    return "conv_general_dilated" in str(jax.make_jaxpr(run)(x, kernel))


def test_lowering_is_chosen_by_backend_and_size(monkeypatch):
    monkeypatch.setattr(jax, "default_backend", lambda: "cpu")
    assert not _uses_xla_conv()
    monkeypatch.setattr(conv_lowering, "PATCH_BUDGET", 100)
    assert not _uses_xla_conv()  # patches too large: tiled im2col, never XLA's gradient
    assert _uses_xla_conv(filters=3)  # too few filters for a patch matmul to pay
    monkeypatch.setattr(jax, "default_backend", lambda: "gpu")
    assert _uses_xla_conv()


def _primitives(fun, *args) -> set:
    """The primitives `fun` runs (nested calls included)."""
    names, stack = set(), [jax.make_jaxpr(fun)(*args).jaxpr]
    while stack:
        for eqn in stack.pop().eqns:
            names.add(eqn.primitive.name)
            for param in eqn.params.values():
                for sub in param if isinstance(param, (list, tuple)) else [param]:
                    sub = getattr(sub, "jaxpr", sub)
                    if hasattr(sub, "eqns"):
                        stack.append(sub)
    return names


def test_a_frozen_convolution_builds_no_patches(monkeypatch):
    """No wasted work: a convolution no gradient flows through (a frozen backbone
    under a trainable head, inference) runs XLA's forward convolution, never the
    im2col patches that only its gradient needs; a trained kernel still gets them."""
    monkeypatch.setattr(jax, "default_backend", lambda: "cpu")
    rng = np.random.default_rng(0)
    x = jnp.asarray(rng.normal(size=(2, 7, 7, 3)), jnp.float32)
    kernel = jnp.asarray(rng.normal(size=(3, 3, 3, 8)), jnp.float32)
    head = jnp.asarray(rng.normal(size=(8, 2)), jnp.float32)

    def loss(head, kernel, x):
        features = convolutional.conv(x, kernel, (2, 1), "same", (1, 1)).mean(axis=(1, 2))
        return jnp.sum(jnp.sin(features @ head))

    frozen_backbone = _primitives(jax.grad(loss), head, kernel, x)
    assert "conv_general_dilated" in frozen_backbone
    assert "concatenate" not in frozen_backbone  # the patches: 9 window slices side by side
    trained = _primitives(jax.grad(loss, argnums=1), head, kernel, x)
    assert "conv_general_dilated" not in trained and "concatenate" in trained
    # The two forward passes agree within float32 rounding, and the gradient is XLA's.
    inference = conv_im2col(x, kernel, (2, 1), "same", (1, 1))
    differentiated, vjp = jax.vjp(lambda k: conv_im2col(x, k, (2, 1), "same", (1, 1)), kernel)
    np.testing.assert_allclose(inference, differentiated, rtol=1e-5, atol=1e-5)
    _, xla_vjp = jax.vjp(lambda k: conv_xla(x, k, (2, 1), "same", (1, 1)), kernel)
    np.testing.assert_allclose(vjp(jnp.cos(inference))[0], xla_vjp(jnp.cos(inference))[0],
                               rtol=1e-4, atol=1e-4)


def test_a_frozen_conv_backbone_stays_bit_identical_under_a_trained_head():
    """`fit` with a frozen convolutional backbone (BatchNormalization included) trains
    the head only: every backbone variable bit-identical, its BN in inference mode."""
    inputs = Input((8, 8, 3))
    h = layers.Conv2D(8, 3, padding="same", use_bias=False)(inputs)
    h = layers.Activation("relu")(layers.BatchNormalization()(h))
    h = layers.Conv2D(8, 3, strides=2, padding="same")(h)
    backbone = Model(inputs, layers.GlobalAveragePooling2D()(h))
    backbone.trainable = False
    model = Model(inputs, layers.Dense(2, activation="softmax")(backbone(inputs)))
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    rng = np.random.default_rng(0)
    x = rng.normal(size=(16, 8, 8, 3)).astype("float32")
    y = rng.integers(0, 2, 16)
    before = [np.array(w) for w in backbone.weights]
    head_before = [np.array(w) for w in model.layers[-1].weights]
    want = np.asarray(backbone(x))  # inference mode: the frozen backbone's features
    model.fit(x, y, batch_size=8, epochs=2, verbose=0)
    assert all(np.array_equal(b, np.array(w)) for b, w in zip(before, backbone.weights))
    assert not any(np.array_equal(b, np.array(w))
                   for b, w in zip(head_before, model.layers[-1].weights))
    np.testing.assert_array_equal(np.asarray(backbone(x)), want)


# --- errors name the layer, the expected and the given -------------------------------
def test_wrong_channel_count_names_the_layer():
    layer = Conv2D(2, 3, name="features")
    layer(np.zeros((1, 5, 5, 3), np.float32))
    with pytest.raises(ValueError, match=r'"features".*axis -1.*value 3.*\(1, 5, 5, 4\)'):
        layer(np.zeros((1, 5, 5, 4), np.float32))


def test_wrong_rank_names_the_layer():
    with pytest.raises(ValueError, match=r'"c1".*expected ndim=4, found ndim=3'):
        Conv2D(2, 3, name="c1")(np.zeros((1, 5, 5), np.float32))


def test_wrong_channel_count_in_a_graph_names_the_layer():
    layer = Conv2D(2, 3, name="stem")
    layer(Input(shape=(6, 6, 1)))
    with pytest.raises(ValueError, match=r'"stem".*value 1.*\(None, 6, 6, 3\)'):
        layer(Input(shape=(6, 6, 3)))


@pytest.mark.parametrize("make, match", [
    (lambda: Conv2D(4, 3, groups=3), r"Conv2D: `filters` must be divisible by `groups`.*4.*3"),
    (lambda: Conv2D(0, 3), r"Conv2D: `filters` must be a positive integer, got 0"),
    (lambda: Conv2D(4, (3, 3, 3)), r"Conv2D: `kernel_size` must be an integer or a tuple of 2"),
    (lambda: Conv2D(4, 3, strides=0), r"Conv2D: `strides` must hold integers >= 1"),
    (lambda: Conv2D(4, 3, padding="full"), r"Conv2D: `padding` must be one of 'valid', 'same'"),
    (lambda: Conv2D(4, 3, padding="causal"), r"Conv2D: `padding`.*'causal'"),
    (lambda: Conv1D(4, 3, strides=2, dilation_rate=2), r"Conv1D: `strides > 1`.*dilation"),
    (lambda: Conv2D(4, 3, data_format="NHWC"), r"Conv2D: `data_format`.*'NHWC'"),
    (lambda: Conv2DTranspose(4, 3, strides=2, output_padding=2), r"output_padding.*smaller"),
    (lambda: DepthwiseConv2D(3, depth_multiplier=0), r"`depth_multiplier` must be a positive"),
])
def test_bad_arguments_are_named(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_groups_must_divide_input_channels():
    with pytest.raises(ValueError, match=r'"g".*divisible by groups=2.*3 channels'):
        Conv2D(4, 1, groups=2, name="g")(np.zeros((1, 2, 2, 3), np.float32))


def test_window_larger_than_input_is_an_error_naming_the_layer():
    with pytest.raises(ValueError, match=r'"big".*output would be empty.*\(None, 2, 2, 1\)'):
        Conv2D(1, 3, name="big")(np.zeros((1, 2, 2, 1), np.float32))


# --- behaviour ----------------------------------------------------------------------------
def test_causal_conv1d_never_sees_the_future():
    layer = Conv1D(2, 3, padding="causal", dilation_rate=2)
    x = np.random.default_rng(0).normal(size=(1, 10, 2)).astype("float32")
    out = np.asarray(layer(x))
    x2 = x.copy()
    x2[:, 6:] += 1.0
    out2 = np.asarray(layer(x2))
    np.testing.assert_array_equal(out[:, :6], out2[:, :6])
    assert not np.allclose(out[:, 6:], out2[:, 6:])


def test_kernel_regularizer_adds_a_penalty_while_trainable():
    layer = Conv2D(2, 2, kernel_regularizer="l2", name="reg")
    layer.build((None, 3, 3, 1))
    assert layer.kernel.regularizer is not None and layer.bias.regularizer is None
    assert layer.get_config()["kernel_regularizer"] == {"class_name": "L2",
                                                        "config": {"l2": 0.01}}


def test_small_cnn_trains_and_frozen_conv_stays_bit_identical():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 8, 8, 1)).astype("float32")
    y = (x[:, :4].mean(axis=(1, 2, 3)) > x[:, 4:].mean(axis=(1, 2, 3))).astype("int32")
    inputs = Input(shape=(8, 8, 1))
    from hoarfrost.layers.pooling import MaxPooling2D
    h = Conv2D(4, 3, activation="relu", name="c1")(inputs)
    h = MaxPooling2D()(h)
    h = Conv2D(4, 3, padding="same", activation="relu", name="c2")(h)
    outputs = layers.Dense(2, activation="softmax")(layers.Flatten()(h))
    model = Model(inputs, outputs)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.get_layer("c1").trainable = False
    frozen = [w.numpy() for w in model.get_layer("c1").weights]
    trained = [w.numpy() for w in model.get_layer("c2").weights]
    history = model.fit(x, y, epochs=8, batch_size=8, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    for before, w in zip(frozen, model.get_layer("c1").weights):
        assert np.array_equal(before, w.numpy())
    assert not np.array_equal(trained[0], model.get_layer("c2").kernel.numpy())
