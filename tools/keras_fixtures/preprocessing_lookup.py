"""Keras fixtures for CategoryEncoding, Discretization, Hashing, StringLookup,
IntegerLookup, TextVectorization, RandomCrop and RandomGrayscale.

    cd tools/keras_fixtures && KERAS_BACKEND=jax ../../.venv-keras/bin/python preprocessing_lookup.py

Each fixture holds the class name and JSON kwargs, optional `adapt` data
(`adapt_0`, or `adapt_batch_<i>` for an iterable of batches), the call's
inputs (`input_0`, strings as unicode arrays), `call_kwargs` (JSON), the
outputs (`output_<i>`), the vocabulary after construction/adapt (JSON, for
the lookups), and `config_keys`.
"""

import json

import numpy as np

from common import OUT  # noqa: E402  (run as a script from this folder)

import keras  # noqa: E402
from keras import ops  # noqa: E402

L = keras.layers
rng = np.random.default_rng(0)


def record(name, cls, kwargs, inputs, adapt=None, adapt_batches=None, call_kwargs=None,
           training=None):
    keras.utils.set_random_seed(0)
    layer = cls(**kwargs)
    data = {"class_name": np.array(cls.__name__), "kwargs": np.array(json.dumps(kwargs)),
            "call_kwargs": np.array(json.dumps(call_kwargs or {})),
            "input_0": np.asarray(inputs)}
    if adapt is not None:
        data["adapt_0"] = np.asarray(adapt)
        layer.adapt(adapt)
    if adapt_batches is not None:
        for i, batch in enumerate(adapt_batches):
            data[f"adapt_batch_{i}"] = np.asarray(batch)
        layer.adapt(iter(adapt_batches))
    extra = {} if training is None else {"training": training}
    out = layer(inputs, **(call_kwargs or {}), **extra)
    outs = out if isinstance(out, (list, tuple)) else [out]
    data["num_outputs"] = np.array(len(outs))
    for i, o in enumerate(outs):
        o = np.asarray(o) if isinstance(o, np.ndarray) else np.asarray(ops.convert_to_numpy(o))
        if o.dtype.kind in "SO":
            o = np.char.decode(o.astype(bytes), "utf-8")
        data[f"output_{i}"] = o
    if hasattr(layer, "get_vocabulary"):
        vocab = layer.get_vocabulary()
        data["vocabulary"] = np.array(json.dumps([v if isinstance(v, str) else int(v)
                                                  for v in vocab]))
    if training is not None:
        data["training"] = np.array(training)
    data["config_keys"] = np.array(json.dumps(sorted(layer.get_config())))
    np.savez_compressed(OUT / f"{name}.npz", **data)
    print("wrote", OUT / f"{name}.npz", data["output_0"].dtype, data["output_0"].shape)


ids = np.array([[0, 1, 1], [3, 2, 0]])
record("prep_category_multi_hot", L.CategoryEncoding, {"num_tokens": 4}, ids)
record("prep_category_one_hot", L.CategoryEncoding, {"num_tokens": 5, "output_mode": "one_hot"},
       np.array([[1], [4], [0]]))
record("prep_category_count_weights", L.CategoryEncoding, {"num_tokens": 4, "output_mode": "count"},
       ids, call_kwargs=None)
values = rng.normal(size=(4, 3)).astype("float32")
record("prep_discretization_bins", L.Discretization, {"bin_boundaries": [-0.5, 0.0, 0.5]}, values)
record("prep_discretization_adapt_one_hot", L.Discretization,
       {"num_bins": 4, "output_mode": "one_hot", "epsilon": 0.05}, values[:, :1],
       adapt=rng.normal(size=(200,)).astype("float32"))
record("prep_discretization_adapt_count", L.Discretization, {"num_bins": 3, "output_mode": "count"},
       values, adapt_batches=[rng.normal(size=(50, 2)).astype("float32") for _ in range(3)])
words = np.array([["the"], ["quick"], ["brown fox"], [""], ["é漢字"], ["x" * 70],
                  ["jumps over the lazy dog, and more words here"]])
record("prep_hashing", L.Hashing, {"num_bins": 7}, words)
record("prep_hashing_mask_salt", L.Hashing, {"num_bins": 5, "mask_value": "the", "salt": [3, 9]},
       words)
record("prep_hashing_ints_multi_hot", L.Hashing, {"num_bins": 6, "output_mode": "multi_hot"},
       np.array([[1, 22, -5], [12345678901, 0, 7]]))
record("prep_hashing_floats_one_hot", L.Hashing, {"num_bins": 4, "output_mode": "one_hot",
                                                  "salt": 11}, np.array([[1.7], [-2.5], [300.0]]))
corpus = np.array([["a", "b", "c", "a"], ["d", "a", "b", "e"], ["b", "b", "f", "a"]])
record("prep_string_lookup_vocab", L.StringLookup, {"vocabulary": ["a", "b", "c", "d"]},
       np.array([["a", "z", "d"], ["c", "b", "q"]]))
