"""Data sources for fit/evaluate/predict: arrays, streamed arrays, generators."""

import logging

import numpy as np
import pytest

from hoarfrost import Sequential, layers
from hoarfrost.utils import set_random_seed
from hoarfrost.engine import adapters


def regression(n=64, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3)).astype("float32")
    return x, x @ np.array([[1.0], [-2.0], [0.5]], np.float32)


def model():
    m = Sequential([layers.Dense(1, input_dim=3)])
    m.compile(optimizer="sgd", loss="mse", steps_per_execution=4)
    return m


def test_generator_with_steps_per_epoch_feeds_every_epoch():
    x, y = regression()

    def batches():
        while True:
            for i in range(0, 64, 16):
                yield x[i:i + 16], y[i:i + 16]

    m = model()
    history = m.fit(batches(), steps_per_epoch=4, epochs=3, verbose=0)
    assert len(history.history["loss"]) == 3
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert int(m.optimizer.iterations.numpy()) == 12


def test_reiterable_batches_and_generator_validation_and_predict():
    x, y = regression()
    class Batches:  # a dataset-like object: re-iterable, one pass per epoch
        def __iter__(self):
            return ((x[i:i + 16], y[i:i + 16]) for i in range(0, 64, 16))

    batches = Batches()
    m = model()
    history = m.fit(batches, epochs=2, verbose=0, validation_data=batches)
    assert set(history.history) == {"loss", "val_loss"}
    out = m.predict(iter([x[:10], x[10:20]]), verbose=0)
    assert out.shape == (20, 1)
    assert np.array_equal(out, m.predict(x[:20], verbose=0))
    assert np.isclose(m.evaluate(iter(batches), verbose=0), m.evaluate(x, y, verbose=0),
                      rtol=1e-6)


def test_generator_used_up_after_one_epoch_says_so():
    x, y = regression()
    gen = ((x[i:i + 16], y[i:i + 16]) for i in range(0, 64, 16))
    m = model()
    with pytest.raises(ValueError, match="no batch for this epoch"):
        m.fit(gen, epochs=2, verbose=0)


def test_bad_batches_and_errors_in_the_generator_surface():
    x, y = regression()
    m = model()
    with pytest.raises(ValueError, match=r"tuple \(x, y\)"):
        m.fit(iter([x]), epochs=1, verbose=0)

    def broken():
        yield x[:16], y[:16]
        raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError, match="disk on fire"):
        m.fit(broken(), epochs=1, verbose=0)
    with pytest.raises(ValueError, match="do not pass `y`"):
        m.fit(iter([(x, y)]), y, verbose=0)


@pytest.mark.parametrize("shuffle", [False, True], ids=["in-order", "shuffled"])
def test_streamed_arrays_train_like_resident_arrays(monkeypatch, shuffle):
    """Arrays above the device limit stream per chunk: the same steps on the same batches
    (shuffled, one host-drawn order per epoch either way), so the same result."""
    x, y = regression(96)
    results = []
    for limit in (None, 0):
        if limit is not None:
            monkeypatch.setattr(adapters, "DEVICE_DATA_LIMIT", limit)
        set_random_seed(3)
        m = model()
        m.set_weights([np.ones((3, 1), np.float32), np.zeros(1, np.float32)])
        m.fit(x, y, batch_size=8, epochs=2, shuffle=shuffle, verbose=0)
        results.append(m.get_weights())
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-6)


def test_each_epoch_is_a_new_permutation_and_a_seed_repeats_it():
    x, y = regression(50)
    adapter = adapters.ArrayAdapter((x, y, None), 8, 4, shuffle=True)

    def order(seed):
        chunk = next(iter(adapter.chunks(np.asarray(seed, np.uint32))))
        return np.asarray(chunk.perm)

    first, second = order([7, 0]), order([7, 1])
    assert sorted(first.tolist()) == list(range(50))  # every row once
    assert not np.array_equal(first, second)
    assert np.array_equal(first, order([7, 0]))
    still = adapters.ArrayAdapter((x, y, None), 8, 4, shuffle=False)
    assert np.array_equal(np.asarray(next(iter(still.chunks([7, 0]))).perm), np.arange(50))


