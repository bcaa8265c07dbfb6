"""Keras fixtures for the preprocessing, function, wrapper, Dot, 1D reshaping,
noise and attention layers.

Run from this folder:

    cd tools/keras_fixtures && KERAS_BACKEND=jax ../../.venv-keras/bin/python extra_layers.py

Every fixture also records `config_keys` (the sorted keys of Keras's
`get_config()`), so the tests check hoarfrost's config has the same keys.

Prefixes: pre_ (Rescaling, Normalization), core_ (Identity, Lambda), td_
(TimeDistributed), merge_dot_ (Dot), reshape_ (ZeroPadding1D, Cropping1D,
UpSampling1D), reg_ (SpatialDropout1D, GaussianDropout, AlphaDropout:
inference only, their training output is random), attn_ (Attention,
AdditiveAttention) and mha_ (MultiHeadAttention).

Fixtures made with `save_fixture` follow common.py. The others (`record`)
call the layer with named arguments: `input_names` (JSON) lists them and
`in_<name>` holds each array (query, value, key, attention_mask...), or
`in_<name>_<i>` each item of a list (`input_lists`, JSON: name -> length);
`call_kwargs` holds the JSON keyword arguments; weights and outputs are
stored as in common.py. Normalization fixtures hold the `adapt` data
(`adapt_0`, ... one per batch, `adapt_batches` tells whether it was passed
as a list of batches) and the weights Keras computed by adapting.
"""

import json

import numpy as np

from common import OUT, _store, save_fixture  # noqa: E402  (run as a script from this folder)

import keras  # noqa: E402

L = keras.layers
rng = np.random.default_rng(0)


def normal(*shape, scale=1.0, shift=0.0):
    return (rng.normal(size=shape) * scale + shift).astype("float32")


def add_config_keys(name, layer_or_config):
    path = OUT / f"{name}.npz"
    data = dict(np.load(path))
    config = layer_or_config if isinstance(layer_or_config, dict) else layer_or_config.get_config()
    data["config_keys"] = np.array(json.dumps(sorted(config)))
    np.savez_compressed(path, **data)


def saved(name, cls, kwargs, inputs, **extra):
    save_fixture(name, cls, kwargs, inputs, **extra)
    add_config_keys(name, cls(**kwargs))


def record(name, class_name, kwargs, layer, inputs: dict, call_kwargs=None, seed=0,
           randomize=True, weights=None, extra=None):
    """Call `layer(**inputs, **call_kwargs)` once to build, set random weights
    (or `weights`), and store everything needed to replay the call."""
    call_kwargs = call_kwargs or {}
    layer(**inputs, **call_kwargs)
    if weights is None:
        w_rng = np.random.default_rng(seed)
        weights = layer.get_weights()
        if randomize:
            weights = [(0.5 * w_rng.normal(size=w.shape)).astype(w.dtype)
                       if np.issubdtype(w.dtype, np.floating) else w for w in weights]
    layer.set_weights(weights)
    data = {
        "class_name": np.array(class_name),
        "kwargs": np.array(json.dumps(kwargs)),
        "call_kwargs": np.array(json.dumps(call_kwargs)),
        "input_names": np.array(json.dumps(list(inputs))),
        "num_weights": np.array(len(weights)),
        "weight_paths": np.array(json.dumps([w.path for w in layer.weights])),
        "config_keys": np.array(json.dumps(sorted(layer.get_config()))),
    }
    lists = {}
    for key, value in inputs.items():
        if isinstance(value, (list, tuple)):
            lists[key] = len(value)
            for i, item in enumerate(value):
                data[f"in_{key}_{i}"] = np.asarray(item)
        else:
            data[f"in_{key}"] = np.asarray(value)
    data["input_lists"] = np.array(json.dumps(lists))
    for i, w in enumerate(layer.get_weights()):
        data[f"weight_{i}"] = np.asarray(w)
    _store(data, "inference", layer(**inputs, **call_kwargs, training=False))
    data.update(extra or {})
    np.savez_compressed(OUT / f"{name}.npz", **data)
    print("wrote", OUT / f"{name}.npz")


# --- preprocessing -------------------------------------------------------------------------
ints = rng.integers(0, 256, size=(2, 4, 3)).astype("int32")
saved("pre_rescaling", L.Rescaling, {"scale": 1 / 127.5, "offset": -1.0}, ints)
saved("pre_rescaling_per_channel", L.Rescaling,
      {"scale": [0.5, 2.0, -1.0], "offset": [0.1, 0.2, 0.3]}, normal(2, 4, 3))