record("prep_string_lookup_adapt_mask_oov2", L.StringLookup,
       {"mask_token": "", "num_oov_indices": 2, "max_tokens": 6},
       np.array([["a", "", "zz", "f"], ["e", "b", "yy", ""]]), adapt=corpus)
record("prep_string_lookup_multi_hot", L.StringLookup, {"output_mode": "multi_hot"},
       np.array([["a", "b", "q"], ["e", "e", "f"]]), adapt=corpus)
record("prep_string_lookup_count_pad", L.StringLookup,
       {"output_mode": "count", "max_tokens": 10, "pad_to_max_tokens": True},
       np.array([["a", "b", "a"], ["q", "e", "f"]]), adapt=corpus)
record("prep_string_lookup_tf_idf", L.StringLookup, {"output_mode": "tf_idf"},
       np.array([["a", "b", "a"], ["q", "e", "f"]]), adapt=corpus)
record("prep_string_lookup_tf_idf_given", L.StringLookup,
       {"output_mode": "tf_idf", "vocabulary": ["a", "b", "c"], "idf_weights": [0.5, 1.0, 2.0]},
       np.array([["a", "b", "a"], ["q", "c", "c"]]))
# (StringLookup(invert=True) fails in Keras 3.15 on JAX: strings can not become JAX arrays.)
record("prep_string_lookup_oov_salt", L.StringLookup,
       {"vocabulary": ["a", "b"], "num_oov_indices": 3, "salt": 5},
       np.array([["a", "q", "r"], ["s", "b", "t"]]))
record("prep_integer_lookup_vocab", L.IntegerLookup, {"vocabulary": [12, 36, 1138, 42]},
       np.array([[12, 1138, 7], [42, 36, 99]]))
record("prep_integer_lookup_adapt_mask_floormod", L.IntegerLookup,
       {"mask_token": 0, "num_oov_indices": 3},
       np.array([[5, 0, 17, 3], [4, 100, 3, 0]]), adapt=np.array([[3, 3, 4, 5], [5, 5, 3, 6]]))
record("prep_integer_lookup_farmhash", L.IntegerLookup,
       {"vocabulary": [1, 2], "num_oov_indices": 4, "oov_method": "farmhash"},
       np.array([[1, 7, 8], [2, 1000, -3]]))
record("prep_integer_lookup_one_hot", L.IntegerLookup, {"output_mode": "one_hot",
                                                        "vocabulary": [10, 20, 30]},
       np.array([[10], [30], [25]]))
record("prep_integer_lookup_invert", L.IntegerLookup, {"vocabulary": [10, 20, 30], "invert": True},
       np.array([[0, 1, 2], [3, 4, 7]]))
texts = np.array(["The cat sat on the mat.", "The dog ate my homework!", "A cat, a dog; a HOME.",
                  "  spaces\tand\ttabs  ", "ÉCOLE élève Über", "the the the cat"])
record("prep_text_int", L.TextVectorization, {"output_sequence_length": 6}, texts[:4],
       adapt=texts)
record("prep_text_int_ragged_len", L.TextVectorization, {"max_tokens": 8}, texts[:3],
       adapt=texts)
record("prep_text_bigrams_multi_hot", L.TextVectorization,
       {"ngrams": 2, "output_mode": "multi_hot", "max_tokens": 30}, texts[:3], adapt=texts)
record("prep_text_count_lower", L.TextVectorization,
       {"standardize": "lower", "output_mode": "count"}, texts[:4], adapt=texts)
record("prep_text_tf_idf", L.TextVectorization, {"output_mode": "tf_idf", "ngrams": (1, 3)},
       texts[:4], adapt=texts)
record("prep_text_character_strip", L.TextVectorization,
       {"split": "character", "standardize": "strip_punctuation", "output_sequence_length": 12},
       texts[:3], adapt=texts)
record("prep_text_vocabulary_none_split", L.TextVectorization,
       {"split": None, "standardize": None, "vocabulary": ["red", "green", "blue"]},
       np.array([["red"], ["blue"], ["pink"]]))
record("prep_text_adapt_batches", L.TextVectorization, {"output_sequence_length": 5},
       texts[4:], adapt_batches=[texts[:2], texts[2:4], texts[4:]])
images = rng.random((2, 7, 9, 3)).astype("float32")
record("aug_random_crop_smaller", L.RandomCrop, {"height": 10, "width": 12}, images, training=True)
record("aug_random_crop_equal_height", L.RandomCrop, {"height": 7, "width": 4}, images,
       training=True)
record("aug_random_grayscale_all", L.RandomGrayscale, {"factor": 1.0}, images, training=True)
record("aug_random_grayscale_none_first", L.RandomGrayscale,
       {"factor": 0.0, "data_format": "channels_first"}, np.moveaxis(images, -1, 1), training=True)