def test_fit_compiles_its_loop_and_nothing_else(caplog):
    """The first epoch pays for one compiled training loop: no eager key, data transfer,
    shuffle, slot or metric op is compiled beside it (each costs 0.01-0.35 s on XLA:CPU;
    the built-in optimizers' slots are constant fills, made on the host)."""
    import jax
    x, y = regression(40)
    warm = model()  # building a model compiles its initializers: not fit's cost
    warm.fit(x, y, batch_size=8, epochs=1, verbose=0)
    caplog.set_level(logging.WARNING)

    def compiled_by_fit():
        m = Sequential([layers.Dense(2, input_dim=3), layers.Dense(1)])
        m.compile(optimizer="adam", loss="mse", metrics=["mae"])
        m.predict(x[:2], verbose=0)  # built; its own eager setup is done
        caplog.clear()
        with jax.log_compiles(True):
            m.fit(x, y, batch_size=8, epochs=2, verbose=0)
        return [r.getMessage().split()[1] for r in caplog.records
                if r.getMessage().startswith("Compiling ")]

    assert compiled_by_fit() == ["jit(_train_loop)"]
    assert compiled_by_fit() == ["jit(_train_loop)"]


def test_class_weight_scales_each_sample():
    x = np.zeros((4, 3), np.float32)
    y = np.array([0, 1, 1, 1])
    m = Sequential([layers.Dense(2, input_dim=3, activation="softmax")])
    m.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    plain = m.evaluate(x, y, verbose=0)
    m.set_weights([np.zeros((3, 2), np.float32), np.array([0.0, 1.0], np.float32)])
    p1 = np.exp(1) / (1 + np.exp(1))
    expected = (3 * -np.log(1 - p1) * 1 + 3 * -np.log(p1) * 1) / 4  # class 0 x3, class 1 x1
    from hoarfrost.engine.data import class_sample_weights
    weights = class_sample_weights(y, {0: 3.0, 1: 1.0})
    assert np.array_equal(weights, [3.0, 1.0, 1.0, 1.0])
    weighted = m.evaluate(x, y, sample_weight=weights, verbose=0)
    assert np.isclose(weighted, expected, rtol=1e-5)
    assert np.isfinite(plain)
    # As Keras: a class the dict leaves out weighs 1, float labels are rounded.
    assert np.array_equal(class_sample_weights(np.array([0.0, 0.9999, 2.0]), {1: 4.0}),
                          [1.0, 4.0, 1.0])
    # As Keras: class weights and sample weights are not combined, it is an error.
    for call in (lambda: m.fit(x, y, sample_weight=weights, class_weight={0: 3.0, 1: 1.0},
                               verbose=0),
                 lambda: m.train_on_batch(x, y, sample_weight=weights,
                                          class_weight={0: 3.0, 1: 1.0})):
        with pytest.raises(ValueError, match="`class_weight` and `sample_weight` cannot"):
            call()


def test_predict_reuses_one_loop_for_chunks_of_any_length():
    """12 full batches at 5 per call (5, 5, 2) and a ragged batch of 4: two compiled
    loops (one per batch size, not one per chunk length), the rows in order, each once."""
    x, _ = regression(100)
    m = Sequential([layers.Dense(2, input_dim=3)])
    m.compile(optimizer="sgd", loss="mse", steps_per_execution=5)
    out = m.predict(x, batch_size=8, verbose=0)
    assert m.trace_counts["predict"] == 2
    assert out.shape == (100, 2)
    kernel, bias = m.get_weights()
    np.testing.assert_allclose(out, x @ kernel + bias, rtol=1e-5, atol=1e-6)
    streamed = m.predict(iter([x[:8], x[8:16], x[16:20]]), verbose=0)  # one batch a call
    np.testing.assert_allclose(streamed, out[:20], rtol=1e-6)


def test_fit_shuffles_a_py_dataset_s_batch_order_each_epoch():
    """Keras's fit(shuffle=True), the default, reads a PyDataset's batches in a new random
    order each epoch (Python's `random`); evaluate and shuffle=False read them in order."""
    from hoarfrost.utils import PyDataset

    class Recorder(PyDataset):
        def __init__(self):
            super().__init__()
            self.read, self.ends = [], 0

        def __len__(self):
            return 6

        def __getitem__(self, index):
            self.read.append(index)
            return np.full((2, 1), index, "float32"), np.zeros((2, 1), "float32")

        def on_epoch_end(self):
            self.ends += 1

    def epochs(shuffle, count=3):
        data = Recorder()
        adapter = adapters.IterableAdapter(data, None, lambda x, y, w: (x, y, w),
                                           shuffle=shuffle)
        orders = []
        for _ in range(count):
            before = len(data.read)
            list(adapter._epoch())
            orders.append(data.read[before:])
        return orders, data.ends

    set_random_seed(1)
    orders, ends = epochs(True)
    assert all(sorted(order) == list(range(6)) for order in orders) and ends == 3
    assert any(order != list(range(6)) for order in orders)
    assert len({tuple(order) for order in orders}) > 1
    set_random_seed(1)
    assert epochs(True)[0] == orders  # seeded: the same orders again
    assert epochs(False)[0] == [list(range(6))] * 3
