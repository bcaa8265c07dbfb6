"""Categorical preprocessing: `CategoryEncoding`, `Discretization` and `Hashing`.

Keras 3's layers, arguments and outputs. `CategoryEncoding` and
`Discretization` are array arithmetic and also run inside a compiled model.
`Hashing` hashes the text of each value (FarmHash, or keyed SipHash with a
`salt`, as TensorFlow does for Keras), so it runs on the host, on NumPy
values or strings: apply it to the data before `fit` (in the input pipeline),
not inside a compiled model.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from hoarfrost import config
from hoarfrost.layers.farmhash import fingerprint64, siphash24
from hoarfrost.layers.layer import Layer

_OUTPUT_MODES = ("int", "one_hot", "multi_hot", "count")


def _is_host_data(x) -> bool:
    """Strings, Python lists or NumPy arrays: data the host processes, never traced."""
    if isinstance(x, (str, bytes, list, tuple)):
        return True
    return isinstance(x, np.ndarray) and x.dtype.kind in "USO"


def _is_traced_or_symbolic(x) -> bool:
    from hoarfrost.symbolic import any_symbolic
    leaves = jax.tree.leaves(x, is_leaf=lambda v: isinstance(v, (str, bytes)))
    return any_symbolic(x) or any(isinstance(v, jax.core.Tracer) for v in leaves)


def encode_categorical(indices, output_mode: str, depth: int, dtype, count_weights=None):
    """Keras's `encode_categorical_inputs` (JAX backend) for integer `indices`.

    "one_hot" drops a trailing axis of size 1 first; "multi_hot" and "count"
    reduce over axis 1 (axis 0 for a vector), as Keras does.
    """
    if output_mode == "int":
        return indices.astype(dtype)
    if indices.ndim == 0:
        indices = indices[None]
    if output_mode == "one_hot":
        if indices.ndim > 1 and indices.shape[-1] == 1:
            indices = indices.reshape(indices.shape[:-1])
        return jax.nn.one_hot(indices, depth, dtype=dtype)
    axis = 1 if indices.ndim > 1 else 0
    if output_mode == "multi_hot":
        return jnp.max(jax.nn.one_hot(indices.astype(jnp.int32), depth, dtype=dtype), axis=axis)
    if count_weights is not None:
        encoded = jax.nn.one_hot(indices, depth, dtype=count_weights.dtype)
        return jnp.sum(encoded * count_weights[..., None], axis=axis)
    return jnp.sum(jax.nn.one_hot(indices, depth, dtype=dtype), axis=axis)


def _int_dtype():
    """int64 as Keras where JAX has it (64-bit mode), else int32."""
    return jnp.int64 if jax.config.jax_enable_x64 else jnp.int32


def _check_output_mode(layer: str, output_mode, allowed=_OUTPUT_MODES) -> str:
    if output_mode == "binary":
        output_mode = "multi_hot"
    if output_mode not in allowed:
        raise ValueError(f"{layer}: `output_mode` must be one of {allowed}; received "
                         f"output_mode={output_mode!r}.")
    return output_mode


def _no_sparse(layer: str, sparse) -> None:
    if sparse:
        raise ValueError(f"{layer}: sparse=True is only supported by Keras's TensorFlow "
                         "backend; hoarfrost returns dense arrays.")


class CategoryEncoding(Layer):
    """Encodes integer category ids as one-hot, multi-hot or count vectors (Keras 3's).

    Args:
        num_tokens: the number of categories; ids must be in `[0, num_tokens)`.
        output_mode: "multi_hot" (default; one vector per sample marking the
            ids present), "one_hot" (one vector per id) or "count" (how many
            times each id appears; `count_weights=` in the call weights them).
        sparse: only False.
        **kwargs: `name`, `dtype` (of the outputs, float32).

    Inputs are 1D or 2D for "multi_hot" and "count". Out-of-range ids raise
    on concrete inputs (as Keras's TensorFlow path); inside a compiled model
    they encode as zeros (as Keras on JAX).

    Example:
        >>> CategoryEncoding(num_tokens=4)(np.array([[0, 1], [3, 3]]))
        Array([[1., 1., 0., 0.],
               [0., 0., 0., 1.]], dtype=float32)
    """

    _convert_input_args = False  # as Keras: inputs reach call as given

    def __init__(self, num_tokens: int | None = None, output_mode: str = "multi_hot",
                 sparse: bool = False, **kwargs):
        super().__init__(**kwargs)
        output_mode = _check_output_mode("CategoryEncoding", output_mode,
                                         ("one_hot", "multi_hot", "count"))
        if num_tokens is None:
            raise ValueError("CategoryEncoding: `num_tokens` must be set. If the number of "
                             "tokens is not known beforehand, use IntegerLookup instead.")
        if num_tokens < 1:
            raise ValueError(f"CategoryEncoding: `num_tokens` must be >= 1; received "
                             f"num_tokens={num_tokens!r}.")
        _no_sparse("CategoryEncoding", sparse)
        self.num_tokens = int(num_tokens)
        self.output_mode = output_mode
        self.sparse = False
        self.built = True

    def call(self, inputs, count_weights=None):
        if count_weights is not None:
            if self.output_mode != "count":
                raise ValueError(
                    f'CategoryEncoding layer "{self.name}": `count_weights` is only used with '
                    f"output_mode='count'; the layer's output_mode is {self.output_mode!r}.")
            count_weights = jnp.asarray(count_weights, self.dtype)
        if self.output_mode != "one_hot" and inputs.ndim > 2:
            raise ValueError(
                f'CategoryEncoding layer "{self.name}": output_mode={self.output_mode!r} takes '
                f"1D or 2D inputs; received shape {tuple(inputs.shape)}.")
        if not isinstance(inputs, jax.core.Tracer) and inputs.size:
            low, high = int(jnp.min(inputs)), int(jnp.max(inputs))
            if low < 0 or high >= self.num_tokens:
                raise ValueError(
                    f'CategoryEncoding layer "{self.name}": input values must be in the range '
                    f"0 <= values < num_tokens with num_tokens={self.num_tokens}; received "
                    f"values from {low} to {high}.")
        return encode_categorical(inputs, self.output_mode, self.num_tokens, self.dtype,
                                  count_weights)

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        if not input_shape:
            return (self.num_tokens,)
        if self.output_mode == "one_hot" and (input_shape[-1] != 1 or len(input_shape) == 1):
            return input_shape + (self.num_tokens,)
        return input_shape[:-1] + (self.num_tokens,)

    def get_config(self):
        return {**super().get_config(), "num_tokens": self.num_tokens,
                "output_mode": self.output_mode}


class Discretization(Layer):
    """Buckets numbers into ranges: bin `i` holds `bin_boundaries[i-1] <= x < bin_boundaries[i]`.

    Boundaries are given, or learned by `adapt(data)` as approximate
    quantiles (Keras's summary algorithm, on the host) for `num_bins` bins.

    Args:
        bin_boundaries: sorted boundaries (n boundaries make n + 1 bins).
        num_bins: the number of bins to learn with `adapt` (instead of
            `bin_boundaries`).
        epsilon: the error tolerance of the quantiles (0.01).
        output_mode: "int" (bin ids, int32), "one_hot", "multi_hot" or "count".
        sparse: only False.
        dtype, name: as for any layer.

    Example:
        >>> Discretization(bin_boundaries=[0.0, 1.0])(np.array([[-1.0, 0.5, 2.0]]))
        Array([[0, 1, 2]], dtype=int32)
    """

    def __init__(self, bin_boundaries=None, num_bins: int | None = None, epsilon: float = 0.01,
                 output_mode: str = "int", sparse: bool = False, dtype=None,
                 name: str | None = None, **kwargs):
        super().__init__(dtype=dtype, name=name, **kwargs)
        _no_sparse("Discretization", sparse)
        self.output_mode = _check_output_mode("Discretization", output_mode)
        if num_bins is not None and num_bins < 0:
            raise ValueError(f"Discretization: `num_bins` must be >= 0; received "
                             f"num_bins={num_bins!r}.")
        if num_bins is not None and bin_boundaries is not None:
            raise ValueError("Discretization: set `num_bins` or `bin_boundaries`, not both; "
                             f"received num_bins={num_bins!r} and "
                             f"bin_boundaries={bin_boundaries!r}.")
        if num_bins is None and bin_boundaries is None:
            raise ValueError("Discretization: set either `num_bins` or `bin_boundaries`.")
        self.bin_boundaries = None if bin_boundaries is None else list(bin_boundaries)
        self.num_bins = num_bins
        self.epsilon = epsilon
        self.sparse = False
        self.summary = None if self.bin_boundaries else np.zeros((2, 0), np.float32)
        self.built = True

    def adapt(self, data, steps: int | None = None) -> None:
        """Learn `num_bins - 1` boundaries from `data` (an array or an iterable of batches)."""
        if self.num_bins is None:
            raise ValueError(
                f'Discretization layer "{self.name}" was created with `bin_boundaries`; '
                "create it with `num_bins` to adapt it.")
        self.reset_state()
        if hasattr(data, "__iter__") and not isinstance(data, np.ndarray) and not hasattr(
                data, "shape"):
            for i, batch in enumerate(data):
                if steps is not None and i >= steps:
                    break
                self.update_state(batch[0] if isinstance(batch, tuple) else batch)
        else:
            self.update_state(data)
        self.finalize_state()

    def update_state(self, data) -> None:
        data = np.asarray(data, np.float32)
        self.summary = _merge_summaries(_summarize(data, self.epsilon), self.summary,
                                        self.epsilon)

    def finalize_state(self) -> None:
        if self.num_bins is not None:
            self.bin_boundaries = _compress_summary(self.summary,
                                                    1.0 / self.num_bins)[0, :-1].tolist()

    def reset_state(self) -> None:
        if self.num_bins is not None:
            self.summary = np.zeros((2, 0), np.float32)

    @property
    def input_dtype(self) -> str:
        """Floating inputs are binned in `floatx()`, whatever the policy (as Keras)."""
        return config.floatx()

    @property
    def _output_dtype(self):
        return "int32" if self.output_mode == "int" else self.compute_dtype

    def call(self, inputs):
        if self.bin_boundaries is None:
            raise ValueError(
                f'Discretization layer "{self.name}": pass `bin_boundaries` or call '
                "`adapt(data)` before using the layer.")
        boundaries = jnp.asarray(self.bin_boundaries, jnp.result_type(inputs.dtype, jnp.float32))
        indices = jnp.digitize(inputs.astype(boundaries.dtype), boundaries)
        return encode_categorical(indices, self.output_mode, len(self.bin_boundaries) + 1,
                                  self._output_dtype)

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        if self.output_mode == "int":
            return input_shape
        depth = (len(self.bin_boundaries) + 1 if self.bin_boundaries is not None
                 else self.num_bins)
        if self.output_mode == "one_hot":
            if input_shape and input_shape[-1] == 1 and len(input_shape) > 1:
                return input_shape[:-1] + (depth,)
            return input_shape + (depth,)
        if len(input_shape) >= 2:
            return (input_shape[0],) + input_shape[2:] + (depth,)
        return (depth,)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "trainable": self.trainable,
                "bin_boundaries": self.bin_boundaries, "num_bins": self.num_bins,
                "epsilon": self.epsilon, "output_mode": self.output_mode,
                "sparse": self.sparse}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        boundaries = config.get("bin_boundaries")
        if boundaries is not None and config.get("num_bins") is not None:
            config.pop("bin_boundaries")  # adapted: keep num_bins and the learned boundaries
            layer = cls(**config)
            layer.bin_boundaries = list(boundaries)
            return layer
        return cls(**config)


# Keras's quantile summaries (keras/src/layers/preprocessing/discretization.py).
def _summarize(values, epsilon):
    values = np.sort(np.reshape(values, [-1]))
    step = max(np.size(values) / (1.0 / epsilon), 1)
    boundaries = values[int(step - 1)::int(step)]
    return np.stack([boundaries, np.ones_like(boundaries) * step])


def _merge_summaries(previous, following, epsilon):
    merged = np.concatenate((previous, following), axis=1)
    merged = np.take(merged, np.argsort(merged[0]), axis=1)
    return _compress_summary(merged, epsilon)


def _compress_summary(summary, epsilon):
    if summary.shape[1] * epsilon < 1:
        return summary
    percents = epsilon + np.arange(0.0, 1.0, epsilon)
    cum_weights = summary[1].cumsum()
    cum_weight_percents = cum_weights / cum_weights[-1]
    new_bins = np.interp(percents, cum_weight_percents, summary[0])
    cum_weights = np.interp(percents, cum_weight_percents, cum_weights)
    new_weights = cum_weights - np.concatenate((np.array([0]), cum_weights[:-1]))
    return np.stack((new_bins, new_weights)).astype("float32")


def as_hash_text(values) -> np.ndarray:
    """Values as the bytes TensorFlow hashes: strings as UTF-8, numbers in decimal
    (floats truncated to integers first, as Keras casts them to int64)."""
    array = np.asarray(values)
    if array.dtype.kind == "U":
        return np.char.encode(array, "utf-8").astype(object)
    if array.dtype.kind == "S":
        return array.astype(object)
    if array.dtype.kind == "O":
        return np.vectorize(lambda v: v.encode("utf-8") if isinstance(v, str) else bytes(v),
                            otypes=[object])(array)
    if array.dtype.kind == "f":
        array = array.astype(np.int64)
    if array.dtype.kind == "b":
        array = array.astype(np.int64)
    return np.vectorize(lambda v: str(int(v)).encode("ascii"), otypes=[object])(array)


def hash_buckets(texts: np.ndarray, num_buckets: int, salt=None) -> np.ndarray:
    """`tf.strings.to_hash_bucket_fast` (or `_strong` with `salt`) of an object array of bytes."""
    cache: dict[bytes, int] = {}

    def bucket(text: bytes) -> int:
        found = cache.get(text)
        if found is None:
            value = (siphash24(salt[0], salt[1], text) if salt is not None
                     else fingerprint64(text))
            found = cache[text] = value % num_buckets
        return found

    flat = [bucket(t) for t in texts.reshape(-1)]
    return np.asarray(flat, np.int64).reshape(texts.shape)


class Hashing(Layer):
    """Hashes values into `num_bins` bins, as Keras 3 (TensorFlow's string hashes).

    Each value's text (strings as UTF-8; integers in decimal; floats
    truncated to integers) is hashed with FarmHash `Fingerprint64`, or with
    SipHash-2-4 keyed by `salt`, modulo the number of bins. Runs on the host
    (NumPy inputs or strings): apply it in the input pipeline, before `fit`.

    Args:
        num_bins: the number of bins (including the mask bin, if any).
        mask_value: a value that maps to bin 0 (the others to 1..num_bins-1).
        salt: an int or a pair of ints: use the keyed (strong) hash.
        output_mode: "int" (default), "one_hot", "multi_hot" or "count".
        sparse: only False.
        **kwargs: `name`, `dtype` (int64 for "int" as Keras; hoarfrost's
            arrays are int32 unless JAX's 64-bit mode is on; float32 otherwise).

    Example:
        >>> Hashing(num_bins=3)(np.array([["A"], ["B"], ["C"], ["D"], ["E"]]))
        Array([[1],
               [0],
               [1],
               [1],
               [2]], dtype=int32)
    """

    _convert_input_args = False  # as Keras: inputs reach call as given

    def __init__(self, num_bins: int, mask_value=None, salt=None, output_mode: str = "int",
                 sparse: bool = False, **kwargs):
        if kwargs.get("dtype") is None:
            kwargs["dtype"] = "int64" if output_mode == "int" else "float32"
        super().__init__(**kwargs)
        if num_bins is None or num_bins <= 0:
            raise ValueError(f"Hashing: `num_bins` must be a positive integer; received "
                             f"num_bins={num_bins!r}.")
        self.output_mode = _check_output_mode("Hashing", output_mode)
        if self.output_mode == "int" and self.dtype not in ("int32", "int64"):
            raise ValueError(f"Hashing: with output_mode='int', `dtype` must be 'int32' or "
                             f"'int64'; received dtype={self.dtype!r}.")
        _no_sparse("Hashing", sparse)
        self.num_bins = int(num_bins)
        self.mask_value = mask_value
        self.strong_hash = salt is not None
        self.sparse = False
        self.salt = None
        if salt is not None:
            if isinstance(salt, (tuple, list)) and len(salt) == 2:
                self.salt = [int(s) for s in salt]
            elif isinstance(salt, int) and not isinstance(salt, bool):
                self.salt = [salt, salt]
            else:
                raise ValueError("Hashing: `salt` must be an integer or a pair of integers; "
                                 f"received salt={salt!r}.")
        self.built = True

    def __call__(self, inputs, *args, **kwargs):
        if _is_traced_or_symbolic(inputs):
            raise ValueError(
                f'Hashing layer "{self.name}" runs on the host (it hashes the text of each '
                "value), so it can not be part of a compiled model: apply it to the data "
                "before fit (in the input pipeline or a PyDataset).")
        return self.call(inputs, *args, **kwargs)

    def _bins(self, values: np.ndarray) -> np.ndarray:
        bins = self.num_bins
        mask = None
        if self.mask_value is not None and bins > 1:
            bins -= 1
            mask = np.asarray(values == self.mask_value)
        indices = hash_buckets(as_hash_text(values), bins, self.salt)
        if mask is not None:
            indices = np.where(mask, 0, indices + 1)
        return indices

    def call(self, inputs):
        values = np.asarray(inputs)
        if self.output_mode == "one_hot" and values.ndim and values.shape[-1] == 1:
            values = values.reshape(values.shape[:-1])
        indices = jnp.asarray(self._bins(values), _int_dtype())
        dtype = _int_dtype() if self.output_mode == "int" else self.dtype
        return encode_categorical(indices, self.output_mode, self.num_bins, dtype)

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        if self.output_mode == "int":
            return input_shape
        return input_shape[:-1] + (self.num_bins,) if input_shape else (self.num_bins,)

    def get_config(self):
        return {**super().get_config(), "num_bins": self.num_bins, "salt": self.salt,
                "mask_value": self.mask_value, "output_mode": self.output_mode,
                "sparse": self.sparse}


_MASK64 = (1 << 64) - 1
_CROSS_MUL = 0xC6A4A7935BD1E995
_CROSS_HASH_KEY = 0xDECAFCAFFE  # tf.sparse.cross_hashed's default key


def _fingerprint_cat64(fp1: int, fp2: int) -> int:
    """TensorFlow's `FingerprintCat64`: combine two 64-bit fingerprints."""
    def shift_mix(value):
        return value ^ (value >> 47)
    result = (fp1 ^ _CROSS_MUL) & _MASK64
    result ^= (shift_mix((fp2 * _CROSS_MUL) & _MASK64) * _CROSS_MUL) & _MASK64
    result = (result * _CROSS_MUL) & _MASK64
    result = (shift_mix(result) * _CROSS_MUL) & _MASK64
    return shift_mix(result)


def _cross_feature(value) -> int:
    """A value's 64-bit feature, as TensorFlow's hashed cross reads it: a string's
    FarmHash `Fingerprint64`, an integer as itself (two's complement)."""
    if isinstance(value, (bytes, str, np.str_, np.bytes_)):
        data = value if isinstance(value, bytes) else str(value).encode("utf-8")
        return fingerprint64(data)
    return int(value) & _MASK64


class HashedCrossing(Layer):
    """Crosses features by hashing: each sample's combination of values from
    several inputs goes to one of `num_bins` bins (as `keras.layers.HashedCrossing`,
    TensorFlow's `sparse.cross_hashed`).

    Runs on the host (integer or string inputs of shape `()`, `(batch,)` or
    `(batch, 1)`): apply it in the input pipeline, before `fit`.

    Args:
        num_bins: the number of bins.
        output_mode: "int" (default, the bin) or "one_hot".
        sparse: only False.
        **kwargs: `name`, `dtype` (int64 for "int" as Keras; hoarfrost's
            arrays are int32 unless JAX's 64-bit mode is on).

    Example:
        >>> HashedCrossing(num_bins=5)([np.array([1, 2]), np.array(["a", "b"])]).shape
        (2,)
    """

    _convert_input_args = False

    def __init__(self, num_bins: int, output_mode: str = "int", sparse: bool = False,
                 name=None, dtype=None, **kwargs):
        if output_mode == "int" and dtype is None:
            dtype = "int64"
        super().__init__(name=name, dtype=dtype, **kwargs)
        if output_mode not in ("int", "one_hot"):
            raise ValueError("HashedCrossing: `output_mode` must be one of 'int', 'one_hot'; "
                             f"received output_mode={output_mode!r}.")
        _no_sparse("HashedCrossing", sparse)
        if not isinstance(num_bins, int) or num_bins <= 0:
            raise ValueError(f"HashedCrossing: `num_bins` must be a positive integer; received "
                             f"num_bins={num_bins!r}.")
        self.num_bins = num_bins
        self.output_mode = output_mode
        self.sparse = False
        self.built = True

    def __call__(self, inputs, *args, **kwargs):
        if _is_traced_or_symbolic(inputs):
            raise ValueError(
                f'HashedCrossing layer "{self.name}" runs on the host (it hashes each value), '
                "so it can not be part of a compiled model: apply it to the data before fit.")
        return self.call(inputs)

    def call(self, inputs):
        if not isinstance(inputs, (list, tuple)) or len(inputs) < 2:
            raise ValueError("`HashedCrossing` should be called on a list or tuple of at least "
                             f"two inputs. Received: inputs={inputs!r}")
        arrays = [np.asarray(x) for x in inputs]
        shape = arrays[0].shape
        if len(shape) > 2 or (len(shape) == 2 and shape[-1] != 1):
            raise ValueError("All `HashedCrossing` inputs should have shape `()`, "
                             f"`(batch_size)` or `(batch_size, 1)`. Received shape {shape}.")
        if any(a.shape != shape for a in arrays[1:]):
            raise ValueError("All `HashedCrossing` inputs should have equal shape. Received "
                             f"shapes {[a.shape for a in arrays]}.")
        if any(a.dtype.kind not in "iuSUO" for a in arrays):
            raise ValueError("All `HashedCrossing` inputs should have an integer or string "
                             f"dtype. Received dtypes {[str(a.dtype) for a in arrays]}.")
        columns = [a.reshape(-1) for a in arrays]
        bins = np.empty(columns[0].shape, np.int64)
        for i in range(bins.size):
            hashed = _CROSS_HASH_KEY
            for column in columns:
                hashed = _fingerprint_cat64(hashed, _cross_feature(column[i]))
            bins[i] = hashed % self.num_bins
        bins = bins.reshape(shape)
        if self.output_mode == "int":
            return jnp.asarray(bins, _int_dtype())
        return encode_categorical(jnp.asarray(bins, _int_dtype()), "one_hot", self.num_bins,
                                  self.dtype)

    def compute_output_shape(self, input_shape):
        shape = tuple(input_shape[0])
        if self.output_mode == "int":
            return shape
        return (shape[:-1] if shape and shape[-1] == 1 else shape) + (self.num_bins,)

    def get_config(self):
        return {"num_bins": self.num_bins, "output_mode": self.output_mode,
                "sparse": self.sparse, "name": self.name,
                "dtype": self.dtype}
