"""Keras fixtures for the layers added for API breadth, part 2:
ActivityRegularization, the 3D reshaping layers, SpatialDropout3D,
SpectralNormalization, ReversibleEmbedding and GroupedQueryAttention
(prefix `b2_`; see breadth.py for the format).

    cd tools/keras_fixtures && KERAS_BACKEND=jax ../../.venv-keras/bin/python layers_breadth.py

GroupedQueryAttention is called with named arguments and stored in
extra_layers.py's `record` format (`input_names`, `in_<name>`), replayed by
`tests.layers.harness.check_named_fixture`.
"""

import json

import numpy as np

from breadth import record  # noqa: E402  (run as a script from this folder)
from common import OUT, _store  # noqa: E402

import keras  # noqa: E402

L = keras.layers
rng = np.random.default_rng(0)


def normal(*shape):
    return rng.normal(size=shape).astype("float32")


def add(name, **arrays):
    path = OUT / f"{name}.npz"
    data = dict(np.load(path))
    data.update({k: np.asarray(v) for k, v in arrays.items()})
    np.savez_compressed(path, **data)


# --- ActivityRegularization: identity, and the penalty it adds (over the batch size) ----------
x = normal(2, 3, 4)
layer = record("b2_activity_regularization", L.ActivityRegularization, {"l1": 0.01, "l2": 0.02},
               x)
layer(x)
add("b2_activity_regularization", loss=np.asarray(layer.losses[0]))

# --- 3D reshaping ------------------------------------------------------------------------------
vol = normal(2, 4, 5, 6, 2)
first = np.moveaxis(vol, -1, 1)
record("b2_zero_padding3d", L.ZeroPadding3D, {"padding": [[1, 0], [0, 2], [1, 1]]}, vol,
       training=False)
record("b2_zero_padding3d_first", L.ZeroPadding3D, {"padding": 1,
                                                    "data_format": "channels_first"}, first,
       training=False)
record("b2_cropping3d", L.Cropping3D, {"cropping": [[1, 0], [0, 2], [1, 1]]}, vol,
       training=False)
record("b2_cropping3d_first", L.Cropping3D, {"cropping": [1, 2, 0],
                                             "data_format": "channels_first"}, first,
       training=False)
record("b2_up_sampling3d", L.UpSampling3D, {"size": [2, 1, 3]}, vol, training=False)
record("b2_up_sampling3d_first", L.UpSampling3D, {"size": 2, "data_format": "channels_first"},
       first, training=False)
record("b2_spatial_dropout3d", L.SpatialDropout3D, {"rate": 0.5}, vol, training=False)

# --- SpectralNormalization: the training call normalises the kernel (and updates u) -----------
def spectral(name, inner, x, power_iterations=1):
    keras.utils.set_random_seed(0)
    wrapped = L.SpectralNormalization(inner, power_iterations=power_iterations)
    record(name, lambda **kw: wrapped, {"power_iterations": power_iterations}, x,
           class_name="SpectralNormalization")
    add(name, inner_config=json.dumps(keras.layers.serialize(inner)))


spectral("b2_spectral_dense", L.Dense(3), normal(2, 4))
spectral("b2_spectral_conv2d", L.Conv2D(3, 2), normal(2, 4, 4, 2), power_iterations=3)
spectral("b2_spectral_embedding", L.Embedding(6, 3),
         rng.integers(0, 6, size=(2, 4)).astype("int32"))

# --- ReversibleEmbedding: lookup, and the reverse projection to logits -------------------------
ids = rng.integers(0, 7, size=(2, 5)).astype("int32")
hidden = normal(2, 5, 3)
for name, kwargs in (("b2_reversible_tied", {"input_dim": 7, "output_dim": 3}),
                     ("b2_reversible_untied", {"input_dim": 7, "output_dim": 3,
                                               "tie_weights": False}),
                     ("b2_reversible_soft_cap", {"input_dim": 7, "output_dim": 3,
                                                 "logit_soft_cap": 0.5, "mask_zero": True})):
    record(name, L.ReversibleEmbedding, kwargs, ids, training=False)
    record(name + "_reverse", L.ReversibleEmbedding, kwargs, hidden, training=False,
           call_kwargs={"reverse": True}, build=lambda layer: layer.build(None))


