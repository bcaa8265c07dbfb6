"""split_dataset splits as Keras (Python's `random` with the seed) into Datasets."""

import numpy as np
import pytest

from hoarfrost.data.dataset import Dataset
from hoarfrost.utils import split_dataset

from tests.data.fixture_files import batches, load

DATA, META = load("keras_timeseries_split.npz")
X = np.arange(30).reshape(10, 3)
Y = np.arange(10) * 7


def _flat(ds):
    return [tuple(np.asarray(p).tolist() for p in (e if isinstance(e, tuple) else (e,)))
            for e in ds]


@pytest.mark.parametrize("case,dataset", [("split_array_shuffled", X),
                                          ("split_tuple_ints", (X, Y)),
                                          ("split_right_only", (X, Y))])
def test_splits_equal_keras(case, dataset):
    left, right = split_dataset(dataset, **META[case])
    for side, ds in (("left", left), ("right", right)):
        expected = [tuple(np.asarray(p).tolist() for p in b)
                    for b in batches(DATA, f"{case}/{side}")]
        assert _flat(ds) == expected
        assert len(ds) == len(expected)


def test_batched_dataset_splits_into_batched_datasets():
    meta = META["split_batched_dataset"]
    left, right = split_dataset(Dataset.from_tensor_slices(X).batch(meta["batch"]),
                                left_size=meta["left_size"], shuffle=True, seed=meta["seed"])
    for side, ds in (("left", left), ("right", right)):
        expected = batches(DATA, f"split_batched_dataset/{side}")
        got = list(ds)
        assert [g.tolist() for g in got] == [e[0].tolist() for e in expected]


def test_bad_sizes_are_named():
    with pytest.raises(ValueError, match="At least one of"):
        split_dataset(X)
    with pytest.raises(ValueError, match="left_size=1.5"):
        split_dataset(X, left_size=1.5)
    with pytest.raises(TypeError, match="must be either"):
        split_dataset({"x": X}, left_size=0.5)
