"""timeseries_dataset_from_array yields Keras's windows and targets."""

import numpy as np
import pytest

from hoarfrost.utils import timeseries_dataset_from_array

from tests.data.fixture_files import batches, load

DATA, META = load("keras_timeseries_split.npz")


@pytest.mark.parametrize("case", [c for c in META if c.startswith("ts_")])
def test_windows_equal_keras(case):
    kwargs = dict(META[case])
    targets = DATA["targets"] if kwargs.pop("targets") else None
    ds = timeseries_dataset_from_array(DATA["series"], targets, **kwargs)
    got = [b if isinstance(b, tuple) else (b,) for b in ds]
    expected = batches(DATA, case)
    assert len(got) == len(expected) == len(ds)
    for mine, theirs in zip(got, expected):
        for a, b in zip(mine, theirs):
            assert a.dtype == b.dtype
            np.testing.assert_array_equal(a, b)


def test_shuffle_permutes_the_same_windows_each_epoch():
    data = np.arange(40)
    ds = timeseries_dataset_from_array(data, data * 2, sequence_length=3, batch_size=4,
                                       shuffle=True, seed=5)
    plain = timeseries_dataset_from_array(data, data * 2, sequence_length=3, batch_size=4)
    epochs = [np.concatenate([x for x, _ in ds]) for _ in range(2)]
    reference = np.concatenate([x for x, _ in plain])
    assert not np.array_equal(epochs[0], reference)
    assert not np.array_equal(epochs[0], epochs[1])  # reshuffled every epoch, as tf.data
    for epoch in epochs:
        assert sorted(map(tuple, epoch)) == sorted(map(tuple, reference))
    for x, y in ds:
        np.testing.assert_array_equal(y, x[:, 0] * 2)


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="start_index=50"):
        timeseries_dataset_from_array(np.zeros(10), None, 3, start_index=50)
    with pytest.raises(ValueError, match="sampling_rate=0"):
        timeseries_dataset_from_array(np.zeros(10), None, 3, sampling_rate=0)
