"""reuters.load_data equals Keras's on a synthetic reuters.npz."""

import pytest

from hoarfrost.datasets import reuters

from tests.datasets.builders import assert_same, keras_fixture, npz_bytes, ragged, sha256

DATA, META = keras_fixture()


@pytest.mark.parametrize("index", range(len(META["reuters"])))
def test_equals_keras(tmp_path, monkeypatch, index):
    monkeypatch.setenv("HOARFROST_HOME", str(tmp_path))
    content = npz_bytes(x=ragged(DATA, "reuters/input/x"), y=ragged(DATA, "reuters/input/y"))
    (tmp_path / "datasets").mkdir()
    (tmp_path / "datasets" / "reuters.npz").write_bytes(content)
    monkeypatch.setattr(reuters, "FILE_HASH", sha256(content))
    (x_train, y_train), (x_test, y_test) = reuters.load_data(**META["reuters"][index])
    for key, mine in (("x_train", x_train), ("y_train", y_train), ("x_test", x_test),
                      ("y_test", y_test)):
        expected = ragged(DATA, f"reuters/{index}/{key}")
        assert_same(mine, expected, str(DATA[f"reuters/{index}/{key}/dtype"]))


def test_label_names():
    names = reuters.get_label_names()
    assert len(names) == 46 and names[:3] == ("cocoa", "grain", "veg-oil") and names[-1] == "lead"
