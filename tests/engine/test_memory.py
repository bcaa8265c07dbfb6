"""Repeated `fit` / toggle / `evaluate` + `predict` cycles hold memory flat and leave no
thread behind (prefetching from a generator included)."""

import threading

import numpy as np

from hoarfrost import Sequential, layers

CYCLES = 50
X = np.random.default_rng(0).normal(size=(32, 4)).astype("float32")
Y = np.random.default_rng(1).normal(size=(32, 2)).astype("float32")


def resident_mb() -> float:
    with open("/proc/self/status") as handle:
        line = next(line for line in handle if line.startswith("VmRSS:"))
    return int(line.split()[1]) / 1024


def native_threads() -> int:
    with open("/proc/self/status") as handle:
        return int(next(line for line in handle if line.startswith("Threads:")).split()[1])


def batches():
    for i in range(0, len(X), 8):
        yield X[i:i + 8], Y[i:i + 8]


def cycle(model, i: int) -> None:
    model.get_layer("a").trainable = i % 2 == 0
    model.fit(X, Y, batch_size=8, epochs=1, verbose=0)
    model.fit(batches(), epochs=1, verbose=0)
    model.evaluate(X, Y, batch_size=8, verbose=0)
    model.predict(X, batch_size=8, verbose=0)


def test_repeated_cycles_hold_memory_and_threads():
    model = Sequential([layers.Dense(8, activation="relu", input_dim=4, name="a"),
                        layers.BatchNormalization(), layers.Dense(2)])
    model.compile("adam", "mse", metrics=["mae"])
    for i in range(2):  # both trainable sets compiled, caches warm
        cycle(model, i)
    threads, python_threads, start = native_threads(), threading.active_count(), resident_mb()
    for i in range(CYCLES):
        cycle(model, i)
    assert resident_mb() - start < 50
    assert threading.active_count() == python_threads
    assert native_threads() <= threads
