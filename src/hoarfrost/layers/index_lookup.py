"""Vocabulary lookups: `StringLookup` and `IntegerLookup`, as Keras 3.

A vocabulary maps tokens to indices: `[mask] + [OOV] * num_oov_indices +
tokens` (the mask slot only in "int" output mode when a `mask_token` is
set). It is given (`vocabulary=`, `set_vocabulary`) or learned by
`adapt(data)` (tokens by decreasing frequency, ties by decreasing token, as
Keras). Out-of-vocabulary tokens go to one OOV index, or are spread over
several by a hash (FarmHash of the token's text, or `floormod` for
integers), as Keras's TensorFlow implementation does.

Without TensorFlow, strings never enter a compiled program: `StringLookup`
runs on the host (NumPy arrays of `str` or `bytes`, lists), returning JAX
arrays of indices, so it belongs in the input pipeline (before `fit`, or in
a `PyDataset`). `IntegerLookup` is array arithmetic and also runs inside a
compiled model, except for what needs the host (`num_oov_indices=0`'s check,
`oov_method="farmhash"`).

An adapted vocabulary is kept in the layer's config (Keras writes it to an
asset file), so `model.save` / `load_model` and `from_config` keep it.
"""

from __future__ import annotations

import collections

import jax
import jax.numpy as jnp
import numpy as np

from hoarfrost.layers.categorical import (_int_dtype, _is_traced_or_symbolic,
                                          encode_categorical, hash_buckets)
from hoarfrost.layers.layer import Layer

_OUTPUT_MODES = ("int", "one_hot", "multi_hot", "count", "tf_idf")


def _to_list(values):
    if values is None:
        return None
    if isinstance(values, np.ndarray) or hasattr(values, "__array__"):
        return np.asarray(values).tolist()
    return list(values)