def normalization(name, kwargs, adapt, x, batches=False):
    layer = L.Normalization(**kwargs)
    layer.adapt(list(adapt) if batches else adapt)
    data = {
        "class_name": np.array("Normalization"),
        "kwargs": np.array(json.dumps(kwargs)),
        "call_kwargs": np.array("{}"),
        "num_inputs": np.array(0),
        "input_0": x,
        "adapt_batches": np.array(batches),
        "num_adapt": np.array(len(adapt) if batches else 1),
        "num_weights": np.array(len(layer.weights)),
        "weight_paths": np.array(json.dumps([w.path for w in layer.weights])),
        "weight_dtypes": np.array(json.dumps([str(w.dtype) for w in layer.weights])),
        "config_keys": np.array(json.dumps(sorted(layer.get_config()))),
    }
    for i, a in enumerate(adapt if batches else [adapt]):
        data[f"adapt_{i}"] = a
    for i, w in enumerate(layer.get_weights()):
        data[f"weight_{i}"] = w
    _store(data, "inference", layer(x))
    np.savez_compressed(OUT / f"{name}.npz", **data)
    print("wrote", OUT / f"{name}.npz")


normalization("pre_normalization", {}, normal(20, 3, scale=3.0, shift=2.0), normal(4, 3))
normalization("pre_normalization_axes", {"axis": [1, 2]}, normal(16, 3, 2, scale=2.0),
              normal(2, 3, 2))
normalization("pre_normalization_axis_none", {"axis": None}, normal(10, 4, shift=5.0),
              normal(3, 4))
normalization("pre_normalization_invert", {"invert": True}, normal(12, 2, 3, scale=0.5),
              normal(2, 2, 3))
normalization("pre_normalization_batches", {"axis": 1},
              [normal(5, 3, 2, scale=2.0), normal(7, 3, 2, shift=1.0), normal(3, 3, 2)],
              normal(2, 3, 2), batches=True)
saved("pre_normalization_given", L.Normalization,
      {"mean": [1.0, 2.0, -1.0], "variance": [1.0, 4.0, 0.25]}, normal(4, 2, 3))
saved("pre_normalization_given_scalar_invert", L.Normalization,
      {"axis": None, "mean": 3.0, "variance": 2.0, "invert": True}, normal(4, 3))

# --- Identity and Lambda ------------------------------------------------------------------------
saved("core_identity", L.Identity, {}, normal(2, 3, 4))


def scaled_tanh(x, alpha):
    return alpha * keras.ops.tanh(x)


lam = L.Lambda(scaled_tanh, arguments={"alpha": 2.5}, output_shape=(3, 4))
record("core_lambda", "Lambda", {"arguments": {"alpha": 2.5}, "output_shape": [3, 4]}, lam,
       {"inputs": normal(2, 3, 4, scale=2.0)})

# --- TimeDistributed -----------------------------------------------------------------------------
for name, inner_cls, inner_kwargs, x in [
    ("td_dense", "Dense", {"units": 3, "activation": "tanh"}, normal(2, 4, 5)),
    ("td_conv1d", "Conv1D", {"filters": 2, "kernel_size": 3}, normal(2, 3, 6, 4)),
]:
    inner = getattr(L, inner_cls)(**inner_kwargs)
    kwargs = {"layer": {"class_name": inner_cls, "config": inner_kwargs}}
    record(name, "TimeDistributed", kwargs, L.TimeDistributed(inner), {"inputs": x})

# --- Dot -----------------------------------------------------------------------------------------
saved("merge_dot_axes_1_2", L.Dot, {"axes": [1, 2]}, [normal(2, 3, 5), normal(2, 4, 3)])
saved("merge_dot_2d", L.Dot, {"axes": 1}, [normal(3, 4), normal(3, 4)])
saved("merge_dot_normalize", L.Dot, {"axes": -1, "normalize": True},
      [normal(2, 3, 4), normal(2, 5, 4)])
saved("merge_dot_rank4", L.Dot, {"axes": [2, 1]}, [normal(2, 3, 4, 5), normal(2, 4, 6)])
saved("merge_dot_2d_3d", L.Dot, {"axes": [1, 2]}, [normal(2, 4), normal(2, 3, 4)])

# --- 1D reshaping --------------------------------------------------------------------------------
seq = normal(2, 5, 3)
saved("reshape_zero_padding1d", L.ZeroPadding1D, {"padding": [1, 2]}, seq)
saved("reshape_zero_padding1d_cf", L.ZeroPadding1D,
      {"padding": 3, "data_format": "channels_first"}, seq)
saved("reshape_cropping1d", L.Cropping1D, {"cropping": [1, 2]}, seq)
saved("reshape_cropping1d_default", L.Cropping1D, {}, seq)
saved("reshape_upsampling1d", L.UpSampling1D, {"size": 3}, seq)

# --- noise layers (inference: identity) ----------------------------------------------------------
saved("reg_spatial_dropout1d", L.SpatialDropout1D, {"rate": 0.5}, seq)
saved("reg_gaussian_dropout", L.GaussianDropout, {"rate": 0.3}, normal(3, 4))
saved("reg_alpha_dropout", L.AlphaDropout, {"rate": 0.2, "noise_shape": [None, 1]}, normal(3, 4))

