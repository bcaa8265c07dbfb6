"""imdb.load_data equals Keras's on a synthetic imdb.npz; caches; no pickled code runs."""

import json

import pytest

from hoarfrost.datasets import DatasetUnavailableError, imdb

from tests.datasets.builders import assert_same, keras_fixture, npz_bytes, ragged, sha256

DATA, META = keras_fixture()
INPUT = {k: ragged(DATA, f"imdb/input/{k}") for k in ("x_train", "y_train", "x_test", "y_test")}


@pytest.fixture(autouse=True)
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("HOARFROST_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("HOARFROST_DATASETS_ORIGIN", "http://127.0.0.1:1/")
    return tmp_path / "home" / "datasets"


def _place(folder, monkeypatch, name="imdb.npz", arrays=INPUT):
    content = npz_bytes(**arrays)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(content)
    monkeypatch.setattr(imdb, "FILE_HASH", sha256(content))


@pytest.mark.parametrize("index", range(len(META["imdb"])))
def test_equals_keras(home, monkeypatch, index):
    _place(home, monkeypatch)
    (x_train, y_train), (x_test, y_test) = imdb.load_data(**META["imdb"][index])
    for key, mine in (("x_train", x_train), ("y_train", y_train), ("x_test", x_test),
                      ("y_test", y_test)):
        expected = ragged(DATA, f"imdb/{index}/{key}")
        assert_same(mine, expected, str(DATA[f"imdb/{index}/{key}/dtype"]))


def test_keras_cache_is_read_and_offline_error_names_the_places(home, keras_home, monkeypatch):
    with pytest.raises(DatasetUnavailableError) as info:
        imdb.load_data()
    message = str(info.value)
    assert str(home / "imdb.npz") in message and str(keras_home / "imdb.npz") in message
    _place(keras_home, monkeypatch)
    (x_train, _), _ = imdb.load_data()
    assert len(x_train) == 30 and not (home / "imdb.npz").exists()


def test_unknown_keyword_is_refused():
    with pytest.raises(TypeError, match="nb_words"):
        imdb.load_data(nb_words=100)


def test_get_word_index(home, monkeypatch):
    home.mkdir(parents=True)
    content = json.dumps({"the": 1, "movie": 2}).encode()
    (home / "imdb_word_index.json").write_bytes(content)
    import hashlib
    monkeypatch.setattr(imdb, "WORD_INDEX_HASH", hashlib.md5(content).hexdigest())
    assert imdb.get_word_index() == {"the": 1, "movie": 2}
