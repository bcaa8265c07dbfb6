"""Keras mask propagation: Embedding(mask_zero) / Masking -> RNNs, pooling,
merges, the loss and the metrics, against Keras fixtures
(tools/keras_fixtures/masking.py)."""

from __future__ import annotations

import json
import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from hoarfrost import Input, Model, Sequential, layers, losses, metrics, optimizers
from hoarfrost.masking import get_mask, set_mask

from .harness import FIXTURES

SEQUENTIAL = ["mask_emb_lstm", "mask_emb_gru", "mask_emb_gru_seq", "mask_emb_bilstm",
              "mask_emb_bilstm_seq", "mask_emb_gap", "mask_masking_simple_rnn_seq",
              "mask_masking_simple_rnn"]
PADDED = ["mask_emb_lstm", "mask_emb_gru", "mask_emb_bilstm", "mask_emb_gap",
          "mask_masking_simple_rnn"]


def _layer(class_name, kwargs):
    kwargs = dict(kwargs)
    if class_name == "Bidirectional":
        inner, inner_kwargs = kwargs.pop("layer")
        return layers.Bidirectional(_layer(inner, inner_kwargs), **kwargs)
    return getattr(layers, class_name)(**kwargs)


def _sequential(data, x=None):
    x = data["input_0"] if x is None else x
    specs = json.loads(str(data["layers"]))
    model = Sequential([Input(x.shape[1:], dtype=str(x.dtype))]
                       + [_layer(c, k) for c, k in specs])
    model.set_weights([data[f"weight_{i}"] for i in range(int(data["num_weights"]))])
    return model


def _functional(data, x=None):
    x = data["input_0"] if x is None else x
    inputs = Input(x.shape[1:], dtype=str(x.dtype))
    outputs = inputs
    for c, k in json.loads(str(data["layers"])):
        outputs = _layer(c, k)(outputs)
    model = Model(inputs, outputs)
    model.set_weights([data[f"weight_{i}"] for i in range(int(data["num_weights"]))])
    return model


def _close(actual, expected, what):
    np.testing.assert_allclose(np.asarray(actual), expected, rtol=1e-5, atol=1e-5, err_msg=what)


@pytest.mark.parametrize("name", SEQUENTIAL)
def test_sequential_matches_keras(name):
    data = np.load(FIXTURES / f"{name}.npz")
    model = _sequential(data)
    out = model(data["input_0"])
    _close(out, data["output"], name)
    if "output_mask" in data:
        np.testing.assert_array_equal(np.asarray(get_mask(out)), data["output_mask"])
    else:
        assert get_mask(out) is None


def test_masks_travel_with_tracers_under_jit():
    data = np.load(FIXTURES / "mask_emb_gru_seq.npz")
    model = _sequential(data)
    traced, traced_mask = jax.jit(lambda x: (lambda y: (y, get_mask(y)))(model(x)))(
        data["input_0"])
    _close(traced, data["output"], "under jit")
    np.testing.assert_array_equal(np.asarray(traced_mask), data["output_mask"])


@pytest.mark.parametrize("name", ["mask_emb_lstm", "mask_emb_bilstm_seq"])
def test_functional_equivalent_matches_keras(name):
    data = np.load(FIXTURES / f"{name}.npz")
    model = _functional(data)
    _close(model.predict(data["input_0"], verbose=0), data["output"], f"{name} predict")


@pytest.mark.parametrize("name", PADDED)
def test_padding_does_not_change_the_result(name):
    """Zeros before or after a post-padded sequence give Keras's unpadded output."""
    data = np.load(FIXTURES / f"{name}.npz")
    for key in ("pre", "post"):
        x = data[f"input_{key}"]
        out = _sequential(data, x)(x)
        _close(out, data[f"output_{key}"], f"{name} {key}-padded")
        _close(out, data["output"], f"{name} {key}-padded vs unpadded")


def test_functional_merge_graph_matches_keras():
    data = np.load(FIXTURES / "mask_functional_merge.npz")
    tokens_in = data["input_0"]
    tokens = Input(tokens_in.shape[1:], dtype="int32")
    e = layers.Embedding(8, 4, mask_zero=True, name="emb")(tokens)
    d = layers.Dense(4, name="dense")(e)
    g = layers.GRU(3, return_sequences=True, name="gru")(layers.Maximum()([e, d]))
    c = layers.Concatenate()([g, layers.Multiply()([e, d])])
    model = Model(tokens, layers.GlobalAveragePooling1D()(c))
    for name, count in (("emb", 1), ("dense", 2), ("gru", 3)):
        model.get_layer(name).set_weights([data[f"{name}_{i}"] for i in range(count)])
    _close(model(tokens_in), data["output"], "mask_functional_merge")


