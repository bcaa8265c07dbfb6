"""california_housing.load_data equals Keras's (both versions) on a synthetic file."""

import numpy as np
import pytest

from hoarfrost.datasets import california_housing

from tests.datasets.builders import keras_fixture, sha256

DATA, META = keras_fixture()


@pytest.mark.parametrize("index", range(len(META["california_housing"])))
def test_equals_keras(tmp_path, monkeypatch, index):
    monkeypatch.setenv("HOARFROST_HOME", str(tmp_path))
    (tmp_path / "datasets").mkdir()
    path = tmp_path / "datasets" / "california_housing.npz"
    np.savez(path, x=DATA["california_housing/input/x"], y=DATA["california_housing/input/y"])
    monkeypatch.setattr(california_housing, "FILE_HASH", sha256(path.read_bytes()))
    (x_train, y_train), (x_test, y_test) = california_housing.load_data(
        **META["california_housing"][index])
    for key, mine in (("x_train", x_train), ("y_train", y_train), ("x_test", x_test),
                      ("y_test", y_test)):
        expected = DATA[f"california_housing/{index}/{key}"]
        assert mine.dtype == expected.dtype
        np.testing.assert_array_equal(mine, expected)


def test_bad_version_is_named(tmp_path, monkeypatch):
    monkeypatch.setenv("HOARFROST_HOME", str(tmp_path))
    (tmp_path / "datasets").mkdir()
    path = tmp_path / "datasets" / "california_housing.npz"
    np.savez(path, x=np.zeros((3, 8)), y=np.zeros(3))
    monkeypatch.setattr(california_housing, "FILE_HASH", sha256(path.read_bytes()))
    with pytest.raises(ValueError, match="version=medium"):
        california_housing.load_data(version="medium")
