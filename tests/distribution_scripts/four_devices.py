"""Distribution checks on 4 virtual CPU devices, in one process.

Run by tests/test_distribution.py in a subprocess, with
`XLA_FLAGS=--xla_force_host_platform_device_count=4` set before JAX starts.
Prints one line `RESULT <json>`; the test asserts on it.
"""

from __future__ import annotations

import contextlib
import json
import re
import sys
import time
from collections import Counter

import jax
import numpy as np

import hoarfrost
from hoarfrost import distribution as dist
from hoarfrost import layers
from hoarfrost.engine import adapters

N, FEATURES, BATCH = 266, 20, 32  # 8 full batches (2 calls of 4 steps) and a ragged 10 rows,
#                                  which do not split over 4 devices (they run replicated)


def data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(N, FEATURES)).astype("float32")
    y = rng.integers(0, 10, N).astype("int32")
    return x, y


def mlp(optimizer="adam"):
    """Distinct kernel and bias shapes, so an all-reduce's shape says which variable it is."""
    hoarfrost.backend.clear_session()
    hoarfrost.utils.set_random_seed(0)
    model = hoarfrost.Sequential([
        layers.Dense(48, activation="relu", input_shape=(FEATURES,)),
        layers.Dense(24, activation="relu"),
        layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"], steps_per_execution=4)
    return model


def weights(model):
    return [np.asarray(w) for w in model.get_weights()]


def max_diff(a, b) -> float:
    return max(float(np.max(np.abs(u - v))) for u, v in zip(a, b))


def run(model, x, y, shuffle=True, epochs=2, inference=False):
    model.fit(x, y, batch_size=BATCH, epochs=epochs, shuffle=shuffle, verbose=0)
    out = {"weights": weights(model)}
    if inference:
        out.update(eval=model.evaluate(x, y, verbose=0), predict=model.predict(x, verbose=0))
    return out


def compare(a, b) -> dict:
    out = {"weights": max_diff(a["weights"], b["weights"])}
    if "eval" in a:
        out.update(eval=float(np.max(np.abs(np.subtract(a["eval"], b["eval"])))),
                   predict=float(np.max(np.abs(a["predict"] - b["predict"]))))
    return out


def devices_of(variable) -> int:
    return len(variable.value.sharding.device_set)


@contextlib.contextmanager
def train_hlo(model, texts: list):
    """Appends the compiled HLO of the first training call made in the block to `texts`."""
    captured = {}
    builder_for = model._builder

    def builder(part, kind):
        built = builder_for(part, kind)
        if kind == "train" and "fn" not in captured:
            jitted = built.train

            def train(*args, **kwargs):
                if "fn" not in captured:
                    captured.update(fn=jitted, kwargs=kwargs, args=jax.tree.map(
                        lambda a: jax.ShapeDtypeStruct(  # uncommitted: jit places it
                            a.shape, a.dtype, sharding=a.sharding if a.committed else None)
                        if isinstance(a, jax.Array) else a, args))
                return jitted(*args, **kwargs)

            built.train = train
        return built

    model._builder = builder
    yield
    del model._builder
    texts.append(captured["fn"].lower(*captured["args"], **captured["kwargs"]).compile()
                 .as_text())


def all_reduced(hlo: str) -> list[str]:
    """The shapes of every all-reduce result (tuples split), e.g. ['f32[20,48]', 'f32[]']."""
    shapes = []
    for line in hlo.splitlines():
        match = re.search(r"=\s*(.*?)\s+all-reduce(?:-start)?\(", line)
        if match:
            shapes += re.findall(r"[a-z]+[0-9]*\[[0-9,]*\]", match.group(1))
    return sorted(shapes)


def elements(shape: str) -> int:
    dims = shape[shape.index("[") + 1:-1]
    return int(np.prod([int(d) for d in dims.split(",")])) if dims else 1


def main() -> None:
    out: dict = {"devices": jax.device_count(), "seconds": {}}
    start = time.perf_counter()

    def lap(name):
        nonlocal start
        out["seconds"][name] = round(time.perf_counter() - start, 2)
        start = time.perf_counter()

    x, y = data()

    # Single device (no distribution) is the reference.
    ref_model = mlp()
    ref = run(ref_model, x, y, inference=True)
    ref_ordered = run(mlp(), x, y, shuffle=False)

    lap("reference")

    # Global DataParallel, shuffled on the device.
    dist.set_distribution(dist.DataParallel())
    model = mlp()
    dp = run(model, x, y, inference=True)
    out["dp"] = compare(dp, ref)
    out["dp_kernel_devices"] = devices_of(model.layers[0].kernel)
    out["dp_kernel_spec"] = str(model.layers[0].kernel.value.sharding.spec)

    lap("dp")

    # Streamed chunks (arrays too large for the device) and an iterable of batches.
    limit = adapters.DEVICE_DATA_LIMIT
    adapters.DEVICE_DATA_LIMIT = 0
    try:
        out["dp_streamed"] = compare(run(mlp(), x, y, shuffle=False), ref_ordered)
    finally:
        adapters.DEVICE_DATA_LIMIT = limit

    class Batches:
        def __iter__(self):
            return ((x[i:i + BATCH], y[i:i + BATCH]) for i in range(0, N, BATCH))

    model = mlp()
    model.fit(Batches(), epochs=2, verbose=0)
    out["dp_iterable"] = max_diff(weights(model), ref_ordered["weights"])

    lap("streamed_iterable")

    # Batch size that does not split over the devices.
    try:
        mlp().fit(x, y, batch_size=30, verbose=0)
        out["bad_batch_error"] = None
    except ValueError as error:
        out["bad_batch_error"] = str(error)

    lap("bad_batch")

    # Frozen first layer, set after compile: values and Adam slots bit-identical; and what
    # the compiled step all-reduces with and without it (the HLO of both steps).
    model, hlo, whole = mlp(), [], slice(0, 256)  # whole batches: every device has rows
    with train_hlo(model, hlo):
        model.fit(x[whole], y[whole], batch_size=BATCH, verbose=0)  # Adam slots now non-zero
    lap("frozen_first_fit")
    frozen = model.layers[0]
    frozen.trainable = False
    before = [np.asarray(v.value) for v in frozen.weights]
    slots_before = [jax.tree.map(np.asarray, model.optimizer.slots_for(v)) for v in frozen.weights]
    others_before = weights(model)[2:]
    with train_hlo(model, hlo):
        model.fit(x[whole], y[whole], batch_size=BATCH, epochs=2, verbose=0)
    out["frozen_values_equal"] = all(np.array_equal(b, np.asarray(v.value))
                                     for b, v in zip(before, frozen.weights))
    out["frozen_slots_equal"] = all(
        all(np.array_equal(p, np.asarray(q)) for p, q in zip(
            jax.tree.leaves(s), jax.tree.leaves(model.optimizer.slots_for(v))))
        for s, v in zip(slots_before, frozen.weights))
    out["others_changed"] = all(not np.array_equal(b, a)
                                for b, a in zip(others_before, weights(model)[2:]))
    everything, without_first = all_reduced(hlo[0]), all_reduced(hlo[1])
    out["all_reduce"] = {"all_trainable": everything, "first_frozen": without_first,
                         "removed": sorted((Counter(everything) - Counter(without_first))
                                           .elements()),
                         "added": sorted((Counter(without_first) - Counter(everything))
                                         .elements()),
                         "elements_all_trainable": sum(map(elements, everything)),
                         "elements_first_frozen": sum(map(elements, without_first))}
    lap("frozen_and_hlo")

    # Per-model distribution: no global one; this model alone runs over the 4 devices.
    dist.set_distribution(None)
    model = mlp()
    model.distribution = dist.DataParallel()
    per_model = run(model, x, y)
    out["per_model"] = compare(per_model, ref)
    out["per_model_vs_global"] = max_diff(per_model["weights"], dp["weights"])
    out["per_model_kernel_devices"] = devices_of(model.layers[0].kernel)
    out["plain_kernel_devices"] = devices_of(ref_model.layers[0].kernel)
    # ... and its own distribution wins over a global one.
    dist.set_distribution(dist.DataParallel(jax.devices()[:2]))
    model = mlp()
    model.distribution = dist.DataParallel()
    model.fit(x[:256], y[:256], batch_size=BATCH, verbose=0)
    out["per_model_wins_devices"] = devices_of(model.layers[0].kernel)
    dist.set_distribution(None)
    lap("per_model")

    # ModelParallel: batch over 2 devices, the first kernel's columns over 2 more.
    # Keras's form: a DeviceMesh, a LayoutMap on it (a layer's output too), batch_dim_name.
    mesh = dist.DeviceMesh((2, 2), ["data", "model"], dist.list_devices())
    layout = dist.LayoutMap(mesh)
    layout["dense/kernel"] = (None, "model")
    layout["dense/bias"] = ("model",)
    layout["dense_1/output"] = ("data", None)
    dist.set_distribution(dist.ModelParallel(layout_map=layout, batch_dim_name="data"))
    model = mlp()
    mp = run(model, x, y)
    out["mp_output_spec"] = str(model.layers[1](jax.numpy.ones((32, 48))).sharding.spec)
    out["mp_output_constrained"] = "sharding_constraint" in str(jax.make_jaxpr(model)(x[:32]))
    out["mp"] = compare(mp, ref)
    kernel = model.layers[0].kernel
    out["mp_kernel_spec"] = str(kernel.value.sharding.spec)
    out["mp_kernel_shard_shapes"] = sorted({tuple(s.data.shape)
                                            for s in kernel.value.addressable_shards})
    out["mp_slot_specs"] = sorted({str(leaf.sharding.spec) for leaf in jax.tree.leaves(
        model.optimizer.slots_for(kernel)) if np.ndim(leaf) == 2})
    out["mp_other_kernel_spec"] = str(model.layers[1].kernel.value.sharding.spec)
    dist.set_distribution(None)

    lap("model_parallel")

    print("RESULT " + json.dumps(out))


if __name__ == "__main__":
    sys.exit(main())
