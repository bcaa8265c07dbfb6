"""One function per system: train a workload for some epochs, time each epoch.

Each returns {"epoch_times": [...], "accuracy": test accuracy}. Every system
trains the same model on the same data with the same optimizer (Adam 1e-3).
"""

from __future__ import annotations

import time

import numpy as np

from workloads import WORKLOADS, load


def run_hoarfrost(name: str, epochs: int, verbose: int = 0) -> dict:
    import hoarfrost
    from hoarfrost import layers
    spec = WORKLOADS[name]
    x, y, xt, yt, _ = load(spec["samples"])
    hoarfrost.utils.set_random_seed(0)
    model = _keras_like_model(hoarfrost, layers, spec)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    if spec["frozen_first"]:
        model.layers[1].trainable = False  # after compile: hoarfrost honours it
    times = _fit_timed(model, hoarfrost.callbacks.Callback, x, y, spec, epochs, verbose)
    _, acc = model.evaluate(xt, yt, verbose=0)
    return {"epoch_times": times, "accuracy": float(acc)}


def run_hoarfrost_progress(name: str, epochs: int) -> dict:
    """hoarfrost with the live progress bar (`verbose=1`; run.py makes rich draw as on a tty)."""
    return run_hoarfrost(name, epochs, verbose=1)


def _keras_like_model(lib, layers, spec):
    if spec["model"] == "mlp":
        return lib.Sequential([layers.Flatten(input_shape=(28, 28)),
                               layers.Dense(300, activation="relu"),
                               layers.Dense(100, activation="relu"),
                               layers.Dense(10, activation="softmax")])
    return lib.Sequential([layers.Reshape((28, 28, 1), input_shape=(28, 28)),
                           layers.Conv2D(32, 3, activation="relu"), layers.MaxPooling2D(),
                           layers.Conv2D(64, 3, activation="relu"), layers.MaxPooling2D(),
                           layers.Flatten(), layers.Dense(10, activation="softmax")])


def _fit_timed(model, callback_base, x, y, spec, epochs, verbose=0):
    """Seconds per epoch; the first counts from the `fit` call (data setup included)."""
    times = []

    class Timer(callback_base):
        def on_epoch_begin(self, epoch, logs=None):
            if epoch:
                self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            times.append(time.perf_counter() - self.start)

    timer = Timer()
    timer.start = time.perf_counter()
    model.fit(x, y, batch_size=spec["batch_size"], epochs=epochs, verbose=verbose,
              callbacks=[timer])
    return times


def run_keras(name: str, epochs: int) -> dict:
    import keras
    from keras import layers
    spec = WORKLOADS[name]
    x, y, xt, yt, _ = load(spec["samples"])
    keras.utils.set_random_seed(0)
    model = _keras_like_model(keras, layers, spec)
    if spec["frozen_first"]:
        model.layers[1].trainable = False  # Keras needs this before compile
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    times = _fit_timed(model, keras.callbacks.Callback, x, y, spec, epochs)
    _, acc = model.evaluate(xt, yt, verbose=0)
    return {"epoch_times": times, "accuracy": float(acc)}


def run_jax(name: str, epochs: int) -> dict:
    import jax
    import reference_jax as ref
    spec = WORKLOADS[name]
    x, y, xt, yt, _ = load(spec["samples"])
    apply, init = (ref.mlp, ref.init_mlp) if spec["model"] == "mlp" else (ref.cnn, ref.init_cnn)
    params = init(jax.random.key(0))
    fixed = {"d1": params.pop("d1")} if spec["frozen_first"] else {}
    tx, epoch_fn = ref.make_epoch(apply, spec["batch_size"])
    state = tx.init(params)
    start = time.perf_counter()  # the first epoch includes putting the data on the device
    xd, yd = jax.device_put(x), jax.device_put(y)
    key = jax.random.key(1)
    times = []
    for epoch in range(epochs):
        key, sub = jax.random.split(key)
        if epoch:
            start = time.perf_counter()
        params, state, loss = epoch_fn(params, fixed, state, xd, yd, sub)
        loss.block_until_ready()
        times.append(time.perf_counter() - start)
    return {"epoch_times": times, "accuracy": ref.accuracy(apply, {**fixed, **params}, xt, yt)}


def run_torch(name: str, epochs: int) -> dict:
    import torch
    from torch import nn
    spec = WORKLOADS[name]
    x, y, xt, yt, _ = load(spec["samples"])
    torch.manual_seed(0)
    if spec["model"] == "mlp":
        model = nn.Sequential(nn.Flatten(), nn.Linear(784, 300), nn.ReLU(), nn.Linear(300, 100),
                              nn.ReLU(), nn.Linear(100, 10))
        if spec["frozen_first"]:
            model[1].requires_grad_(False)
    else:
        model = nn.Sequential(nn.Unflatten(1, (1, 28)), nn.Conv2d(1, 32, 3), nn.ReLU(),
                              nn.MaxPool2d(2), nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
                              nn.Flatten(), nn.Linear(1600, 10))
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.Adam(params, lr=1e-3, eps=1e-7, fused=True)
    xt_, yt_ = torch.from_numpy(x), torch.from_numpy(y).long()
    loss_fn = nn.CrossEntropyLoss()
    bs = spec["batch_size"]
    times = []
    for _ in range(epochs):
        start = time.perf_counter()
        perm = torch.randperm(len(xt_))
        for i in range(0, len(perm), bs):
            idx = perm[i:i + bs]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(xt_[idx]), yt_[idx])
            loss.backward()
            opt.step()
        times.append(time.perf_counter() - start)
    with torch.no_grad():
        acc = (model(torch.from_numpy(xt)).argmax(-1).numpy() == yt).mean()
    return {"epoch_times": times, "accuracy": float(acc)}


SYSTEMS = {"hoarfrost": run_hoarfrost, "hoarfrost-verbose1": run_hoarfrost_progress,
           "jax": run_jax, "keras-jax": run_keras,
           "keras-tf": run_keras, "torch": run_torch}
