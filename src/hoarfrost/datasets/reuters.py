"""Reuters newswire topics, as ``keras.datasets.reuters``."""

from __future__ import annotations

import numpy as np

from hoarfrost.datasets import _download, _sequences

FILE_HASH = "d6586e694ee56d7a4e65172e12b3e987c03096cb01eab99753921ef915959916"
WORD_INDEX_HASH = "4d44cc38712099c9e383dc6e5f11a921"

Split = tuple[np.ndarray, np.ndarray]


def load_data(path: str = "reuters.npz", num_words: int | None = None, skip_top: int = 0,
              maxlen: int | None = None, test_split: float = 0.2, seed: int = 113,
              start_char: int | None = 1, oov_char: int | None = 2,
              index_from: int = 3) -> tuple[Split, Split]:
    """Loads Reuters: 11,228 newswires in 46 topics, as lists of word indices.

    As ``imdb.load_data`` (Keras's processing, value for value), with one file
    shuffled with `seed` and split: the last `test_split` of it is the test set.

    Args:
        path: the file's name in the cache.
        num_words: keep the `num_words` most frequent words; None keeps all.
        skip_top: the most frequent words to replace by `oov_char`.
        maxlen: drop sequences of this length or longer.
        test_split: the fraction held out for testing.
        seed: the shuffle's seed.
        start_char: marks the start of every sequence (None: no marker).
        oov_char: replaces words cut by `num_words` / `skip_top` (None: drop them).
        index_from: the index of the most frequent word.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: object arrays of lists of
        ints, and int topic labels (see `get_label_names`).
    """
    local = _download.get_dataset_file(path, _sequences.KERAS_ORIGIN + "reuters.npz", FILE_HASH)
    xs, labels = _sequences.read_npz(local, ("x", "y"))
    rng = np.random.RandomState(seed)
    indices = np.arange(len(xs))
    rng.shuffle(indices)
    xs, labels = xs[indices], labels[indices]
    if start_char is not None or index_from:
        xs = _sequences.shift(xs, start_char, index_from)
    if maxlen:
        xs, labels = _sequences.remove_long_seq(maxlen, xs, labels)
    xs = _sequences.cut_vocabulary(xs, num_words, skip_top, oov_char)
    idx = int(len(xs) * (1 - test_split))
    return ((np.array(xs[:idx], dtype="object"), np.array(labels[:idx])),
            (np.array(xs[idx:], dtype="object"), np.array(labels[idx:])))


def get_word_index(path: str = "reuters_word_index.json") -> dict[str, int]:
    """The word -> index dict of Reuters (add 3 to match `load_data`'s default sequences)."""
    return _sequences.get_word_index(path, "reuters_word_index.json", WORD_INDEX_HASH)


def get_label_names() -> tuple[str, ...]:
    """The 46 topic names, indexed as the labels."""
    return ("cocoa", "grain", "veg-oil", "earn", "acq", "wheat", "copper", "housing",
            "money-supply", "coffee", "sugar", "trade", "reserves", "ship", "cotton",
            "carcass", "crude", "nat-gas", "cpi", "money-fx", "interest", "gnp", "meal-feed",
            "alum", "oilseed", "gold", "tin", "strategic-metal", "livestock", "retail", "ipi",
            "iron-steel", "rubber", "heat", "jobs", "lei", "bop", "zinc", "orange", "pet-chem",
            "dlr", "gas", "silver", "wpi", "hog", "lead")
