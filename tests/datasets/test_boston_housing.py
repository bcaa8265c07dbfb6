"""boston_housing.load_data equals Keras's split on a synthetic file."""

import numpy as np
import pytest

from hoarfrost.datasets import boston_housing

from tests.datasets.builders import keras_fixture, sha256

DATA, META = keras_fixture()


@pytest.mark.parametrize("index", range(len(META["boston_housing"])))
def test_equals_keras(tmp_path, monkeypatch, index):
    monkeypatch.setenv("HOARFROST_HOME", str(tmp_path))
    (tmp_path / "datasets").mkdir()
    path = tmp_path / "datasets" / "boston_housing.npz"
    np.savez(path, x=DATA["boston_housing/input/x"], y=DATA["boston_housing/input/y"])
    monkeypatch.setattr(boston_housing, "FILE_HASH", sha256(path.read_bytes()))
    (x_train, y_train), (x_test, y_test) = boston_housing.load_data(
        **META["boston_housing"][index])
    for key, mine in (("x_train", x_train), ("y_train", y_train), ("x_test", x_test),
                      ("y_test", y_test)):
        np.testing.assert_array_equal(mine, DATA[f"boston_housing/{index}/{key}"])


def test_bad_test_split_is_named():
    with pytest.raises(ValueError, match="test_split` argument: 1"):
        boston_housing.load_data(test_split=1)
