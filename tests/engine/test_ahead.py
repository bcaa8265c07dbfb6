"""A ragged last batch's loop compiles on a thread while the first chunks run.

What users rely on: the same weights as compiling it when it is reached, bit
for bit; the work really is off the main thread; nothing is left running
after `fit` returns.
"""

import threading

import jax
import numpy as np

from hoarfrost import Sequential, layers
from hoarfrost.engine import adapters, ahead
from hoarfrost.utils import set_random_seed


def _data(n=70):
    rng = np.random.default_rng(0)
    return rng.normal(size=(n, 5)).astype("float32"), rng.integers(0, 3, n)


def _trained(monkeypatch=None, off=False, epochs=2):
    if off:
        monkeypatch.setattr(ahead, "later_batch_sizes", lambda adapter: ())
    set_random_seed(3)
    model = Sequential([layers.Input((5,)), layers.Dense(8, activation="relu"),
                        layers.Dropout(0.2), layers.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"], steps_per_execution=2)
    x, y = _data()
    history = model.fit(x, y, batch_size=16, epochs=epochs, verbose=0)  # 4 x 16 + 6
    return model, history


def test_same_weights_and_logs_as_compiling_when_reached(monkeypatch):
    model, history = _trained()
    plain, plain_history = _trained(monkeypatch, off=True)
    for a, b in zip(model.get_weights(), plain.get_weights()):
        assert a.tobytes() == b.tobytes()
    assert history.history == plain_history.history
    assert model.trace_counts["train"] == plain.trace_counts["train"] == 2


def test_the_ragged_loop_compiles_on_its_thread_and_is_done_when_fit_returns():
    lowered = []  # the thread each program is lowered on (JAX's event, in that thread)

    def listener(event, duration, **kwargs):
        if event.endswith("jaxpr_to_mlir_module_duration"):
            lowered.append(threading.current_thread().name)

    jax.monitoring.register_event_duration_secs_listener(listener)
    try:
        _trained(epochs=1)
    finally:
        jax.monitoring.unregister_event_duration_listener(listener)
    # The first loop on the main thread, the one for the last batch (6 rows) on its own.
    assert lowered.count("hoarfrost-compile-ahead") == 1
    assert not [t for t in threading.enumerate() if t.name == "hoarfrost-compile-ahead"]


def test_later_batch_sizes_are_the_sizes_after_the_first_chunk():
    x, y = _data()
    ragged = adapters.ArrayAdapter((x, y, None), 16, 2, shuffle=False)
    assert ahead.later_batch_sizes(ragged) == (6,)
    even = adapters.ArrayAdapter((x[:64], y[:64], None), 16, 2, shuffle=False)
    assert ahead.later_batch_sizes(even) == ()
    assert ahead.later_batch_sizes(iter([])) == ()  # an iterable's batches are not known