# --- GroupedQueryAttention (named call) ----------------------------------------------------------
def gqa(name, kwargs, inputs, call_kwargs=None, seed=0):
    call_kwargs = call_kwargs or {}
    layer = L.GroupQueryAttention(**kwargs)
    layer(**inputs, **call_kwargs)
    w_rng = np.random.default_rng(seed)
    weights = [(0.5 * w_rng.normal(size=w.shape)).astype(w.dtype) for w in layer.get_weights()]
    layer.set_weights(weights)
    data = {
        "class_name": np.array("GroupQueryAttention"),
        "kwargs": np.array(json.dumps(kwargs)),
        "call_kwargs": np.array(json.dumps(call_kwargs)),
        "input_names": np.array(json.dumps(list(inputs))),
        "input_lists": np.array("{}"),
        "num_weights": np.array(len(weights)),
        "weight_paths": np.array(json.dumps([w.path for w in layer.weights])),
        "config_keys": np.array(json.dumps(sorted(layer.get_config()))),
    }
    for key, value in inputs.items():
        data[f"in_{key}"] = np.asarray(value)
    for i, w in enumerate(weights):
        data[f"weight_{i}"] = w
    _store(data, "inference", layer(**inputs, **call_kwargs, training=False))
    np.savez_compressed(OUT / f"{name}.npz", **data)
    print("wrote", OUT / f"{name}.npz")


q, v, k = normal(2, 3, 6), normal(2, 4, 5), normal(2, 4, 7)
mask = np.array([[[1, 1, 0, 0], [1, 1, 1, 1], [0, 1, 0, 1]],
                 [[1, 0, 0, 0], [1, 1, 0, 1], [0, 0, 0, 0]]], bool)
gqa("b2_gqa_self", {"head_dim": 2, "num_query_heads": 4, "num_key_value_heads": 2},
    {"query": q, "value": q})
gqa("b2_gqa_cross_scores", {"head_dim": 3, "num_query_heads": 2, "num_key_value_heads": 1},
    {"query": q, "value": v, "key": k}, {"return_attention_scores": True})
gqa("b2_gqa_mask_causal", {"head_dim": 2, "num_query_heads": 4, "num_key_value_heads": 2,
                           "use_bias": False},
    {"query": q, "value": v, "attention_mask": mask}, {"use_causal_mask": True})
gqa("b2_gqa_gate_window", {"head_dim": 2, "num_query_heads": 2, "num_key_value_heads": 2,
                           "use_gate": True, "sliding_window": 2, "dropout": 0.2},
    {"query": q, "value": q}, {"use_causal_mask": True})


# --- ConvLSTM1D/2D/3D -----------------------------------------------------------------------------
seq1, seq2, seq3 = normal(2, 3, 5, 2), normal(2, 3, 4, 5, 2), normal(2, 2, 3, 3, 4, 1)
record("b2_conv_lstm1d", L.ConvLSTM1D, {"filters": 3, "kernel_size": 2}, seq1)
record("b2_conv_lstm1d_same_seq_backwards", L.ConvLSTM1D, {
    "filters": 2, "kernel_size": 3, "padding": "same", "return_sequences": True,
    "go_backwards": True, "recurrent_activation": "hard_sigmoid"}, seq1)
record("b2_conv_lstm2d_state", L.ConvLSTM2D, {"filters": 2, "kernel_size": (2, 3),
                                              "return_state": True}, seq2)
record("b2_conv_lstm2d_strided_first", L.ConvLSTM2D, {
    "filters": 2, "kernel_size": 2, "strides": 2, "data_format": "channels_first",
    "return_sequences": True, "use_bias": False}, np.moveaxis(seq2, -1, 2))
