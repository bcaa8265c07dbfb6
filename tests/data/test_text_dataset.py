"""text_dataset_from_directory yields Keras's texts and labels (as str rather than bytes)."""

import numpy as np
import pytest

from hoarfrost.utils import text_dataset_from_directory

from tests.data.fixture_files import batches, load, write_files

DATA, META = load("keras_text_audio.npz")


@pytest.fixture(scope="module")
def text_dir(tmp_path_factory):
    return write_files(DATA, tmp_path_factory.mktemp("files")) / "text"


@pytest.mark.parametrize("case", ["text_int", "text_binary_max5", "text_unbatched"])
def test_batches_equal_keras(text_dir, case):
    ds = text_dataset_from_directory(text_dir, shuffle=False, verbose=False,
                                     **META[case]["kwargs"])
    assert ds.class_names == META[case]["class_names"]
    got = [b if isinstance(b, tuple) else (b,) for b in ds]
    expected = batches(DATA, case)
    assert len(got) == len(expected) == len(ds)
    for mine, theirs in zip(got, expected):
        if META[case]["kwargs"]["batch_size"] is None:
            assert isinstance(mine[0], str)  # one text, as tf.data's scalar string
        else:
            assert mine[0].dtype == object and all(isinstance(t, str) for t in mine[0])
        assert np.ravel(mine[0]).tolist() == np.ravel(theirs[0]).tolist()
        for a, b in zip(mine[1:], theirs[1:]):
            assert a.dtype == b.dtype
            np.testing.assert_array_equal(a, b)


def test_seeded_split_holds_keras_files(text_dir, capsys):
    train, val = text_dataset_from_directory(text_dir, validation_split=0.4, subset="both",
                                             seed=11, batch_size=None)
    assert sorted(str(t) for t, _ in train) == META["text_split"]["train"]
    assert sorted(str(t) for t, _ in val) == META["text_split"]["val"]
    assert "Using 4 files for training." in capsys.readouterr().out


def test_max_length_counts_characters(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x.txt").write_text("héllo wörld", encoding="utf-8")
    (text,), _ = next(iter(text_dataset_from_directory(tmp_path, max_length=4, verbose=False)))
    assert text == "héll"


def test_non_utf8_file_is_named(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "bad.txt").write_bytes(b"\xff\xfe\x00bad")
    ds = text_dataset_from_directory(tmp_path, verbose=False)
    with pytest.raises(ValueError, match="bad.txt is not UTF-8"):
        list(ds)
