"""pad_sequences, with the results keras 3.15.1 gives for the same calls (measured)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hoarfrost.utils import pad_sequences


def test_matches_keras():
    np.testing.assert_array_equal(pad_sequences([[1, 2, 3], [4], [5, 6, 7, 8, 9]], maxlen=4),
                                  [[0, 1, 2, 3], [0, 0, 0, 4], [6, 7, 8, 9]])
    out = pad_sequences([[1, 2, 3], [4], []], padding="post", truncating="post", maxlen=2,
                        value=-1)
    np.testing.assert_array_equal(out, [[1, 2], [4, -1], [-1, -1]])
    assert out.dtype == np.int32
    np.testing.assert_array_equal(pad_sequences([[1.5, 2], [3]], dtype="float32"),
                                  [[1.5, 2.0], [0.0, 3.0]])
    np.testing.assert_array_equal(pad_sequences([[[1, 2], [3, 4]], [[5, 6]]]),
                                  [[[1, 2], [3, 4]], [[0, 0], [5, 6]]])


@settings(max_examples=50, deadline=None)
@given(st.lists(st.lists(st.integers(1, 9), max_size=6), min_size=1, max_size=5),
       st.integers(1, 7), st.sampled_from(["pre", "post"]), st.sampled_from(["pre", "post"]))
def test_keeps_the_right_end_of_every_sequence(seqs, maxlen, padding, truncating):
    out = pad_sequences(seqs, maxlen=maxlen, padding=padding, truncating=truncating)
    assert out.shape == (len(seqs), maxlen)
    for row, seq in zip(out, seqs):
        kept = seq[-maxlen:] if truncating == "pre" else seq[:maxlen]
        body = row[maxlen - len(kept):] if padding == "pre" else row[:len(kept)]
        assert list(body) == kept and np.count_nonzero(row) == len(kept)


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match='`padding` must be "pre" or "post"; got \'middle\''):
        pad_sequences([[1]], padding="middle")
