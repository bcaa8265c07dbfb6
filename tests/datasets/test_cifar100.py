"""cifar100.load_data: fine and coarse labels, int64 as in Keras."""

import numpy as np
import pytest

from hoarfrost.datasets import cifar100

from tests.datasets.builders import cifar_batch

rng = np.random.default_rng(1)


def test_fine_and_coarse_labels(tmp_path, monkeypatch):
    monkeypatch.setenv("HOARFROST_HOME", str(tmp_path))
    folder = tmp_path / "datasets" / "cifar-100-python-target" / "cifar-100-python"
    folder.mkdir(parents=True)
    parts = {}
    for name, n in (("train", 5), ("test", 3)):
        data = rng.integers(0, 256, (n, 3072), dtype=np.uint8)
        labels = {"fine_labels": rng.integers(0, 100, n).tolist(),
                  "coarse_labels": rng.integers(0, 20, n).tolist()}
        (folder / name).write_bytes(cifar_batch(data, labels))
        parts[name] = data, labels
    for mode in ("fine", "coarse"):
        (x_train, y_train), (x_test, y_test) = cifar100.load_data(label_mode=mode)
        assert y_train.dtype == np.int64 and y_train.shape == (5, 1)
        assert y_test.ravel().tolist() == parts["test"][1][f"{mode}_labels"]
        np.testing.assert_array_equal(
            x_test, parts["test"][0].reshape(3, 3, 32, 32).transpose(0, 2, 3, 1))
    with pytest.raises(ValueError, match="label_mode=medium"):
        cifar100.load_data(label_mode="medium")
