"""Dataset: the tf.data methods Keras programs call, with tf.data's semantics."""

import threading

import numpy as np
import pytest

from hoarfrost.data import AUTOTUNE, INFINITE_CARDINALITY, UNKNOWN_CARDINALITY, Dataset


def values(ds):
    return [np.asarray(e).tolist() if not isinstance(e, tuple)
            else tuple(np.asarray(p).tolist() for p in e) for e in ds]


def test_from_tensor_slices_structures_and_len():
    ds = Dataset.from_tensor_slices((np.arange(4),
                                     {"a": np.ones((4, 2)), "b": ["w", "x", "y", "z"]}))
    first = next(iter(ds))
    assert first[0].shape == () and first[1]["a"].shape == (2,) and first[1]["b"] == "w"
    assert len(ds) == ds.cardinality() == 4
    nested = Dataset.from_tensor_slices([[1, 2], [3, 4]])  # a list is data, not structure
    assert values(nested) == [[1, 2], [3, 4]]
    with pytest.raises(ValueError, match="different first dimensions"):
        Dataset.from_tensor_slices((np.arange(3), np.arange(4)))


def test_batch_unbatch_and_cardinality():
    ds = Dataset.from_tensor_slices(np.arange(10))
    assert values(ds.batch(4)) == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert len(ds.batch(4)) == 3 and len(ds.batch(4, drop_remainder=True)) == 2
    assert values(ds.batch(4, drop_remainder=True)) == [[0, 1, 2, 3], [4, 5, 6, 7]]
    unbatched = ds.batch(3).unbatch()
    assert values(unbatched) == list(range(10))
    assert unbatched.cardinality() == UNKNOWN_CARDINALITY and not hasattr(unbatched, "__len__")
    with pytest.raises(TypeError):
        len(unbatched)
    strings = Dataset.from_tensor_slices(np.array(["a", "bb", "c"])).batch(2)
    assert [b.dtype for b in strings] == [object, object]
    with pytest.raises(ValueError, match="different shapes in component 0"):
        list(Dataset.from_tensor_slices(np.arange(3)).map(lambda x: np.zeros(int(x) + 1)).batch(3))


def test_map_unpacks_tuples_and_filter_keeps_true():
    ds = Dataset.from_tensor_slices((np.arange(6), np.arange(6) * 10))
    assert values(ds.map(lambda x, y: x + y)) == [0, 11, 22, 33, 44, 55]
    kept = ds.filter(lambda x, y: x % 2 == 0)
    assert values(kept) == [(0, 0), (2, 20), (4, 40)]
    assert kept.cardinality() == UNKNOWN_CARDINALITY
    with pytest.raises(ValueError, match="scalar boolean"):
        list(ds.filter(lambda x, y: x))


def test_shuffle_buffer_seed_and_reshuffle():
    ds = Dataset.from_tensor_slices(np.arange(20))
    assert values(ds.shuffle(1, seed=3)) == list(range(20))  # a buffer of one keeps the order
    shuffled = ds.shuffle(20, seed=3)
    first, second = values(shuffled), values(shuffled)
    assert sorted(first) == list(range(20)) and first != list(range(20))
    assert first != second  # a new order each pass
    assert values(ds.shuffle(20, seed=3)) == first  # the seed fixes the sequence of orders
    fixed = ds.shuffle(20, seed=3, reshuffle_each_iteration=False)
    assert values(fixed) == values(fixed)
    # A small buffer only moves elements forward by less than its size plus what it drew.
    local = values(ds.shuffle(3, seed=0))
    assert all(value <= position + 2 for position, value in enumerate(local))


def test_repeat_take_skip_concatenate_enumerate():
    ds = Dataset.from_tensor_slices(np.arange(3))
    forever = ds.repeat()
    assert forever.cardinality() == INFINITE_CARDINALITY
    assert values(forever.take(7)) == [0, 1, 2, 0, 1, 2, 0] and len(forever.take(7)) == 7
    assert values(ds.repeat(2)) == [0, 1, 2, 0, 1, 2] and len(ds.repeat(2)) == 6
    assert values(ds.skip(1)) == [1, 2] and len(ds.skip(5)) == 0
    assert values(ds.take(-1)) == [0, 1, 2]
    assert values(ds.concatenate(ds.take(1))) == [0, 1, 2, 0]
    assert values(ds.enumerate(start=5)) == [(5, 0), (6, 1), (7, 2)]
    assert values(Dataset.zip(ds, ds.skip(1))) == [(0, 1), (1, 2)]
    assert len(Dataset.zip((ds, forever))) == 3


def test_cache_replays_the_first_complete_pass():
    calls = []
    ds = Dataset.from_tensor_slices(np.arange(4)).map(lambda x: calls.append(int(x)) or x * 2)
    cached = ds.cache()
    next(iter(cached))  # a partial pass caches nothing
    assert values(cached) == [0, 2, 4, 6] and values(cached) == [0, 2, 4, 6]
    assert calls == [0, 0, 1, 2, 3]
    with pytest.raises(NotImplementedError, match="filename='cache.bin'"):
        ds.cache("cache.bin")


def test_prefetch_runs_ahead_on_a_thread_and_keeps_order():
    threads = []
    ds = Dataset.from_tensor_slices(np.arange(50)).map(
        lambda x: threads.append(threading.current_thread()) or x).prefetch(AUTOTUNE)
    assert values(ds) == list(range(50))
    assert all(t is not threading.main_thread() for t in threads)
    with pytest.raises(ZeroDivisionError):  # an error upstream reaches the consumer
        list(Dataset.from_tensor_slices(np.arange(3)).map(lambda x: 1 // (int(x) - 2)).prefetch(2))


def test_padded_batch_pads_to_the_longest():
    ds = Dataset.from_tensor_slices(np.arange(1, 4)).map(lambda n: (np.ones(int(n)), n))
    (padded, labels), = list(ds.padded_batch(3))
    np.testing.assert_array_equal(padded, [[1, 0, 0], [1, 1, 0], [1, 1, 1]])
    assert labels.tolist() == [1, 2, 3]
    with pytest.raises(NotImplementedError, match="padded_shapes"):
        ds.padded_batch(2, padded_shapes=([5], []))


def test_missing_tf_data_methods_are_named():
    ds = Dataset.from_tensor_slices(np.arange(3))
    with pytest.raises(AttributeError, match="tf.data.Dataset.window is not implemented"):
        ds.window(2)
    with pytest.raises(AttributeError, match="'Dataset' object has no attribute 'class_names'"):
        ds.class_names
    assert not hasattr(ds, "shape")  # never mistaken for an array by fit
    assert values(ds.as_numpy_iterator()) == [0, 1, 2]