def test_loss_and_metrics_use_the_output_mask_as_keras_and_fit_trains():
    data = np.load(FIXTURES / "mask_loss_seq.npz")
    x, y = data["input_0"], data["y"]
    model = _sequential(data)
    optimizer = optimizers.SGD(0.0)
    model.compile(optimizer=optimizer, loss="mse", metrics=["mae"])
    results = model.evaluate(x, y, batch_size=2, verbose=0, return_dict=True)
    np.testing.assert_allclose(results["loss"], data["evaluate_loss"], rtol=1e-5)
    np.testing.assert_allclose(results["mae"], data["evaluate_mae"], rtol=1e-5)
    history = model.fit(x, y, batch_size=2, epochs=1, shuffle=False, verbose=0).history
    np.testing.assert_allclose(history["loss"][0], data["fit_loss"], rtol=1e-5)
    # Keras on JAX loses the mask for fit's metrics (not for evaluate's); here
    # fit's metrics are masked too, so they equal evaluate's.
    np.testing.assert_allclose(history["mae"][0], data["evaluate_mae"], rtol=1e-5)

    # Targets at padded steps never count: huge ones change nothing, and the
    # model learns the others (token parity) through them.
    target = np.stack([x % 2, -(x % 2)], -1).astype("float32")
    garbage = np.where((x == 0)[..., None], 1e3, target).astype("float32")
    start = model.evaluate(x, target, batch_size=2, verbose=0)
    np.testing.assert_allclose(model.evaluate(x, garbage, batch_size=2, verbose=0), start,
                               rtol=1e-6)
    optimizer.learning_rate = 1.0
    model.fit(x, garbage, batch_size=2, epochs=30, verbose=0)
    end = model.evaluate(x, garbage, batch_size=2, verbose=0)
    assert end[0] < 0.25 * start[0], (start, end)


# --- the mechanism -----------------------------------------------------------------
def test_masking_layer():
    x = jnp.array([[[1.0, 0.0], [0.0, 0.0], [2.0, 3.0]]])
    layer = layers.Masking()
    out = layer(x)
    np.testing.assert_array_equal(np.asarray(get_mask(out)), [[True, False, True]])
    np.testing.assert_array_equal(np.asarray(layer.compute_mask(x)), [[True, False, True]])
    fives = layers.Masking(mask_value=5.0)(jnp.array([[[5.0, 5.0], [5.0, 1.0]]]))
    np.testing.assert_array_equal(np.asarray(fives), [[[0.0, 0.0], [5.0, 1.0]]])
    config = layer.get_config()
    assert config["mask_value"] == 0.0
    assert layers.Masking.from_config(config).get_config() == config
    symbolic = layers.Masking()(Input((3, 2)))
    assert symbolic.shape == (None, 3, 2)


def test_supports_masking_defaults_as_keras():
    class Plain(layers.Layer):
        def call(self, inputs):
            return inputs * 2

    class WithMask(layers.Layer):
        def call(self, inputs):
            return inputs * 2

        def compute_mask(self, inputs, previous_mask=None):
            return previous_mask

    assert not Plain().supports_masking
    assert WithMask().supports_masking
    assert layers.Dense(2).supports_masking and layers.LSTM(2).supports_masking
    assert not layers.Flatten().supports_masking
    assert not layers.Embedding(3, 2).supports_masking
    assert layers.Embedding(3, 2, mask_zero=True).supports_masking
    layer = Plain()
    layer.supports_masking = True
    assert layer.supports_masking

    tokens = jnp.array([[1, 2, 0]])
    embedded = layers.Embedding(3, 2, mask_zero=True)(tokens)
    assert get_mask(WithMask()(embedded)) is not None
    with pytest.warns(UserWarning, match="Flatten.*does not support masking"):
        assert get_mask(layers.Flatten()(embedded)) is None


def test_mask_argument_injected_and_explicit_mask_wins():
    seen = []

    class Probe(layers.Layer):
        def call(self, inputs, mask=None):
            seen.append(None if mask is None else np.asarray(mask))
            return inputs

    x = jnp.ones((1, 3, 2))
    Probe()(x)
    set_mask(x, jnp.array([[True, False, True]]))
    Probe()(x)
    Probe()(x, mask=jnp.array([[False, False, True]]))
    assert seen[0] is None
    np.testing.assert_array_equal(seen[1], [[True, False, True]])
    np.testing.assert_array_equal(seen[2], [[False, False, True]])


