"""One function per system: train a workload for some epochs, time each epoch.

Each returns {"epoch_times": [...], "accuracy": test accuracy}. Every system
trains the same model on the same data with the same optimizer (Adam 1e-3).
"""

from __future__ import annotations

import os
import time

import numpy as np

from workloads import WORKLOADS, load, load_workload

#: Workloads built by benchmarks/models.py (W4-W8); W1-W3 are built below.
KERAS_API_MODELS = ("resnet", "transformer", "lstm", "transfer", "dcgan")


def set_precision(lib) -> None:
    """The dtype policy run.py asks for (`--precision`), set before any model is built.

    The hook for mixed precision: "float32" changes nothing; "mixed_bfloat16"
    calls `lib.mixed_precision.set_global_policy`, which Keras has and hoarfrost
    will have (issue 17, item 2); a library without it is reported, not run in float32.
    """
    policy = os.environ.get("BENCH_PRECISION", "float32")
    if policy == "float32":
        return
    mixed = getattr(lib, "mixed_precision", None)
    if mixed is None:
        raise NotImplementedError(f"{getattr(lib, '__name__', lib)}: no mixed_precision "
                                  f"to run {policy}")
    mixed.set_global_policy(policy)


def run_hoarfrost(name: str, epochs: int, verbose: int = 0) -> dict:
    import hoarfrost
    from hoarfrost import layers
    set_precision(hoarfrost)
    spec = WORKLOADS[name]
    if spec["model"] in KERAS_API_MODELS:
        hoarfrost.utils.set_random_seed(0)
        return _run_keras_api(hoarfrost, name, epochs, verbose)
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


def _build(lib, spec):
    import models
    if spec["model"] == "resnet":
        return models.resnet(lib)
    if spec["model"] == "transformer":
        return models.transformer(lib, spec["vocab"], spec["seq"])
    if spec["model"] == "lstm":
        return models.lstm(lib, spec["vocab"], spec["seq"])
    raise ValueError(spec["model"])


def _run_keras_api(lib, name: str, epochs: int, verbose: int = 0) -> dict:
    """W4-W8 for hoarfrost and Keras alike (their models: benchmarks/models.py)."""
    import models
    spec = WORKLOADS[name]
    x, y, xt, yt, _ = load_workload(name)
    callback = lib.callbacks.Callback
    if spec["model"] == "dcgan":
        step, generator, _ = models.dcgan(lib, spec["latent"])
        step.compile(optimizer="adam", loss=lib.losses.BinaryCrossentropy(from_logits=True))
        times = _fit_timed(step, callback, x, y, spec, epochs, verbose)
        logits = step.predict(xt, verbose=0)
        return {"epoch_times": times, "accuracy": float((logits[:, 0] > 0).mean())}
    if spec["model"] == "transfer":
        model, backbone, top = models.transfer(lib)
        for layer in backbone:
            layer.trainable = False
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"])
        frozen = _fit_timed(model, callback, x, y, spec, epochs, verbose)
        frozen_acc = model.evaluate(xt, yt, verbose=0)[1]
        for layer in top:
            layer.trainable = True
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"])  # Keras needs it; hoarfrost accepts it
        tuned = _fit_timed(model, callback, x, y, spec, epochs, verbose)
        tuned_acc = model.evaluate(xt, yt, verbose=0)[1]
        return {"epoch_times": frozen, "accuracy": float(frozen_acc),
                "more": {"W7-finetune": {"epoch_times": tuned, "accuracy": float(tuned_acc)}}}
    model = _build(lib, spec)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    times = _fit_timed(model, callback, x, y, spec, epochs, verbose)
    _, acc = model.evaluate(xt, yt, verbose=0)
    return {"epoch_times": times, "accuracy": float(acc)}


def run_keras(name: str, epochs: int) -> dict:
    import keras
    from keras import layers
    set_precision(keras)
    spec = WORKLOADS[name]
    if spec["model"] in KERAS_API_MODELS:
        keras.utils.set_random_seed(0)
        return _run_keras_api(keras, name, epochs)
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
    set_precision("hand-written JAX")  # float32 only: a bf16 loop is not written
    spec = WORKLOADS[name]
    if spec["model"] in KERAS_API_MODELS:
        return _run_jax_models(name, epochs)
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


def _run_jax_models(name: str, epochs: int) -> dict:
    """W4-W8 as hand-written JAX + Optax (benchmarks/reference_jax_models.py)."""
    import functools

    import jax
    import reference_jax_models as ref
    spec = WORKLOADS[name]
    x, y, xt, yt, _ = load_workload(name)
    key = jax.random.key(0)
    binary = spec["model"] == "dcgan"
    if spec["model"] in ("resnet", "transfer"):
        head = (10,) if spec["model"] == "resnet" else (64, 10)
        params, state, top = ref.init_resnet(key, head)
        everything = set(params)
        phases = [(everything, everything)]  # (trainable layers, training BatchNormalizations)
        if spec["model"] == "transfer":
            heads = {k for k in params if k.startswith("d")}
            phases = [(heads, set()), (heads | set(top), set(top))]
        apply_for = [functools.partial(lambda bn, p, s, xb: ref.resnet(p, s, xb, bn.__contains__),
                                       bn) for _, bn in phases]
    else:
        init, model = {"transformer": (ref.init_transformer, ref.transformer),
                       "lstm": (ref.init_lstm, ref.lstm),
                       "dcgan": (ref.init_dcgan, ref.dcgan)}[spec["model"]]
        if spec["model"] == "dcgan":
            params, state, extra = init(key, spec["latent"])
            trainable = {k for k in params if k.startswith("g_")}
        elif spec["model"] == "lstm":
            params, state, extra = init(key, spec["vocab"])
            trainable = set(params)
        else:
            params, state, extra = init(key, spec["vocab"], spec["seq"])
            trainable = set(params)
        phases = [(trainable, None)]
        apply_for = [lambda p, s, xb: model(p, s, xb, extra)]
    start = time.perf_counter()  # the first epoch includes putting the data on the device
    xd, yd = jax.device_put(x), jax.device_put(y)
    results = []
    for (trainable_names, _), apply in zip(phases, apply_for):
        trainable = {k: v for k, v in params.items() if k in trainable_names}
        fixed = {k: v for k, v in params.items() if k not in trainable_names}
        scan = spec["model"] in ("transformer", "lstm")  # see reference_jax_models
        tx, epoch_fn = ref.make_epoch(apply, spec["batch_size"], binary, scan)
        opt_state = tx.init(trainable)
        times = []
        for epoch in range(epochs):
            key, sub = jax.random.split(key)
            if epoch or results:
                start = time.perf_counter()
            trainable, state, opt_state, loss = epoch_fn(trainable, fixed, state, opt_state, xd,
                                                         yd, sub)
            loss.block_until_ready()
            times.append(time.perf_counter() - start)
        params = {**fixed, **trainable}
        results.append({"epoch_times": times,
                        "accuracy": ref.accuracy(apply, params, state, xt, yt, binary)})
    if len(results) == 2:
        results[0]["more"] = {"W7-finetune": results[1]}
    return results[0]


def run_torch(name: str, epochs: int) -> dict:
    import torch
    from torch import nn
    set_precision("PyTorch")  # float32 only: autocast is not wired in
    spec = WORKLOADS[name]
    if spec["model"] in KERAS_API_MODELS:
        raise NotImplementedError(f"{name}: no PyTorch version written yet")
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
