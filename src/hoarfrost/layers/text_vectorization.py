"""`TextVectorization`: strings to token indices or bag-of-words vectors, as Keras 3.

Each string is standardized (lowercased, punctuation stripped), split into
tokens (on whitespace, or into characters), optionally joined into n-grams,
and looked up in a vocabulary (a `StringLookup` with mask token `""`), then
returned as padded index sequences ("int") or one vector per string
("multi_hot", "count", "tf_idf"). Keras's string operations (TensorFlow's
`lower`, its punctuation regex, whitespace `split`, `ngrams`) are
reproduced in Python, so the outputs equal Keras's.

Without TensorFlow, strings never enter a compiled program: the layer runs
on the host, on NumPy arrays or lists of strings, and returns JAX arrays.
Use it in the input pipeline:

    vectorize = TextVectorization(max_tokens=20000, output_sequence_length=200)
    vectorize.adapt(train_texts)
    model.fit(vectorize(train_texts), train_labels)   # or inside a PyDataset

not as a layer of the compiled model (a model that must take raw strings
applies it before `predict` the same way).
"""

from __future__ import annotations

import re

import jax.numpy as jnp
import numpy as np

from hoarfrost.layers.categorical import _int_dtype, _is_traced_or_symbolic
from hoarfrost.layers.index_lookup import StringLookup, _is_batch_iterable
from hoarfrost.layers.layer import Layer

_PUNCTUATION = re.compile(r"[!\"#$%&()\*\+,-\./:;<=>?@\[\\\]^_`{|}~\']")
_WHITESPACE = re.compile(r"[ \t\n\v\f\r]+")
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_STANDARDIZE = ("lower_and_strip_punctuation", "lower", "strip_punctuation")
_SPLIT = ("whitespace", "character")


def _ngrams(tokens: list, widths) -> list:
    """`tf.strings.ngrams(tokens, widths, separator=" ")`: every width in turn."""
    out = []
    for width in widths:
        out.extend(" ".join(tokens[i:i + width]) for i in range(len(tokens) - width + 1))
    return out


