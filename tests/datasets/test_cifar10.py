"""cifar10.load_data reads Keras's pickled batches (as Python 2 wrote them) from any cache."""

import numpy as np
import pytest

from hoarfrost.datasets import DatasetUnavailableError, cifar10

from tests.datasets.builders import cifar_batch, sha256, tar_gz

rng = np.random.default_rng(0)
BATCHES = {name: (rng.integers(0, 256, (n, 3072), dtype=np.uint8), rng.integers(0, 10, n).tolist())
           for name, n in [("data_batch_1", 3), ("data_batch_2", 2), ("data_batch_3", 1),
                           ("data_batch_4", 2), ("data_batch_5", 1), ("test_batch", 4)]}


@pytest.fixture(autouse=True)
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("HOARFROST_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("HOARFROST_DATASETS_ORIGIN", "http://127.0.0.1:1/")
    return tmp_path / "home" / "datasets"


def _members():
    return {f"cifar-10-batches-py/{name}": cifar_batch(data, {"labels": labels})
            for name, (data, labels) in BATCHES.items()}


def _check(result):
    (x_train, y_train), (x_test, y_test) = result
    train = [BATCHES[f"data_batch_{i}"] for i in range(1, 6)]
    expected = np.concatenate([d for d, _ in train]).reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    assert x_train.dtype == np.uint8 and x_train.shape == (9, 32, 32, 3)
    np.testing.assert_array_equal(x_train, expected)
    assert y_train.dtype == np.uint8 and y_train.shape == (9, 1)
    assert y_train.ravel().tolist() == sum((labels for _, labels in train), [])
    assert x_test.shape == (4, 32, 32, 3) and y_test.dtype == np.uint8 and y_test.shape == (4, 1)


def test_archive_in_cache_is_extracted_as_keras(home, monkeypatch):
    archive = tar_gz(_members())
    home.mkdir(parents=True)
    (home / "cifar-10-batches-py-target_archive").write_bytes(archive)
    monkeypatch.setattr(cifar10, "FILE_HASH", sha256(archive))
    _check(cifar10.load_data())
    assert (home / "cifar-10-batches-py-target" / "cifar-10-batches-py" / "test_batch").is_file()


def test_download_from_origin(tmp_path, home, monkeypatch):
    archive = tar_gz(_members())
    (tmp_path / "www").mkdir()
    (tmp_path / "www" / "cifar-10-python.tar.gz").write_bytes(archive)
    monkeypatch.setenv("HOARFROST_DATASETS_ORIGIN", (tmp_path / "www").as_uri() + "/")
    monkeypatch.setattr(cifar10, "FILE_HASH", sha256(archive))
    _check(cifar10.load_data())


@pytest.mark.parametrize("layout", ["cifar-10-batches-py-target/cifar-10-batches-py",
                                    "cifar-10-batches-py"])
def test_extracted_folders_in_keras_cache_are_used(keras_home, layout):
    for name, content in _members().items():
        path = keras_home / layout / name.split("/")[-1]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    _check(cifar10.load_data())


def test_offline_error_says_what_to_put_where(home):
    with pytest.raises(DatasetUnavailableError) as info:
        cifar10.load_data()
    message = str(info.value)
    assert "cifar-10-python.tar.gz" in message
    assert str(home / "cifar-10-batches-py-target_archive") in message
    assert str(home / "cifar-10-batches-py-target" / "cifar-10-batches-py") in message