# --- Attention and AdditiveAttention -------------------------------------------------------------
q, v, k = normal(2, 3, 4), normal(2, 5, 4), normal(2, 5, 4)
saved("attn_dot_scale_scores", L.Attention, {"use_scale": True}, [q, v],
      call_kwargs={"return_attention_scores": True})
saved("attn_concat_causal", L.Attention, {"score_mode": "concat", "use_scale": True},
      [q, normal(2, 3, 4), normal(2, 3, 4)], call_kwargs={"use_causal_mask": True})
saved("attn_additive_scores", L.AdditiveAttention, {}, [q, v, k],
      call_kwargs={"return_attention_scores": True})
q_mask = np.array([[1, 1, 0], [1, 0, 1]], bool)
v_mask = np.array([[1, 1, 1, 0, 0], [1, 0, 1, 1, 1]], bool)
record("attn_masked", "Attention", {"dropout": 0.4}, L.Attention(dropout=0.4),
       {"inputs": [q, v], "mask": [q_mask, v_mask]}, {"return_attention_scores": True})
record("attn_additive_masked_no_scale", "AdditiveAttention", {"use_scale": False},
       L.AdditiveAttention(use_scale=False), {"inputs": [q, v, k], "mask": [q_mask, v_mask]},
       {"use_causal_mask": True})

# --- MultiHeadAttention --------------------------------------------------------------------------
MHA = L.MultiHeadAttention


def mha(name, kwargs, inputs, call_kwargs=None):
    record(name, "MultiHeadAttention", kwargs, MHA(**kwargs), inputs, call_kwargs)


x = normal(2, 4, 6)
query, value, key = normal(2, 3, 6), normal(2, 4, 7), normal(2, 4, 8)
# A fully masked query row (batch 1, step 2) takes the two attention paths'
# different conventions: uniform weights (fast path) or zeros (scores path).
attention_mask = np.array([[[1, 1, 0, 0], [1, 1, 1, 1], [0, 1, 0, 1]],
                           [[1, 0, 0, 0], [1, 1, 0, 1], [0, 0, 0, 0]]], bool)
mha("mha_self", {"num_heads": 2, "key_dim": 3}, {"query": x, "value": x})
mha("mha_cross_scores", {"num_heads": 2, "key_dim": 3, "value_dim": 4, "output_shape": 5},
    {"query": query, "value": value, "key": key}, {"return_attention_scores": True})
mha("mha_causal", {"num_heads": 3, "key_dim": 2}, {"query": x, "value": x},
    {"use_causal_mask": True})
mha("mha_causal_scores", {"num_heads": 3, "key_dim": 2}, {"query": x, "value": x},
    {"use_causal_mask": True, "return_attention_scores": True})
mha("mha_mask", {"num_heads": 2, "key_dim": 2},
    {"query": query, "value": value, "attention_mask": attention_mask})
mha("mha_mask_scores", {"num_heads": 2, "key_dim": 2},
    {"query": query, "value": value, "attention_mask": attention_mask},
    {"return_attention_scores": True})
mha("mha_no_bias_output_shape", {"num_heads": 2, "key_dim": 3, "use_bias": False,
                                 "output_shape": [2, 3]}, {"query": query, "value": value})
mha("mha_attention_axes", {"num_heads": 2, "key_dim": 2, "attention_axes": [1, 2]},
    {"query": normal(2, 3, 4, 5), "value": normal(2, 3, 4, 5)})
mha("mha_gate_dropout", {"num_heads": 2, "key_dim": 3, "use_gate": True, "dropout": 0.3},
    {"query": query, "value": value})
mha("mha_sliding_window", {"num_heads": 1, "key_dim": 4, "sliding_window": 2},
    {"query": normal(2, 5, 3), "value": normal(2, 5, 3)}, {"use_causal_mask": True})

# Keras masks: Embedding(mask_zero=True) -> self-attention; the padded query
# rows are fully masked (fast path: uniform weights) and the output carries the mask.
TOKENS = np.array([[3, 1, 4, 0, 0], [2, 5, 2, 6, 1], [7, 0, 6, 0, 0]], "int32")
tokens = keras.Input((5,), dtype="int32")
embedded = L.Embedding(8, 6, mask_zero=True)(tokens)
attended = MHA(num_heads=2, key_dim=3)(embedded, embedded)
model = keras.Model(tokens, attended)
w_rng = np.random.default_rng(1)
weights = [(0.5 * w_rng.normal(size=w.shape)).astype(w.dtype) for w in model.get_weights()]
model.set_weights(weights)
out = model(TOKENS)
data = {"tokens": TOKENS, "output": np.asarray(out),
        "mask": np.asarray(getattr(out, "_keras_mask", np.zeros(0))),
        "num_weights": np.array(len(weights)),
        "weight_paths": np.array(json.dumps([w.path for w in model.weights]))}
for i, w in enumerate(weights):
    data[f"weight_{i}"] = w
np.savez_compressed(OUT / "mha_embedding_mask.npz", **data)
print("wrote", OUT / "mha_embedding_mask.npz")
