"""A crafted pickle in a dataset file never runs: CIFAR batches and object arrays in .npz."""

import io
import pickle

import numpy as np
import pytest

from hoarfrost.datasets import DatasetUnavailableError, imdb
from hoarfrost.datasets._cifar import load_batch
from hoarfrost.datasets._safe_pickle import RestrictedUnpickler, load_npz

from tests.datasets.builders import npz_bytes, py2_pickle, sha256

CALLS = []


def _payload_ran(*args):
    CALLS.append(args)
    return "pwned"


class Payload:
    def __reduce__(self):
        return (_payload_ran, ("side effect",))


@pytest.fixture(autouse=True)
def clear():
    CALLS.clear()


def test_the_payload_is_live_under_plain_pickle():
    pickle.loads(pickle.dumps(Payload()))
    assert CALLS == [("side effect",)]  # so the refusals below are real


def test_cifar_batch_payload_is_refused(tmp_path):
    path = tmp_path / "data_batch_1"
    path.write_bytes(py2_pickle({b"data": Payload(), b"labels": [0]}))
    with pytest.raises(DatasetUnavailableError, match="Refusing to load `tests.datasets"):
        load_batch(path)
    assert CALLS == []


def test_npz_object_array_payload_is_refused(tmp_path, monkeypatch):
    content = npz_bytes(x_train=np.array([Payload(), [1, 2]], dtype=object),
                        y_train=np.zeros(2), x_test=np.array([[1]], dtype=object),
                        y_test=np.zeros(1))
    (tmp_path / "datasets").mkdir()
    (tmp_path / "datasets" / "imdb.npz").write_bytes(content)
    monkeypatch.setenv("HOARFROST_HOME", str(tmp_path))
    monkeypatch.setattr(imdb, "FILE_HASH", sha256(content))
    with pytest.raises(DatasetUnavailableError, match="corrupt or malicious"):
        imdb.load_data()
    assert CALLS == []


def test_dangerous_globals_are_refused_and_arrays_still_load(tmp_path):
    for module, name in [("os", "system"), ("builtins", "eval"), ("subprocess", "Popen"),
                         ("numpy", "load"), ("numpy.lib.npyio", "load")]:
        with pytest.raises(pickle.UnpicklingError, match=f"{module}.{name}"):
            RestrictedUnpickler(io.BytesIO()).find_class(module, name)
    ragged = np.array([[1, 2, 3], [4]], dtype=object)
    (tmp_path / "ok.npz").write_bytes(npz_bytes(a=ragged, b=np.arange(3)))
    arrays = load_npz(tmp_path / "ok.npz")
    assert [list(r) for r in arrays["a"]] == [[1, 2, 3], [4]]
    np.testing.assert_array_equal(arrays["b"], np.arange(3))