class _IndexLookup(Layer):
    """Keras's `IndexLookup`: the vocabulary, `adapt`, the lookup and its encodings."""

    _convert_input_args = False  # as Keras: inputs reach call as given
    _is_string = True

    def __init__(self, max_tokens, num_oov_indices, mask_token, oov_token, vocabulary=None,
                 idf_weights=None, invert=False, output_mode="int", sparse=False,
                 pad_to_max_tokens=False, oov_method="floormod", salt=None, name=None,
                 vocabulary_size=None, has_input_vocabulary=None, **kwargs):
        kwargs.pop("dtype", None)  # Keras ignores it: the vocabulary decides
        owner = type(self).__name__
        if max_tokens is not None and max_tokens <= 1:
            raise ValueError(f"{owner}: if set, `max_tokens` must be greater than 1; "
                             f"received max_tokens={max_tokens!r}.")
        if pad_to_max_tokens and max_tokens is None:
            raise ValueError(f"{owner}: pad_to_max_tokens=True needs `max_tokens`.")
        if num_oov_indices < 0:
            raise ValueError(f"{owner}: `num_oov_indices` must be >= 0; received "
                             f"num_oov_indices={num_oov_indices!r}.")
        if oov_method not in ("floormod", "farmhash"):
            raise ValueError(f"{owner}: `oov_method` must be 'floormod' or 'farmhash'; "
                             f"received oov_method={oov_method!r}.")
        if output_mode in ("binary", "tf-idf"):  # Keras's older names
            output_mode = "multi_hot" if output_mode == "binary" else "tf_idf"
        if output_mode not in _OUTPUT_MODES:
            raise ValueError(f"{owner}: `output_mode` must be one of {_OUTPUT_MODES}; "
                             f"received output_mode={output_mode!r}.")
        if invert and output_mode != "int":
            raise ValueError(f"{owner}: `output_mode` must be 'int' when `invert` is true; "
                             f"received output_mode={output_mode!r}.")
        if sparse:
            raise ValueError(f"{owner}: sparse=True is only supported by Keras's TensorFlow "
                             "backend; hoarfrost returns dense arrays.")
        if idf_weights is not None and output_mode != "tf_idf":
            raise ValueError(f"{owner}: `idf_weights` is only used with output_mode='tf_idf'.")
        if salt is not None:
            if not self._is_string and oov_method != "farmhash":
                raise ValueError(f"{owner}: `salt` can only be used with "
                                 f"oov_method='farmhash'; received oov_method={oov_method!r}.")
            if isinstance(salt, (tuple, list)) and len(salt) == 2:
                salt = [int(s) for s in salt]
            elif isinstance(salt, int) and not isinstance(salt, bool):
                salt = [salt, salt]
            else:
                raise ValueError(f"{owner}: `salt` must be an integer or a pair of integers; "
                                 f"received salt={salt!r}.")
        super().__init__(name=name, **kwargs)
        self.invert = bool(invert)
        self.max_tokens = max_tokens
        self.num_oov_indices = int(num_oov_indices)
        self.mask_token = mask_token
        self.oov_token = oov_token
        self.output_mode = output_mode
        self.sparse = False
        self.pad_to_max_tokens = bool(pad_to_max_tokens)
        self.oov_method = oov_method
        self.salt = salt
        self._frozen_vocab_size = vocabulary_size
        self.input_vocabulary = _to_list(vocabulary) if not isinstance(vocabulary, str) \
            else None
        self.input_idf_weights = _to_list(idf_weights)
        self._has_input_vocabulary = (vocabulary is not None if has_input_vocabulary is None
                                      else bool(has_input_vocabulary))
        self._tokens: list = []
        self._index: dict = {}
        self.idf_weights = None
        self._reset_counts()
        if output_mode == "tf_idf" and self._has_input_vocabulary and idf_weights is None \
                and vocabulary is not None:
            raise ValueError(f"{owner}: with output_mode='tf_idf' and a `vocabulary`, the "
                             "`idf_weights` argument must be given too.")
        if isinstance(vocabulary, str):
            self._set_vocabulary_file(vocabulary)
        elif vocabulary is not None:
            self.set_vocabulary(vocabulary, idf_weights)
        self.built = True

    # --- the index layout -------------------------------------------------------------------
    def _oov_start_index(self) -> int:
        return 1 if self.mask_token is not None and self.output_mode == "int" else 0

    def _token_start_index(self) -> int:
        return self._oov_start_index() + self.num_oov_indices

    def vocabulary_size(self) -> int:
        """The number of indices: special tokens included."""
        return len(self._tokens) + self._token_start_index()

    def get_vocabulary(self, include_special_tokens: bool = True) -> list:
        """The token of each index (the OOV indices show `oov_token`)."""
        vocabulary = ([self.mask_token] * self._oov_start_index()
                      + [self.oov_token] * self.num_oov_indices + list(self._tokens))
        return vocabulary if include_special_tokens else vocabulary[self._token_start_index():]

    def _normalize_token(self, token):
        return token

    # --- setting the vocabulary -------------------------------------------------------------
    def set_vocabulary(self, vocabulary, idf_weights=None) -> None:
        """Set the vocabulary (and, for "tf_idf", its inverse document frequencies).

        The vocabulary may start with the special tokens, exactly in order
        (`[mask] + [oov] * num_oov_indices`), or leave them out.
        """
        owner = f'{type(self).__name__} layer "{self.name}"'
        if self.output_mode == "tf_idf":
            if idf_weights is None:
                raise ValueError(f"{owner}: `idf_weights` must be set if output_mode is "
                                 "'tf_idf'.")
        elif idf_weights is not None:
            raise ValueError(f"{owner}: `idf_weights` is only used with output_mode='tf_idf'.")
        if isinstance(vocabulary, str):
            self._set_vocabulary_file(vocabulary)
            return
        vocabulary = [self._normalize_token(t) for t in _to_list(vocabulary)]
        if not vocabulary:
            raise ValueError(f"{owner}: cannot set an empty vocabulary.")
        token_start = self._token_start_index()
        special = ([self.mask_token] * self._oov_start_index()
                   + [self.oov_token] * self.num_oov_indices)
        found_special = vocabulary[:token_start] == special
        tokens = vocabulary[token_start:] if found_special else vocabulary
        repeated = [t for t, c in collections.Counter(tokens).items() if c > 1]
        if repeated:
            raise ValueError(f"{owner}: the vocabulary has repeated terms: {repeated}. "
                             "Please uniquify it.")
        if self.mask_token is not None and self.mask_token in tokens:
            raise ValueError(
                f"{owner}: found the mask token {self.mask_token!r} inside the vocabulary. "
                "Leave the mask and OOV tokens out, or put them only at the start in precisely "
                f"this order: {special}.")
        if self.oov_token is not None and self.invert and self.oov_token in tokens:
            raise ValueError(
                f"{owner}: found the OOV token {self.oov_token!r} inside the vocabulary. Leave "
                f"the mask and OOV tokens out, or put them only at the start in precisely this "
                f"order: {special}.")
        if self.max_tokens is not None and token_start + len(tokens) > self.max_tokens:
            raise ValueError(f"{owner}: the vocabulary size {token_start + len(tokens)} is "
                             f"larger than max_tokens={self.max_tokens}.")
        self._set_tokens(tokens)
        if self.output_mode == "tf_idf":
            idf_weights = np.asarray(idf_weights, np.float32)
            if idf_weights.ndim != 1 or len(idf_weights) != len(vocabulary):
                raise ValueError(f"{owner}: `idf_weights` must be a 1D array of the "
                                 f"vocabulary's length {len(vocabulary)}; received shape "
                                 f"{idf_weights.shape}.")
            front = 0 if found_special else token_start
            back = (self.max_tokens - front - len(idf_weights)
                    if self.pad_to_max_tokens else 0)
            front_value = 0.0 if found_special else float(np.average(idf_weights))
            self.idf_weights = np.pad(idf_weights, (front, back), constant_values=(
                front_value, 0.0)).astype(np.float32)
        self._frozen_vocab_size = self.vocabulary_size()

    def _set_vocabulary_file(self, path: str) -> None:
        if self.output_mode == "tf_idf":
            raise ValueError(f'{type(self).__name__} layer "{self.name}": output_mode '
                             "'tf_idf' does not support loading a vocabulary from a file.")
        try:
            with open(path, encoding="utf-8") as handle:
                lines = handle.read().splitlines()
        except OSError as error:
            raise ValueError(f'{type(self).__name__} layer "{self.name}": vocabulary file '
                             f"{path!r} can not be read ({error}).") from None
        while lines and lines[-1] == "":
            lines.pop()
        self.set_vocabulary(lines if self._is_string else [int(v) for v in lines])

    def _set_tokens(self, tokens) -> None:
        self._tokens = list(tokens)
        start = self._token_start_index()
        self._index = {t: start + i for i, t in enumerate(self._tokens)}
        self._arrays = None

    # --- adapt ------------------------------------------------------------------------------
    def _reset_counts(self) -> None:
        self._token_counts = collections.Counter()
        self._document_counts = collections.Counter()
        self._num_documents = 0

    def adapt(self, data, steps: int | None = None) -> None:
        """Learn the vocabulary (and the idf weights for "tf_idf") from `data`.

        `data` is an array or list of tokens (each element one document), or
        an iterable of batches.
        """
        self.reset_state()
        if _is_batch_iterable(data):
            for i, batch in enumerate(data):
                if steps is not None and i >= steps:
                    break
                self.update_state(batch[0] if isinstance(batch, tuple) else batch)
        else:
            data = np.asarray(data, dtype=object if self._is_string else None)
            self.update_state(data[..., None] if data.ndim == 1 else data)
        self.finalize_state()

    def update_state(self, data) -> None:
        if self._has_input_vocabulary:
            raise ValueError(
                f'Cannot adapt {type(self).__name__} layer "{self.name}" after setting a static '
                "vocabulary via the `vocabulary` argument or `set_vocabulary()`.")
        documents = _documents(data)
        for document in documents:
            tokens = [self._normalize_token(t) for t in document]
            self._token_counts.update(tokens)
            if self.output_mode == "tf_idf":
                self._document_counts.update(set(tokens))
        if self.output_mode == "tf_idf":
            self._num_documents += len(documents)

    def finalize_state(self) -> None:
        if self._has_input_vocabulary or not self._token_counts:
            if self._frozen_vocab_size is None or not self._has_input_vocabulary:
                self._frozen_vocab_size = self.vocabulary_size()
            return
        counts = self._token_counts
        for special in (self.mask_token, self.oov_token):
            counts.pop(special, None)
        # Keras: np.lexsort((tokens, counts))[::-1]: by count, then by token, both descending.
        tokens = sorted(counts, key=lambda t: (counts[t], _sort_key(t)), reverse=True)
        if self.max_tokens:
            tokens = tokens[:self.max_tokens - self._token_start_index()]
        self._set_tokens(tokens)
        if self.output_mode == "tf_idf":
            documents = np.asarray([self._document_counts[t] for t in tokens], np.float64)
            idf = np.log(1 + self._num_documents / (1 + documents)).astype(np.float32)
            idf = np.pad(idf, (self._token_start_index(), 0),
                         constant_values=float(np.mean(idf)) if len(idf) else 0.0)
            if self.pad_to_max_tokens and self.max_tokens is not None:
                idf = np.pad(idf, (0, self.max_tokens - len(idf)))
            self.idf_weights = idf.astype(np.float32)
        self._reset_counts()
        self._frozen_vocab_size = self.vocabulary_size()

    def reset_state(self) -> None:
        if not self._has_input_vocabulary:
            self._reset_counts()

    # --- lookup -------------------------------------------------------------------------------
    def _depth(self) -> int:
        if self.pad_to_max_tokens:
            return self.max_tokens
        if self._frozen_vocab_size is None:
            raise RuntimeError(
                f'{type(self).__name__} layer "{self.name}": with output_mode='
                f"{self.output_mode!r} and pad_to_max_tokens=False, set the vocabulary "
                "(`vocabulary=` or `adapt`) before calling the layer.")
        return self._frozen_vocab_size

    def _oov_hash_texts(self, texts) -> np.ndarray:
        return hash_buckets(texts, self.num_oov_indices, self.salt)

    def _no_oov_error(self, values) -> ValueError:
        return ValueError(
            f'{type(self).__name__} layer "{self.name}": when num_oov_indices=0 every input '
            f"must be in the vocabulary; found out-of-vocabulary values {values[:10]}. "
            "Consider num_oov_indices=1.")

    def _encode(self, indices):
        """The "int" indices, or their encoding in the other output modes."""
        if self.output_mode == "int":
            return indices
        depth = self._depth()
        mode = "count" if self.output_mode == "tf_idf" else self.output_mode
        # As Keras: integer encodings (int64 there), float32 weights for "tf_idf".
        dtype = "float32" if self.output_mode == "tf_idf" else _int_dtype()
        output = encode_categorical(indices, mode, depth, dtype)
        if self.output_mode == "tf_idf":
            output = output * jnp.asarray(self.idf_weights, dtype)
        return output

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        if self.output_mode == "int":
            return input_shape
        depth = self.max_tokens if self.pad_to_max_tokens else self._frozen_vocab_size
        if self.output_mode == "one_hot":
            if len(input_shape) > 1 and input_shape[-1] == 1:
                return input_shape[:-1] + (depth,)
            return input_shape + (depth,)
        return input_shape[:-1] + (depth,)

    def get_config(self):
        vocabulary, idf_weights = self.input_vocabulary, self.input_idf_weights
        if vocabulary is None and self._tokens:  # adapted: kept in the config (see above)
            vocabulary = self.get_vocabulary(include_special_tokens=True)
            if self.output_mode == "tf_idf":
                idf_weights = self.idf_weights[:len(vocabulary)].tolist()
        return {
            **super().get_config(),
            "invert": self.invert,
            "max_tokens": self.max_tokens,
            "num_oov_indices": self.num_oov_indices,
            "oov_token": self.oov_token,
            "mask_token": self.mask_token,
            "output_mode": self.output_mode,
            "sparse": self.sparse,
            "pad_to_max_tokens": self.pad_to_max_tokens,
            "idf_weights": idf_weights,
            "vocabulary": vocabulary,
            "vocabulary_size": self._frozen_vocab_size,
            "oov_method": self.oov_method,
            "salt": self.salt,
        }


