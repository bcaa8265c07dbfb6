"""Data and model parallelism: several devices, several processes (hoarfrost.distribution).

The multi-device checks run in subprocesses, because the number of virtual
CPU devices (`XLA_FLAGS=--xla_force_host_platform_device_count=N`) is fixed
when JAX starts: tests/distribution_scripts/four_devices.py (one process,
4 devices) and two_processes.py (2 processes x 2 devices on loopback).

Tolerance. A data-parallel step computes each device's gradient on its
slice of the batch and sums the slices with an all-reduce, so the float32
sums are added in a different order than on one device: the gradients
differ by a few float32 rounding errors (relative ~1e-7), and Adam carries
that into the weights. Observed: <= 2e-7 (small MLP, 18 steps) and <= 2e-6
(W1, 8 steps) on weights of magnitude ~0.1; TOL = 1e-5 leaves a margin, and
anything wrong (a lost or doubled slice, a wrong batch) is orders of
magnitude larger. Where the order of additions does not change (frozen
variables, two processes of one run), results are compared bit for bit.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import jax
import numpy as np
import pytest

import hoarfrost
from hoarfrost import distribution as dist
from hoarfrost import layers

SCRIPTS = Path(__file__).parent / "distribution_scripts"
TOL = 1e-5


def _env(devices: int) -> dict:
    env = dict(os.environ)
    flags = re.sub(r"--xla_force_host_platform_device_count=\S+", "", env.get("XLA_FLAGS", ""))
    env["XLA_FLAGS"] = f"{flags} --xla_force_host_platform_device_count={devices}".strip()
    env["JAX_PLATFORMS"] = "cpu"  # virtual CPU devices even where a GPU is present
    return env


def _result(stdout: str) -> dict:
    for line in stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT "):])
    raise AssertionError("no RESULT line")


@pytest.fixture(scope="module")
def four():
    proc = subprocess.run([sys.executable, str(SCRIPTS / "four_devices.py")], env=_env(4),
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-4000:]
    result = _result(proc.stdout)
    assert result["devices"] == 4
    return result


# --- one process, 4 devices ----------------------------------------------------------------
def test_data_parallel_matches_single_device(four):
    """Same global batches (shuffled alike), 2 epochs of 4 steps per call and a ragged
    last batch of 10 rows (not a multiple of 4: it runs replicated)."""
    assert four["dp"]["weights"] < TOL, four["dp"]
    assert four["dp"]["eval"] < TOL and four["dp"]["predict"] < TOL, four["dp"]
    assert four["dp_kernel_devices"] == 4 and four["dp_kernel_spec"] == "P()"


def test_data_parallel_streamed_arrays_and_iterables_match_single_device(four):
    assert four["dp_streamed"]["weights"] < TOL, four["dp_streamed"]
    assert four["dp_iterable"] < TOL, four["dp_iterable"]


def test_batch_size_that_does_not_split_names_both_numbers(four):
    message = four["bad_batch_error"]
    assert message is not None, "fit(batch_size=30) on 4 devices did not fail"
    assert "batch_size=30" in message and "4 devices" in message, message


def test_frozen_layer_stays_bit_identical_under_data_parallel(four):
    assert four["frozen_values_equal"], "a frozen kernel or bias changed"
    assert four["frozen_slots_equal"], "a frozen variable's Adam slots changed"
    assert four["others_changed"], "the trainable layers did not train"


def _dims(shape: str) -> tuple:
    inner = shape[shape.index("[") + 1:-1]
    return tuple(sorted(int(d) for d in inner.split(","))) if inner else ()


def test_frozen_variables_are_never_all_reduced(four):
    """From the compiled HLO of the step: freezing the first Dense (kernel 20x48, bias 48)
    removes exactly its gradient's all-reduces, and no all-reduce has its shape.

    Shapes are compared as sorted dimensions (XLA may all-reduce a kernel's gradient
    transposed, 48x20), and whether XLA combines all-reduces into tuples or not, the
    multiset of all-reduced shapes is what is compared.
    """
    found = four["all_reduce"]
    assert found["all_trainable"], "no all-reduce at all in the data-parallel step"
    assert sorted(map(_dims, found["removed"])) == [(20, 48), (48,)], found
    assert found["added"] == [], found
    assert not {(20, 48), (48,)} & set(map(_dims, found["first_frozen"])), found
    assert found["elements_all_trainable"] - found["elements_first_frozen"] == 20 * 48 + 48


def test_per_model_distribution(four):
    """`model.distribution = DataParallel()` with no global distribution: that model runs
    over the 4 devices (as the global one would, bit for bit); others stay on one."""
    assert four["per_model"]["weights"] < TOL, four["per_model"]
    assert four["per_model_vs_global"] == 0.0
    assert four["per_model_kernel_devices"] == 4
    assert four["plain_kernel_devices"] == 1


def test_model_parallel_shards_the_kernel_as_the_layout_says(four):
    """Keras's form: DeviceMesh (data 2, model 2), LayoutMap(mesh) with `dense/kernel` ->
    (None, 'model'), ModelParallel(layout_map=, batch_dim_name='data'): the 20x48 kernel
    lives as 20x24 halves, its Adam moments likewise, and training matches one device."""
    assert four["mp"]["weights"] < TOL, four["mp"]
    assert four["mp_kernel_spec"] == "P(None, 'model')"
    assert four["mp_kernel_shard_shapes"] == [[20, 24]]
    assert four["mp_slot_specs"] == ["P(None, 'model')"]


def test_model_parallel_lays_out_a_layer_output_as_the_layout_says(four):
    """`layout_map["dense_1/output"] = ("data", None)`: that layer's output is split over
    'data' (eagerly, and as a sharding constraint where it is traced), as Keras's
    `Layer.__call__` does with `get_tensor_layout`."""
    assert four["mp_output_spec"] == "P('data', None)"
    assert four["mp_output_constrained"]


def test_model_parallel_keeps_unlisted_variables_replicated(four):
    """A variable no layout key matches is replicated, also after training (the step pins
    its outputs to the layout instead of XLA's choice)."""
    assert four["mp_other_kernel_spec"] == "P()", four["mp_other_kernel_spec"]


# --- two processes on loopback -----------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def two(tmp_path_factory):
    out = tmp_path_factory.mktemp("two_processes")
    port = _free_port()
    procs = [subprocess.Popen([sys.executable, str(SCRIPTS / "two_processes.py"), str(i),
                               str(port), str(out)], env=_env(2), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for i in range(2)]
    outputs = []
    try:
        for proc in procs:
            outputs.append(proc.communicate(timeout=600))
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
    for i, (proc, (stdout, stderr)) in enumerate(zip(procs, outputs)):
        assert proc.returncode == 0, f"process {i}:\n{stdout[-2000:]}\n{stderr[-4000:]}"
    weights = [dict(np.load(out / f"weights_{i}.npz")) for i in range(2)]
    return {"out": out, "stdout": [o for o, _ in outputs],
            "info": [_result(o) for o, _ in outputs], "weights": weights}


def _group(weights: dict, name: str) -> list:
    return [weights[f"{name}/{i}"] for i in range(6)]  # 3 Dense: kernel and bias each


@pytest.mark.parametrize("way, reference, holder", [
    ("same_data", "ref_same_data", 0),   # every process passes the same arrays
    ("own_data", "ref_interleaved", 1),  # each process passes its own half
    ("stream", "ref_interleaved", 1),    # the same stream of batches on every process
])
def test_two_processes_train_identically_and_as_one(two, way, reference, holder):
    """W1 (784-300-100-10, Adam), 2 processes x 2 devices, 8 steps of global batch 32
    (16 per process): both processes end with the same weights, bit for bit, and with
    those of one process training on the same global batches of 32."""
    first, second = (_group(w, way) for w in two["weights"])
    assert all(np.array_equal(a, b) for a, b in zip(first, second))
    ref = _group(two["weights"][holder], reference)
    assert max(float(np.max(np.abs(a - r))) for a, r in zip(first, ref)) < TOL


def test_two_processes_evaluate_and_predict_globally(two):
    p0, p1 = two["info"]
    assert p0["same_data_eval"] == p1["same_data_eval"]
    assert np.allclose(p0["same_data_eval"], p0["ref_same_data_eval"], atol=TOL)
    assert p0["own_data_eval"] == p1["own_data_eval"]  # metrics over both halves
    assert p0["same_data_predict_shape"] == p1["same_data_predict_shape"] == [64, 10]


def test_only_process_zero_prints_progress_and_writes_files(two):
    assert "1/1" not in two["stdout"][1].split("fits with verbose=2", 1)[1], two["stdout"][1]
    assert "Epoch 1/1" in two["stdout"][0]
    for name in ("saved_by_{}.weights.safetensors", "log_{}.csv",
                 "checkpoint_{}.weights.safetensors", "history_{}.png"):
        assert (two["out"] / name.format(0)).exists(), name.format(0)
        assert not (two["out"] / name.format(1)).exists(), name.format(1)


def test_backup_and_restore_restores_slots_on_every_process(two):
    """Process 0 wrote the backup; each process's new fit restored the weights, Adam's
    slots and the step count from it, bit for bit."""
    backed_up = [v for k, v in sorted(two["weights"][0].items(),
                                      key=lambda kv: int(kv[0].rsplit("/", 1)[1]))
                 if k.startswith("backed_up/")]
    assert len(backed_up) >= 2 + 2 + 2 * 2  # kernel, bias; iteration, rate; Adam's slots
    assert int(backed_up[2]) == 2  # the step count: 32 rows in global batches of 2 x 8
    for weights in two["weights"]:
        restored = [weights[f"restored/{i}"] for i in range(len(backed_up))]
        assert all(np.array_equal(a, b) for a, b in zip(restored, backed_up))


def test_different_seeds_per_process_are_refused_under_auto_sharding(two):
    for info in two["info"]:
        assert "processes shuffle with different random seeds" in info["different_seeds"]
        assert f"this is process {info['process']}" in info["different_seeds"]


# --- in this process (one device) ----------------------------------------------------------
def test_layout_map_matches_as_keras():
    """Keras's LayoutMap: the key equal to the path, else the one key whose regex matches
    the whole path; two matching keys raise; a tuple is a TensorLayout on the map's mesh."""
    mesh = dist.DeviceMesh((1, 1), ["batch", "model"])
    layout = dist.LayoutMap(mesh)
    layout["dense.*kernel"] = (None, "model")
    layout["dense_1/bias"] = ("model",)
    kernel = layout["dense_1/kernel"]
    assert isinstance(kernel, dist.TensorLayout) and kernel.axes == (None, "model")
    assert kernel.device_mesh is mesh
    assert layout["dense_1/bias"].axes == ("model",)
    assert layout["kernel"] is None and layout["my_dense_1/kernel_1"] is None  # whole path
    assert layout.get("conv/kernel") is None and len(layout) == 2
    layout[".*_1/kernel"] = ("model", None)
    with pytest.raises(ValueError, match="matches multiple layout specification keys"):
        layout["dense_1/kernel"]
    with pytest.raises(ValueError, match="already exist in the LayoutMap"):
        layout["dense_1/bias"] = (None,)
    with pytest.raises(ValueError, match="should be a TensorLayout"):
        layout["x"] = "model"
    with pytest.raises(ValueError, match="Invalid axis names for Layout"):
        layout["y"] = (None, "modle")


def test_devices_mesh_and_layouts_by_keras_names():
    assert dist.list_devices() == [f"{d.platform}:{d.id}" for d in jax.devices()]
    assert dist.list_devices("cpu")[0] == "cpu:0" and dist.get_device_count("cpu") >= 1
    mesh = dist.DeviceMesh((1,), ["data"], dist.list_devices()[:1])
    assert mesh.shape == (1,) and mesh.axis_names == ["data"] and mesh.devices.shape == (1,)
    assert mesh.backend_mesh.axis_names == ("data",)
    assert mesh.backend_mesh.devices.flat[0] is jax.devices()[0]
    sharding = dist.TensorLayout(("data", None), mesh).backend_layout
    assert sharding.spec == jax.sharding.PartitionSpec("data", None)
    with pytest.raises(ValueError, match="Shape does not match the number of devices"):
        dist.DeviceMesh((2, 2), ["batch", "model"], dist.list_devices()[:1])
    with pytest.raises(ValueError, match="Device not found: 'cpu:99'"):
        dist.DeviceMesh((1,), ["batch"], ["cpu:99"]).backend_mesh
    with pytest.raises(ValueError, match="device mesh is not set"):
        dist.TensorLayout((None,)).backend_layout
    data_parallel = dist.DataParallel(device_mesh=mesh)
    assert data_parallel.batch_dim_name == "data" and data_parallel.num_model_replicas == 1
    assert data_parallel.get_data_layout((8, 3)).axes == ("data", None)
    assert dist.DataParallel(devices=dist.list_devices()).batch_dim_name == "batch"
    with pytest.warns(UserWarning, match="expected a 1-D mesh"):
        wide = dist.DataParallel(device_mesh=dist.DeviceMesh((1, 1), ["rows", "model"]))
    assert wide.batch_dim_name == "rows"
    with data_parallel.scope():
        assert dist.distribution() is data_parallel
    assert dist.distribution() is None


def test_model_parallel_by_keras_names_trains_and_lays_out_outputs():
    """The Distribution API guide's form on one device: DeviceMesh (data, model), LayoutMap,
    `"d2/output"`, `ModelParallel(layout_map=, batch_dim_name="data")`; the kernel takes its
    layout, d2's output a sharding constraint in the traced call, and fit runs."""
    mesh = dist.DeviceMesh((1, 1), ["data", "model"], dist.list_devices()[:1])
    layout_map = dist.LayoutMap(mesh)
    layout_map["d1/kernel"] = (None, "model")
    layout_map["d2/output"] = ("data", None)
    model_parallel = dist.ModelParallel(layout_map=layout_map, batch_dim_name="data")
    assert model_parallel.batch_dim_name == "data" and model_parallel.device_mesh is mesh
    inputs = hoarfrost.Input((4,))
    hidden = layers.Dense(6, name="d1")(inputs)
    model = hoarfrost.Model(inputs, layers.Dense(2, name="d2")(hidden))
    assert model_parallel.get_variable_layout(model.get_layer("d1").kernel).axes == (None,
                                                                                      "model")
    assert model_parallel.get_variable_layout(model.get_layer("d2").kernel).axes == (None, None)
    x = np.ones((4, 4), np.float32)
    with dist.running(model_parallel):
        traced = str(jax.make_jaxpr(lambda a: model(a))(x))
    assert traced.count("sharding_constraint") == 1, traced  # d2's output, d1's not
    assert "sharding_constraint" not in str(jax.make_jaxpr(lambda a: model(a))(x))
    model.distribution = model_parallel
    model.compile(optimizer="sgd", loss="mse")
    model.fit(x, np.zeros((4, 2), np.float32), batch_size=4, verbose=0)
    kernel = model.get_layer("d1").kernel
    assert model_parallel.variable_sharding(kernel).spec == jax.sharding.PartitionSpec(
        None, "model")
    assert model.get_layer("d1").kernel.value.sharding.is_equivalent_to(
        model_parallel.variable_sharding(kernel), 2)


def test_model_parallel_arguments_are_checked():
    with pytest.raises(ValueError, match="must specify a layout_map"):
        dist.ModelParallel()
    with pytest.raises(ValueError, match="must be a `LayoutMap`"):
        dist.ModelParallel(layout_map={"d1/kernel": (None, "model")})
    layout_map = dist.LayoutMap(dist.DeviceMesh((1, 1), ["batch", "model"]))
    with pytest.raises(ValueError, match="mesh_shape and devices are only for a LayoutMap"):
        dist.ModelParallel(layout_map, mesh_shape=(1, 1))
    with pytest.raises(ValueError, match="batch_dim_name='data' is not an axis"):
        dist.ModelParallel(layout_map=layout_map, batch_dim_name="data")


def test_model_parallel_layout_errors_name_the_variable():
    model = hoarfrost.Sequential([layers.Dense(3, input_shape=(4,), name="head")])
    kernel = model.layers[0].kernel
    layout = dist.LayoutMap()  # hoarfrost's form: the mesh comes from mesh_shape
    layout["head/kernel"] = ("model",)
    with pytest.raises(ValueError, match="head/kernel.*has 1 axes.*shape \\(4, 3\\)"):
        dist.ModelParallel(layout).variable_sharding(kernel)
    layout = dist.LayoutMap()
    layout["head/kernel"] = (None, "modle")
    with pytest.raises(ValueError, match="'modle'"):
        dist.ModelParallel(layout).variable_sharding(kernel)
    with pytest.raises(ValueError, match="mesh_shape \\(2, 2\\) needs 4 devices, got 1"):
        dist.ModelParallel(dist.LayoutMap(), mesh_shape=(2, 2))


def test_model_distribution_wins_over_the_global_one():
    model = hoarfrost.Sequential([layers.Dense(1, input_shape=(2,))])
    own, shared = dist.DataParallel(), dist.DataParallel()
    try:
        dist.set_distribution(shared)
        assert dist.current(model) is shared
        model.distribution = own
        assert dist.current(model) is own
        assert model.layers == model.layers[:1]  # a distribution is not tracked as a layer
    finally:
        dist.set_distribution(None)


def test_one_device_data_parallel_trains_exactly_as_no_distribution():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(64, 4)).astype("float32"), rng.normal(size=(64, 1)).astype("float32")
    results = []
    for distribution in (None, dist.DataParallel()):
        hoarfrost.backend.clear_session()
        hoarfrost.utils.set_random_seed(0)
        model = hoarfrost.Sequential([layers.Dense(8, activation="relu", input_shape=(4,)),
                                      layers.Dense(1)])
        model.distribution = distribution
        model.compile(optimizer="adam", loss="mse", steps_per_execution=4)
        model.fit(x, y, batch_size=16, epochs=2, verbose=0)
        results.append(model.get_weights() + [model.predict(x, verbose=0)])
    assert all(np.array_equal(a, b) for a, b in zip(*results))


def test_single_process_has_one_data_shard():
    d = dist.DataParallel()
    assert (d.num_processes, d.process_id, d.num_data_shards, d.data_shard_id) == (1, 0, 1, 0)
    assert not d.feeds_local_data and d.global_batch_size(32) == 32
    tree = {"a": np.ones((4, 2), np.float32), "k": jax.random.key(0)}
    placed = d.replicate(tree)
    assert np.array_equal(d.fetch(placed["a"]), tree["a"])
    assert jax.dtypes.issubdtype(placed["k"].dtype, jax.dtypes.prng_key)


def test_initialize_takes_arguments_or_environment(monkeypatch):
    calls = []
    monkeypatch.setattr(jax.distributed, "initialize", lambda **kw: calls.append(kw))
    dist.initialize("10.0.0.1:1234", num_processes=2, process_id=1)
    monkeypatch.setenv("KERAS_DISTRIBUTION_JOB_ADDRESSES", "10.0.0.1:1234,10.0.0.2:2345")
    monkeypatch.setenv("KERAS_DISTRIBUTION_NUM_PROCESSES", "2")
    monkeypatch.setenv("HOARFROST_PROCESS_ID", "0")
    dist.initialize()
    dist.initialize(job_addresses="10.0.0.1:1234,10.0.0.2:2345")  # Keras's keyword
    expected = {"coordinator_address": "10.0.0.1:1234", "num_processes": 2}
    assert calls == [{**expected, "process_id": 1}, {**expected, "process_id": 0},
                     {**expected, "process_id": 0}]