class TextVectorization(Layer):
    """Turns strings into sequences of token indices or into bag-of-words vectors.

    Args:
        max_tokens: the largest vocabulary (the mask "" and the OOV token
            included in "int" mode).
        standardize: "lower_and_strip_punctuation" (default), "lower",
            "strip_punctuation", None, or a callable on a NumPy array of
            strings (applied on the host). Lowercasing is ASCII-only, as
            TensorFlow's `strings.lower`.
        split: "whitespace" (default), "character", None (each string is one
            token) or a callable from a string to a list of tokens.
        ngrams: None, an int n (1..n-grams) or a tuple of widths.
        output_mode: "int" (default), "multi_hot", "count" or "tf_idf"
            ("one_hot" as Keras, with `split=None`).
        output_sequence_length: "int" mode: pad or truncate every sequence
            to this length (None: to the longest in the batch).
        pad_to_max_tokens: vectors of `max_tokens` columns.
        vocabulary: a list of tokens or a file path; `idf_weights` with it for
            "tf_idf".
        sparse, ragged: only False (Keras supports them on TensorFlow only).
        encoding: of `bytes` inputs ("utf-8").

    Indices and "multi_hot"/"count" vectors are int32 (Keras: int64) unless
    JAX's 64-bit mode is on; "tf_idf" vectors are float32. Index 0 is padding, 1 the OOV token ("int" mode).

    Example:
        >>> layer = TextVectorization(output_sequence_length=4)
        >>> layer.adapt(["the cat sat", "the dog"])
        >>> layer(["The dog sat!"])
        Array([[2, 4, 3, 0]], dtype=int32)
    """

    def __init__(self, max_tokens: int | None = None, standardize="lower_and_strip_punctuation",
                 split="whitespace", ngrams=None, output_mode: str = "int",
                 output_sequence_length: int | None = None, pad_to_max_tokens: bool = False,
                 vocabulary=None, idf_weights=None, sparse: bool = False, ragged: bool = False,
                 encoding: str = "utf-8", name: str | None = None, **kwargs):
        if sparse or ragged:
            raise ValueError("TextVectorization: sparse=True and ragged=True are only "
                             "supported by Keras's TensorFlow backend; hoarfrost returns dense "
                             "(padded) arrays.")
        if not (standardize is None or callable(standardize) or standardize in _STANDARDIZE):
            raise ValueError(f"TextVectorization: `standardize` must be one of {_STANDARDIZE}, "
                             f"None or a callable; received standardize={standardize!r}.")
        if not (split is None or callable(split) or split in _SPLIT):
            raise ValueError(f"TextVectorization: `split` must be one of {_SPLIT}, None or a "
                             f"callable; received split={split!r}.")
        if output_mode == "binary":
            output_mode = "multi_hot"
        if output_mode == "tf-idf":
            output_mode = "tf_idf"
        if not (ngrams is None or isinstance(ngrams, int) or (
                isinstance(ngrams, (tuple, list)) and all(isinstance(n, int) for n in ngrams))):
            raise ValueError("TextVectorization: `ngrams` must be None, an integer, or a tuple "
                             f"of integers; received ngrams={ngrams!r}.")
        if output_mode == "int" and not (output_sequence_length is None
                                         or isinstance(output_sequence_length, int)):
            raise ValueError("TextVectorization: `output_sequence_length` must be None or an "
                             f"integer; received {output_sequence_length!r}.")
        if output_mode != "int" and output_sequence_length is not None:
            raise ValueError("TextVectorization: `output_sequence_length` must not be set if "
                             f"output_mode is not 'int'; received {output_sequence_length!r}.")
        has_input_vocabulary = kwargs.pop("has_input_vocabulary", vocabulary is not None)
        vocabulary_size = kwargs.pop("vocabulary_size", None)
        super().__init__(name=name, **kwargs)
        self._standardize = standardize
        self._split = split
        self._ngrams_arg = list(ngrams) if isinstance(ngrams, list) else ngrams
        self._ngrams = (tuple(range(1, ngrams + 1)) if isinstance(ngrams, int)
                        else None if ngrams is None else tuple(ngrams))
        self._output_mode = output_mode
        self._output_sequence_length = output_sequence_length
        self._encoding = encoding
        self._lookup_layer = StringLookup(
            max_tokens=max_tokens, vocabulary=vocabulary, idf_weights=idf_weights,
            pad_to_max_tokens=pad_to_max_tokens, mask_token="", output_mode=output_mode,
            encoding=encoding, has_input_vocabulary=has_input_vocabulary,
            vocabulary_size=vocabulary_size, name=f"{self.name}_lookup")
        self.built = True

    # --- the string pipeline (host) ---------------------------------------------------------
    def _strings(self, inputs) -> np.ndarray:
        array = np.asarray(inputs, dtype=object)
        decode = np.vectorize(
            lambda s: s.decode(self._encoding) if isinstance(s, bytes) else str(s),
            otypes=[object])
        return decode(array) if array.size else array

    def _standardized(self, strings: np.ndarray) -> np.ndarray:
        if callable(self._standardize):
            result = self._standardize(strings.astype(str) if strings.size else strings)
            return np.asarray(result, dtype=object)
        out = strings
        if self._standardize in ("lower", "lower_and_strip_punctuation"):
            out = np.vectorize(lambda s: s.translate(_ASCII_LOWER), otypes=[object])(out) \
                if out.size else out
        if self._standardize in ("strip_punctuation", "lower_and_strip_punctuation"):
            out = np.vectorize(lambda s: _PUNCTUATION.sub("", s), otypes=[object])(out) \
                if out.size else out
        return out

    def _tokenize(self, inputs) -> list:
        """One row of tokens per string (or per row of strings with `split=None`)."""
        strings = self._standardized(self._strings(inputs))
        if strings.ndim == 0:
            strings = strings.reshape(1)
        if self._split is None:
            if strings.ndim > 2:
                raise ValueError(f'TextVectorization layer "{self.name}": with split=None the '
                                 f"input must be 1D or 2D; received shape {strings.shape}.")
            if self._ngrams is not None:
                raise ValueError(f'TextVectorization layer "{self.name}": `ngrams` needs a '
                                 "`split`.")
            return [list(row) for row in strings.reshape(strings.shape[0], -1)]
        if strings.ndim > 1:
            if strings.ndim > 2 or strings.shape[-1] != 1:
                raise ValueError(
                    f'TextVectorization layer "{self.name}": to tokenize strings, the input '
                    "must be 1D, or 2D with a last axis of size 1; received shape "
                    f"{strings.shape}.")
            strings = strings.reshape(-1)
        if self._split == "whitespace":
            rows = [[t for t in _WHITESPACE.split(s) if t] for s in strings]
        elif self._split == "character":
            rows = [list(s) for s in strings]
        else:
            rows = [list(self._split(s)) for s in strings]
        if self._ngrams is not None:
            rows = [_ngrams(row, self._ngrams) for row in rows]
        return rows

    # --- vocabulary -----------------------------------------------------------------------------
    def adapt(self, data, batch_size=None, steps: int | None = None) -> None:
        """Learn the vocabulary (and idf weights) from strings: an array, a list, or an
        iterable of batches."""
        self.reset_state()
        if _is_batch_iterable(data):
            for i, batch in enumerate(data):
                if steps is not None and i >= steps:
                    break
                self.update_state(batch[0] if isinstance(batch, tuple) else batch)
        else:
            self.update_state(data)
        self.finalize_state()

    def update_state(self, data) -> None:
        self._lookup_layer.update_state(self._tokenize(data))

    def finalize_state(self) -> None:
        self._lookup_layer.finalize_state()

    def reset_state(self) -> None:
        self._lookup_layer.reset_state()

    def get_vocabulary(self, include_special_tokens: bool = True) -> list:
        return self._lookup_layer.get_vocabulary(include_special_tokens)

    def vocabulary_size(self) -> int:
        return self._lookup_layer.vocabulary_size()

    def set_vocabulary(self, vocabulary, idf_weights=None) -> None:
        self._lookup_layer.set_vocabulary(vocabulary, idf_weights=idf_weights)

    # --- calling --------------------------------------------------------------------------------
    def __call__(self, inputs, *args, **kwargs):
        if _is_traced_or_symbolic(inputs):
            raise ValueError(
                f'TextVectorization layer "{self.name}" runs on the host (strings can not enter '
                "a compiled program): apply it to the data before fit (in the input pipeline "
                "or a PyDataset), not inside a model.")
        return self.call(inputs)

    def call(self, inputs):
        """`(batch, output_sequence_length)` indices, or `(batch, depth)` vectors."""
        lookup = self._lookup_layer
        indices = lookup.lookup_tokens(self._tokenize(inputs))
        if self._output_mode == "int":
            length = self._output_sequence_length
            if length is None:
                length = max((len(r) for r in indices), default=0)
            padded = np.zeros((len(indices), length), np.int64)
            for i, row in enumerate(indices):
                row = row[:length]
                padded[i, :len(row)] = row
            return jnp.asarray(padded, _int_dtype())
        depth = lookup._depth()
        vectors = np.zeros((len(indices), depth), np.float32)
        for i, row in enumerate(indices):
            row = [t for t in row if 0 <= t < depth]  # the mask ("") encodes as nothing
            if self._output_mode in ("multi_hot", "one_hot"):
                vectors[i, row] = 1.0
            else:
                np.add.at(vectors[i], row, 1.0)
        if self._output_mode == "tf_idf":
            return jnp.asarray(vectors * lookup.idf_weights[None, :depth])
        return jnp.asarray(vectors, _int_dtype())  # as Keras: integer counts

    def compute_output_shape(self, input_shape):
        if self._output_mode == "int":
            return (input_shape[0], self._output_sequence_length)
        depth = (self._lookup_layer.max_tokens if self._lookup_layer.pad_to_max_tokens
                 else self._lookup_layer._frozen_vocab_size)
        return (input_shape[0], depth)

    def get_config(self):
        lookup = self._lookup_layer
        lookup_config = lookup.get_config()  # the adapted vocabulary too (see index_lookup)
        return {
            **super().get_config(),
            "max_tokens": lookup.max_tokens,
            "standardize": self._standardize,
            "split": self._split,
            "ngrams": self._ngrams_arg,
            "output_mode": self._output_mode,
            "output_sequence_length": self._output_sequence_length,
            "pad_to_max_tokens": lookup.pad_to_max_tokens,
            "sparse": False,
            "ragged": False,
            "vocabulary": lookup_config["vocabulary"],
            "idf_weights": lookup_config["idf_weights"],
            "encoding": self._encoding,
            "vocabulary_size": lookup.vocabulary_size(),
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if isinstance(config.get("ngrams"), list):
            config["ngrams"] = tuple(config["ngrams"])
        return cls(**config)