def test_merge_masks_combine_as_keras():
    a, b = jnp.ones((1, 3, 2)), jnp.full((1, 3, 2), 2.0)
    set_mask(a, jnp.array([[True, False, False]]))
    set_mask(b, jnp.array([[False, True, False]]))
    np.testing.assert_array_equal(np.asarray(get_mask(layers.Add()([a, b]))),
                                  [[True, True, False]])
    plain = jnp.ones((1, 3, 2))
    assert get_mask(layers.Add()([a, plain])) is None
    # Concatenate: an unmasked input counts as all True.
    np.testing.assert_array_equal(np.asarray(get_mask(layers.Concatenate()([a, plain]))),
                                  [[True, True, True]])
    np.testing.assert_array_equal(
        np.asarray(get_mask(layers.Concatenate(axis=1)([a, plain]))),
        [[True, False, False, True, True, True]])
    # Maximum: a masked entry takes the other input's value.
    negative = -b
    set_mask(negative, jnp.array([[False, True, False]]))
    out = layers.Maximum()([negative, a])
    np.testing.assert_array_equal(np.asarray(out)[0, :, 0], [1.0, -2.0, -2.0])
    np.testing.assert_array_equal(np.asarray(get_mask(out)), [[True, True, False]])


def test_nested_models_and_model_mask_argument():
    tokens = np.array([[3, 1, 0, 0], [2, 0, 0, 0]], "int32")
    emb = layers.Embedding(5, 3, mask_zero=True)
    inner = Sequential([layers.LSTM(2)])
    outer = Sequential([Input((4,), dtype="int32"), emb, inner])
    direct = layers.LSTM(2)
    direct(emb(tokens))
    direct.set_weights(inner.get_weights())
    _close(outer(tokens), np.asarray(direct(emb(tokens))), "nested Sequential")
    # A mask given to a model's call reaches its layers.
    vectors = np.asarray(emb(tokens))
    mask = tokens != 0
    _close(inner(vectors, mask=mask), np.asarray(direct(vectors, mask=mask)), "model mask=")


def test_loss_weights_sample_weight_and_mask():
    y_true = jnp.zeros((2, 3, 1))
    y_pred = jnp.arange(1.0, 7.0).reshape(2, 3, 1)
    set_mask(y_pred, jnp.array([[True, True, False], [True, False, False]]))
    mse = losses.MeanSquaredError()
    np.testing.assert_allclose(mse(y_true, y_pred), (1 + 4 + 16) / 3, rtol=1e-6)
    # A per-sample weight (batch,) applies across the steps (Keras raises here).
    np.testing.assert_allclose(mse(y_true, y_pred, jnp.array([1.0, 2.0])),
                               (1 + 4 + 2 * 16) / 3, rtol=1e-6)
    metric = metrics.MeanAbsoluteError()
    metric.update_state(y_true, y_pred)
    np.testing.assert_allclose(metric.result(), (1 + 2 + 4) / 3, rtol=1e-6)


def test_symbolic_tensors_carry_masks_and_call_sees_them_at_graph_build():
    """Keras 3: `x._keras_mask` on a graph's symbolic tensors, a `call(mask=)` gets the
    (symbolic) mask while the graph is built, a custom `compute_mask` built from ops runs
    on symbolic tensors, a layer without masking support drops the mask."""
    from hoarfrost import ops

    seen = []

    class Relu(layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.supports_masking = True

        def call(self, inputs):
            return ops.relu(inputs)

    class Needs(layers.Layer):
        _supports_masking = True

        def call(self, inputs, mask=None):
            seen.append(mask)
            return inputs * ops.expand_dims(ops.cast(mask, inputs.dtype), -1)

    class Half(layers.Layer):
        def call(self, inputs):
            return inputs[:, :2]

        def compute_mask(self, inputs, mask=None):
            return None if mask is None else mask[:, :2]

    inputs = Input((None,), dtype="int32")
    x = layers.Embedding(10, 3, mask_zero=True)(inputs)
    assert x._keras_mask.shape == (None, None) and x._keras_mask.dtype == bool
    x = Needs()(Relu()(x))
    assert x._keras_mask.shape == (None, None)
    assert seen[-1] is not None and seen[-1].ndim == 2  # the mask, traced at graph build
    half = Half()(x)
    assert half._keras_mask.shape == (None, None)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        flat = layers.Flatten()(half)
    assert getattr(flat, "_keras_mask", None) is None
    assert any("does not support masking" in str(w.message) for w in caught)
    model = Model(inputs, Needs()(layers.Embedding(10, 3, mask_zero=True)(inputs)))
    out = model(np.array([[1, 0, 2]]))
    np.testing.assert_array_equal(np.asarray(out)[0, 1], 0.0)
    np.testing.assert_array_equal(np.asarray(get_mask(out)), [[True, False, True]])