record("b2_conv_lstm2d_dilated_seq_state", L.ConvLSTM2D, {
    "filters": 2, "kernel_size": 2, "dilation_rate": 2, "padding": "same",
    "return_sequences": True, "return_state": True, "unit_forget_bias": False}, seq2)
record("b2_conv_lstm3d", L.ConvLSTM3D, {"filters": 2, "kernel_size": 2, "padding": "same"}, seq3)


# --- adaptive pooling --------------------------------------------------------------------------
for kind in ("Average", "Max"):
    cls1, cls2, cls3 = (getattr(L, f"Adaptive{kind}Pooling{r}D") for r in (1, 2, 3))
    low = kind.lower()
    record(f"b2_adaptive_{low}1d", cls1, {"output_size": 3}, normal(2, 7, 3), training=False)
    record(f"b2_adaptive_{low}2d", cls2, {"output_size": [2, 3]}, normal(2, 5, 7, 2),
           training=False)
    record(f"b2_adaptive_{low}2d_first", cls2, {"output_size": 4,
                                               "data_format": "channels_first"},
           normal(2, 3, 9, 6), training=False)
    record(f"b2_adaptive_{low}3d", cls3, {"output_size": [2, 1, 3]}, normal(1, 5, 4, 7, 2),
           training=False)


# --- HashedCrossing (TensorFlow's hashed cross) ----------------------------------------------
def crossing(name, kwargs, inputs):
    layer = L.HashedCrossing(**kwargs)
    data = {"kwargs": np.array(json.dumps(kwargs)),
            "config_keys": np.array(json.dumps(sorted(layer.get_config()))),
            "num_inputs": np.array(len(inputs)),
            "output": np.asarray(keras.ops.convert_to_numpy(layer(inputs)))}
    for i, x in enumerate(inputs):
        data[f"input_{i}"] = x
    np.savez_compressed(OUT / f"{name}.npz", **data)
    print("wrote", name)


words = np.array(["cat", "dog", "a fairly long string over sixteen bytes", "", "é"])
numbers = np.array([3, -7, 123456789012, 0, 42], "int64")
crossing("b2_hashed_crossing", {"num_bins": 97}, [words, numbers])
crossing("b2_hashed_crossing_three_one_hot", {"num_bins": 5, "output_mode": "one_hot"},
         [numbers[:, None], words[:, None], np.array([[1], [1], [2], [2], [3]])])
crossing("b2_hashed_crossing_scalars", {"num_bins": 1000}, [np.array("x"), np.array(7)])


# --- audio: STFTSpectrogram (its own DFT kernels: not randomized), MelSpectrogram ----------------
signal = normal(2, 40, 2)
for name, kwargs in (
        ("b2_stft_log", {"frame_length": 8}),
        ("b2_stft_magnitude_same_step", {"mode": "magnitude", "frame_length": 8,
                                         "frame_step": 3, "padding": "same",
                                         "window": "hamming", "periodic": True}),
        ("b2_stft_psd_expand", {"mode": "psd", "frame_length": 6, "fft_length": 8,
                                "expand_dims": True, "scaling": "spectrum"}),
        ("b2_stft_stft_first", {"mode": "stft", "frame_length": 8,
                                "data_format": "channels_first"}),
        ("b2_stft_angle", {"mode": "angle", "frame_length": 8, "window": None})):
    x = np.moveaxis(signal, -1, 1) if kwargs.get("data_format") == "channels_first" else signal
    record(name, L.STFTSpectrogram, kwargs, x, training=False, randomize=False)
audio = normal(2, 300)
record("b2_mel", L.MelSpectrogram, {"fft_length": 64, "sequence_stride": 16,
                                    "num_mel_bins": 10, "sampling_rate": 8000}, audio,
       training=False)
record("b2_mel_power_no_db", L.MelSpectrogram, {
    "fft_length": 64, "sequence_length": 48, "sequence_stride": 20, "num_mel_bins": 6,
    "sampling_rate": 4000, "min_freq": 100.0, "max_freq": 1500, "power_to_db": False,
    "mag_exp": 1.0, "window": "hamming"}, audio, training=False)