def _sort_key(token):
    return token.encode("utf-8") if isinstance(token, str) else token


def _is_batch_iterable(data) -> bool:
    return (hasattr(data, "__iter__") and not isinstance(data, (list, tuple, np.ndarray, str))
            and not hasattr(data, "__array__"))


def _documents(data) -> list:
    """Rows of tokens: a scalar is one document of one token, a vector one document."""
    if isinstance(data, (list, tuple)) and data and isinstance(data[0], (list, tuple)):
        return [list(row) for row in data]  # ragged lists of tokens
    array = np.asarray(data, dtype=object)
    if array.ndim == 0:
        return [[array.item()]]
    if array.ndim == 1:
        return [list(array)]
    return [list(row.reshape(-1)) for row in array.reshape(array.shape[0], -1)]


class StringLookup(_IndexLookup):
    """Maps strings to integer indices through a vocabulary (Keras 3's `StringLookup`).

    Runs on the host: call it on NumPy arrays of strings (or lists), in the
    input pipeline; it returns JAX arrays (int32 indices; float32 in the
    other output modes). With `invert=True` it maps indices back to strings
    (a NumPy array).

    Args:
        max_tokens: the largest vocabulary (special tokens included), or None.
        num_oov_indices: how many indices out-of-vocabulary strings share
            (hashed with FarmHash, or SipHash with `salt`, when more than one).
        mask_token: a string that maps to index 0 ("int" mode), or None.
        oov_token: the token shown for OOV indices (`"[UNK]"`).
        vocabulary: a list of strings or a path to a text file (one per line).
        idf_weights: for "tf_idf", one weight per vocabulary entry.
        invert: map indices to strings.
        output_mode: "int", "one_hot", "multi_hot", "count" or "tf_idf".
        pad_to_max_tokens: encode with `max_tokens` columns whatever the
            vocabulary's size.
        sparse: only False.
        encoding: the encoding of `bytes` inputs ("utf-8").
        salt: an int or a pair of ints: SipHash keys for the OOV hash.

    Example:
        >>> layer = StringLookup(vocabulary=["a", "b", "c"])
        >>> layer(np.array([["a", "c"], ["d", "b"]]))
        Array([[1, 3],
               [0, 2]], dtype=int32)
    """

    _is_string = True

    def __init__(self, max_tokens: int | None = None, num_oov_indices: int = 1,
                 mask_token: str | None = None, oov_token: str = "[UNK]", vocabulary=None,
                 idf_weights=None, invert: bool = False, output_mode: str = "int",
                 pad_to_max_tokens: bool = False, sparse: bool = False, encoding: str = "utf-8",
                 name: str | None = None, salt=None, **kwargs):
        self.encoding = encoding
        super().__init__(max_tokens=max_tokens, num_oov_indices=num_oov_indices,
                         mask_token=mask_token, oov_token=oov_token, vocabulary=vocabulary,
                         idf_weights=idf_weights, invert=invert, output_mode=output_mode,
                         pad_to_max_tokens=pad_to_max_tokens, sparse=sparse, name=name,
                         salt=salt, **kwargs)

    def _normalize_token(self, token):
        if isinstance(token, bytes):
            return token.decode(self.encoding)
        if isinstance(token, np.str_):
            return str(token)
        return token

    def __call__(self, inputs, *args, **kwargs):
        if _is_traced_or_symbolic(inputs):
            raise ValueError(
                f'StringLookup layer "{self.name}" runs on the host (strings can not enter a '
                "compiled program): apply it to the data before fit (in the input pipeline "
                "or a PyDataset), not inside a model.")
        return self.call(inputs)

    def lookup_tokens(self, documents) -> list:
        """Indices of ragged rows of string tokens (lists), on the host."""
        return [self._lookup_list(row) for row in documents]

    def _lookup_list(self, tokens) -> list:
        index, oov_start, n_oov = self._index, self._oov_start_index(), self.num_oov_indices
        mask_value = 0 if self.output_mode == "int" else -1
        result, missing = [], []
        for position, token in enumerate(tokens):
            token = self._normalize_token(token)
            if self.mask_token is not None and token == self.mask_token:
                result.append(mask_value)
            elif token in index:
                result.append(index[token])
            else:
                result.append(oov_start)
                missing.append(position)
        if missing:
            if n_oov == 0:
                raise self._no_oov_error([tokens[p] for p in missing])
            if n_oov > 1:
                texts = np.asarray([self._normalize_token(tokens[p]).encode("utf-8")
                                    for p in missing], dtype=object)
                for p, bucket in zip(missing, self._oov_hash_texts(texts)):
                    result[p] = oov_start + int(bucket)
        return result

    def call(self, inputs):
        array = np.asarray(inputs, dtype=object)
        if self.invert:
            vocabulary = self.get_vocabulary()
            flat = np.asarray(array, np.int64).reshape(-1)
            tokens = [vocabulary[i] if 0 <= i < len(vocabulary) else self.oov_token
                      for i in flat]
            return np.asarray(tokens, dtype=object).reshape(array.shape).astype(str)
        flat = self._lookup_list(list(array.reshape(-1)))
        indices = jnp.asarray(np.asarray(flat, np.int64).reshape(array.shape), _int_dtype())
        return self._encode(indices)

    def get_config(self):
        return {**super().get_config(), "encoding": self.encoding}


