"""IMDB movie-review sentiment, as ``keras.datasets.imdb``."""

from __future__ import annotations

import numpy as np

from hoarfrost.datasets import _download, _sequences

FILE_HASH = "69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f"
WORD_INDEX_HASH = "bfafd718b763782e994055a2d397834f"

Split = tuple[np.ndarray, np.ndarray]


def load_data(path: str = "imdb.npz", num_words: int | None = None, skip_top: int = 0,
              maxlen: int | None = None, seed: int = 113, start_char: int | None = 1,
              oov_char: int | None = 2, index_from: int = 3) -> tuple[Split, Split]:
    """Loads IMDB: 25,000 training and 25,000 test reviews as lists of word indices.

    Words are indexed by frequency (index `i + index_from` is the i-th most
    frequent word), so `num_words` keeps the most frequent ones. Everything
    is Keras's, value for value: the seeded shuffle of each split, the start
    character, sequences of `maxlen` or more dropped, words outside
    `[skip_top, num_words)` replaced by `oov_char`. The file is looked for in
    hoarfrost's cache, then Keras's, then downloaded; its ragged arrays are
    read without running pickled code.

    Args:
        path: the file's name in the cache.
        num_words: keep the `num_words` most frequent words (others become
            `oov_char`); None keeps all.
        skip_top: the most frequent words to replace by `oov_char`.
        maxlen: drop sequences of this length or longer.
        seed: the shuffle's seed.
        start_char: marks the start of every sequence (None: no marker).
        oov_char: replaces words cut by `num_words` / `skip_top` (None: drop them).
        index_from: the index of the most frequent word.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: object arrays of lists of
        ints, and int labels 0 / 1.
    """
    local = _download.get_dataset_file(path, _sequences.KERAS_ORIGIN + "imdb.npz", FILE_HASH)
    x_train, labels_train, x_test, labels_test = _sequences.read_npz(
        local, ("x_train", "y_train", "x_test", "y_test"))
    rng = np.random.RandomState(seed)
    indices = np.arange(len(x_train))
    rng.shuffle(indices)
    x_train, labels_train = x_train[indices], labels_train[indices]
    indices = np.arange(len(x_test))
    rng.shuffle(indices)
    x_test, labels_test = x_test[indices], labels_test[indices]
    x_train = _sequences.shift(x_train, start_char, index_from)
    x_test = _sequences.shift(x_test, start_char, index_from)
    if maxlen:
        x_train, labels_train = _sequences.remove_long_seq(maxlen, x_train, labels_train)
        x_test, labels_test = _sequences.remove_long_seq(maxlen, x_test, labels_test)
        if not x_train or not x_test:
            raise ValueError(f"After filtering for sequences shorter than maxlen={maxlen}, no "
                             "sequence was kept. Increase maxlen.")
    xs = _sequences.cut_vocabulary(x_train + x_test, num_words, skip_top, oov_char)
    labels = np.concatenate([labels_train, labels_test])
    idx = len(x_train)
    return ((np.array(xs[:idx], dtype="object"), labels[:idx]),
            (np.array(xs[idx:], dtype="object"), labels[idx:]))


def get_word_index(path: str = "imdb_word_index.json") -> dict[str, int]:
    """The word -> index dict of IMDB (add `index_from` to match `load_data`'s sequences)."""
    return _sequences.get_word_index(path, "imdb_word_index.json", WORD_INDEX_HASH)