class IntegerLookup(_IndexLookup):
    """Maps integers to contiguous indices through a vocabulary (Keras 3's `IntegerLookup`).

    Array arithmetic: it runs on the host and inside a compiled model
    (except `num_oov_indices=0`, whose check needs concrete values, and
    `oov_method="farmhash"`). Indices are int32 (Keras: int64) unless JAX's
    64-bit mode is on.

    Args:
        max_tokens, num_oov_indices, vocabulary, idf_weights, invert,
            output_mode, pad_to_max_tokens, sparse: as `StringLookup`.
        mask_token: an integer that maps to index 0 ("int" mode), or None.
        oov_token: the token `invert` gives OOV indices (-1).
        vocabulary_dtype: "int64" (the only one, as Keras).
        oov_method: "floormod" (OOV value modulo `num_oov_indices`) or
            "farmhash" (hash of its decimal text; host only).
        salt: SipHash keys for "farmhash".

    Example:
        >>> IntegerLookup(vocabulary=[12, 36, 1138])(np.array([[12, 1138], [42, 36]]))
        Array([[1, 3],
               [0, 2]], dtype=int32)
    """

    _is_string = False

    def __init__(self, max_tokens: int | None = None, num_oov_indices: int = 1,
                 mask_token: int | None = None, oov_token: int = -1, vocabulary=None,
                 vocabulary_dtype: str = "int64", idf_weights=None, invert: bool = False,
                 output_mode: str = "int", sparse: bool = False,
                 pad_to_max_tokens: bool = False, oov_method: str = "floormod", salt=None,
                 name: str | None = None, **kwargs):
        if vocabulary_dtype != "int64":
            raise ValueError("IntegerLookup: only vocabulary_dtype='int64' is supported (as "
                             f"Keras); received vocabulary_dtype={vocabulary_dtype!r}.")
        self.vocabulary_dtype = vocabulary_dtype
        super().__init__(max_tokens=max_tokens, num_oov_indices=num_oov_indices,
                         mask_token=mask_token, oov_token=oov_token, vocabulary=vocabulary,
                         idf_weights=idf_weights, invert=invert, output_mode=output_mode,
                         pad_to_max_tokens=pad_to_max_tokens, sparse=sparse, name=name,
                         oov_method=oov_method, salt=salt, **kwargs)

    def _normalize_token(self, token):
        return int(token)

    def _lookup_arrays(self):
        if getattr(self, "_arrays", None) is None:
            keys = np.asarray(self._tokens, np.int64)
            order = np.argsort(keys, kind="stable")
            start = self._token_start_index()
            self._arrays = (keys[order], (order + start).astype(np.int64), keys)
        return self._arrays

    def call(self, inputs):
        inputs = jnp.asarray(inputs)
        traced = isinstance(inputs, jax.core.Tracer)
        keys, values, tokens = self._lookup_arrays()
        if self.invert:
            return self._invert(inputs, tokens)
        oov_start = self._oov_start_index()
        if len(keys):
            sorted_keys = jnp.asarray(keys, inputs.dtype)
            position = jnp.clip(jnp.searchsorted(sorted_keys, inputs), 0, len(keys) - 1)
            found = sorted_keys[position] == inputs
            indices = jnp.where(found, jnp.asarray(values, _int_dtype())[position], oov_start)
        else:
            found = jnp.zeros(inputs.shape, bool)
            indices = jnp.full(inputs.shape, oov_start, _int_dtype())
        indices = indices.astype(_int_dtype())
        masked = (inputs == self.mask_token) if self.mask_token is not None else \
            jnp.zeros(inputs.shape, bool)
        missing = ~found & ~masked
        if self.num_oov_indices == 0:
            if traced:
                raise ValueError(
                    f'IntegerLookup layer "{self.name}": num_oov_indices=0 checks every input '
                    "on the host; apply the layer to the data before fit, or set "
                    "num_oov_indices >= 1 to use it inside a compiled model.")
            if bool(jnp.any(missing)):
                raise self._no_oov_error(np.asarray(inputs)[np.asarray(missing)].tolist())
        elif self.num_oov_indices > 1:
            if self.oov_method == "farmhash":
                if traced:
                    raise ValueError(
                        f'IntegerLookup layer "{self.name}": oov_method="farmhash" hashes the '
                        "values' text on the host; apply the layer before fit, or use "
                        "oov_method='floormod' inside a compiled model.")
                from hoarfrost.layers.categorical import as_hash_text
                buckets = jnp.asarray(self._oov_hash_texts(as_hash_text(np.asarray(inputs))),
                                      _int_dtype())
            else:
                buckets = jnp.mod(inputs, self.num_oov_indices).astype(_int_dtype())
            indices = jnp.where(missing, buckets + oov_start, indices)
        mask_value = 0 if self.output_mode == "int" else -1
        indices = jnp.where(masked, mask_value, indices)
        return self._encode(indices)

    def _invert(self, indices, tokens):
        start = self._token_start_index()
        table = jnp.asarray(tokens if len(tokens) else np.zeros((1,), np.int64), _int_dtype())
        offset = indices - start
        inside = (offset >= 0) & (offset < len(tokens))
        values = jnp.where(inside, table[jnp.clip(offset, 0, max(len(tokens) - 1, 0))],
                           self.oov_token)
        if self.mask_token is not None and self._oov_start_index():
            values = jnp.where(indices == 0, self.mask_token, values)
        return values.astype(_int_dtype())

    def compute_output_spec(self, inputs, **kwargs):
        from hoarfrost.symbolic import KerasTensor
        dtype = np.dtype(_int_dtype()).name if self.output_mode == "int" else "float32"
        return KerasTensor(self.compute_output_shape(inputs.shape), dtype)

    def get_config(self):
        config = {**super().get_config(), "vocabulary_dtype": self.vocabulary_dtype}
        for key in ("oov_token", "mask_token"):
            if config[key] is not None:
                config[key] = int(config[key])
        if config["vocabulary"] is not None:
            config["vocabulary"] = [int(v) for v in config["vocabulary"]]
        return config

