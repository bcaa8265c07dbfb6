"""Data and model parallelism on JAX's own runtime (`jax.sharding`), on one host or many.

`DataParallel` splits every batch over a 1-D mesh of devices and replicates
variables and optimizer slots; `ModelParallel` also shards large kernels over
a second mesh axis by regexes on variable paths (Keras's `LayoutMap`). The
compiled step is the same pure function: XLA inserts the collectives, and a
frozen variable, never differentiated, is never all-reduced.

A distribution applies to every model (`set_distribution`) or to one model
(`model.distribution = DataParallel()`, which wins over the global one).

Example (4 local devices, or CPU devices forced with
`XLA_FLAGS=--xla_force_host_platform_device_count=4`):

    >>> from hoarfrost import distribution
    >>> distribution.set_distribution(distribution.DataParallel())
    >>> model.fit(x, y, batch_size=128)   # 32 samples per device per step

Several processes (hosts), as Keras 3 on JAX: every process runs the same
program after `initialize(...)`, and `batch_size` is what *each process*
feeds per step, so the global batch is `batch_size * num_processes`:

- `auto_shard_dataset=True` (the default): every process passes the same
  arrays (or the same stream of batches). Arrays are shuffled identically on
  every process (same seed, which `initialize` makes sure of), each global
  batch is `batch_size * num_processes` consecutive rows of that order, and
  each process copies to its devices only the rows they compute on. A stream
  of batches is cut into groups of `num_processes` batches, one global batch
  per group.
- `auto_shard_dataset=False`: each process passes *its own* data (its shard
  of the dataset: the same number of samples on every process); step `k`
  trains on every process's `k`-th local batch together
  (`jax.make_array_from_process_local_data`). `predict` then returns all
  processes' rows, batch by batch.

Variables start from process 0's values (broadcast once, when they are first
laid out over the global mesh), so every replica is identical even if the
processes were seeded differently. `evaluate` and `predict` return the global
results on every process; only process 0 prints progress and writes files
(`save`, `save_weights`, `ModelCheckpoint`, `CSVLogger`, `BackupAndRestore`),
as in Keras, while every process still takes part in gathering what is saved.
"""

from __future__ import annotations

import os
import re
from typing import Sequence

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec

from hoarfrost import random as random_module
from hoarfrost.host import is_writer, to_host  # noqa: F401  (re-exported: their old home)

_GLOBAL: dict = {"distribution": None}


def _is_key(value) -> bool:
    return (isinstance(value, jax.Array)
            and jax.dtypes.issubdtype(value.dtype, jax.dtypes.prng_key))


def _put(value, sharding):
    """`value` laid out as `sharding`, with no traffic between processes.

    On one process this is `jax.device_put`. Over several processes, every
    process must pass the same value (as for a replicated variable, or the
    same global batch): each copies only the pieces its own devices hold, so
    there is no hidden cross-process check (which `jax.device_put` would run
    as a collective) and it is safe on a data-loading thread.
    """
    if isinstance(value, jax.Array) and value.sharding.is_equivalent_to(sharding, value.ndim):
        return value
    if sharding.is_fully_addressable:
        return jax.device_put(value, sharding)
    if _is_key(value):
        data = _put(jax.random.key_data(value), sharding)
        return jax.random.wrap_key_data(data, impl=jax.random.key_impl(value))
    if isinstance(value, jax.Array) and not value.is_fully_addressable:
        return jax.device_put(value, sharding)  # global -> global: a reshard
    host = value if isinstance(value, jax.Array) else np.asarray(value)
    return jax.make_array_from_callback(host.shape, sharding, lambda index: host[index])


class Distribution:
    """Where batches, variables and data live; the default is one device.

    Args:
        mesh: the `jax.sharding.Mesh`; its `batch` axis splits batches.
        auto_shard_dataset: over several processes, True when every process
            passes the same data (each takes its rows), False when each
            passes its own shard (see the module documentation).
    """

    batch_axis = "batch"
    #: False: compiled loops run a static number of steps (collectives over virtual CPU
    #: devices were seen stalling in a loop of traced length on 2 cores)
    traced_loops = False

    def __init__(self, mesh: Mesh, auto_shard_dataset: bool = True):
        self.mesh = mesh
        self.auto_shard_dataset = bool(auto_shard_dataset)
        self._shard_map: tuple | None = None
        self._shardings: dict = {}

    def __repr__(self) -> str:
        return f"<{type(self).__name__} mesh={dict(self.mesh.shape)}>"

    # --- processes and data shards -----------------------------------------------------
    @property
    def num_processes(self) -> int:
        return jax.process_count()

    @property
    def process_id(self) -> int:
        return jax.process_index()

    @property
    def is_multi_process(self) -> bool:
        return jax.process_count() > 1

    @property
    def num_batch_shards(self) -> int:
        """Devices along the batch axis: how many pieces each global batch splits into."""
        return self.mesh.shape[self.batch_axis]

    def _batch_major_devices(self) -> np.ndarray:
        axis = self.mesh.axis_names.index(self.batch_axis)
        return np.moveaxis(self.mesh.devices, axis, 0).reshape(self.num_batch_shards, -1)

    def _shards(self) -> tuple[int, dict]:
        """(number of data shards, {process index: its data shard}).

        A data shard is the set of batch-axis positions one process's devices
        cover; processes whose devices cover the same positions (a model axis
        across hosts) share a shard and must feed the same rows.
        """
        if self._shard_map is None:
            positions: dict[int, set] = {}
            for position, group in enumerate(self._batch_major_devices()):
                for device in group:
                    positions.setdefault(device.process_index, set()).add(position)
            blocks = sorted({tuple(sorted(p)) for p in positions.values()})
            if ([p for block in blocks for p in block] != list(range(self.num_batch_shards))
                    or len({len(block) for block in blocks}) != 1):
                raise ValueError(
                    f"{type(self).__name__}: each process's devices must cover one contiguous, "
                    "equally sized range of the batch axis (order the mesh's devices by "
                    f"process, as jax.devices() does); got {positions}.")
            self._shard_map = (len(blocks), {proc: blocks.index(tuple(sorted(p)))
                                             for proc, p in positions.items()})
        return self._shard_map

    @property
    def num_data_shards(self) -> int:
        """Distinct pieces of data the processes feed per step (1 on one process)."""
        return self._shards()[0]

    @property
    def data_shard_id(self) -> int:
        """Which of those pieces this process feeds."""
        shard = self._shards()[1].get(jax.process_index())
        if shard is None:
            raise ValueError(f"{type(self).__name__}: process {jax.process_index()} has no "
                             "device in the mesh; every process must take part.")
        return shard

    @property
    def feeds_local_data(self) -> bool:
        """True when each process passes its own data (several processes, no auto-shard)."""
        return self.is_multi_process and not self.auto_shard_dataset

    def global_batch_size(self, batch_size: int) -> int:
        """Rows per step over all processes: `batch_size` from each data shard."""
        return batch_size * self.num_data_shards

    # --- shardings ---------------------------------------------------------------------
    def batch_sharding(self, ndim: int) -> NamedSharding:
        return NamedSharding(self.mesh, PartitionSpec(self.batch_axis, *([None] * (ndim - 1))))

    def replicated(self) -> NamedSharding:
        return NamedSharding(self.mesh, PartitionSpec())

    def variable_sharding(self, variable) -> NamedSharding:
        return self.replicated()

    def _shard_sharding(self, ndim: int) -> NamedSharding:
        """Rows in `num_data_shards` blocks, block `s` on (all) the devices of data shard `s`."""
        if ndim not in self._shardings:
            devices = self._batch_major_devices().reshape(self.num_data_shards, -1)
            mesh = Mesh(devices, ("data_shard", "within"))
            self._shardings[ndim] = NamedSharding(
                mesh, PartitionSpec("data_shard", *([None] * (ndim - 1))))
        return self._shardings[ndim]

    # --- hooks used by the engine ---------------------------------------------------
    def replicate(self, tree):
        """Every leaf on every device (the same value on every process; PRNG keys too)."""
        sharding = self.replicated()
        return jax.tree.map(lambda a: _put(a, sharding), tree)

    def place_data(self, tree):
        """Whole datasets: replicated, so every device gathers its rows locally."""
        sharding = self.replicated()
        return jax.tree.map(lambda a: _put(a if isinstance(a, jax.Array) else np.asarray(a),
                                           sharding), tree)

    def place_batch(self, tree):
        """Global rows (the same on every process), split along their first axis.

        Rows that do not split evenly over the batch devices (a ragged last
        batch) are replicated: correct, just not parallel.
        """
        def put(a):
            a = a if isinstance(a, jax.Array) else np.asarray(a)
            even = a.ndim and a.shape[0] % self.num_batch_shards == 0
            return _put(a, self.batch_sharding(a.ndim) if even else self.replicated())
        return jax.tree.map(put, tree)

    def place_local_batch(self, tree):
        """This process's own rows; the global array stacks the data shards in order.

        No communication: each process copies its rows to its own devices
        (`jax.make_array_from_process_local_data`). Each process must pass the
        same number of rows.
        """
        def put(a):
            a = np.asarray(a)
            shape = (a.shape[0] * self.num_data_shards,) + a.shape[1:]
            return jax.make_array_from_process_local_data(self._shard_sharding(a.ndim), a, shape)
        return jax.tree.map(put, tree)

    def constrain_batch(self, tree):
        """Inside a step: keep the gathered batch split over the batch axis.

        A ragged last batch that does not split evenly runs replicated
        (correct, just not parallel).
        """
        def constrain(a):
            if a.ndim == 0 or a.shape[0] % self.num_batch_shards:
                return a
            return jax.lax.with_sharding_constraint(a, self.batch_sharding(a.ndim))
        return jax.tree.map(constrain, tree)

    def constrain_variables(self, variables, values):
        """Inside a step: each new value laid out as its variable's layout says.

        Without it XLA may hand back a variable the layout replicates sharded
        the way its neighbour is (and the next call would move it back).
        """
        return [jax.lax.with_sharding_constraint(value, self.variable_sharding(v))
                for v, value in zip(variables, values)]

    def constrain_like(self, variables, slots):
        """Inside a step: optimizer slots laid out as their variables (scalars replicated)."""
        out = []
        for variable, slot in zip(variables, slots):
            sharding = self.variable_sharding(variable)
            out.append(jax.tree.map(
                lambda leaf: jax.lax.with_sharding_constraint(
                    leaf, sharding if np.shape(leaf) == variable.shape else self.replicated()),
                slot))
        return out

    def place_variable_values(self, variables, values):
        values = self._agree(list(values))
        return [_put(value, self.variable_sharding(v)) for v, value in zip(variables, values)]

    def place_like(self, variables, slots):
        """Optimizer slots follow their variable's sharding (scalars replicate)."""
        out = []
        for variable, slot in zip(variables, slots):
            sharding = self.variable_sharding(variable)
            out.append(jax.tree.map(
                lambda leaf: _put(leaf, sharding if np.ndim(leaf) == variable.ndim
                                  and np.shape(leaf) == variable.shape
                                  else self.replicated()), slot))
        return out

    def _agree(self, values: list) -> list:
        """Process 0's values for those not yet laid out over the global mesh.

        Runs once per value (afterwards the values are global arrays), in the
        main thread, the same on every process.
        """
        if not self.is_multi_process:
            return values
        fresh = [i for i, v in enumerate(values)
                 if not (isinstance(v, jax.Array) and not v.is_fully_addressable)]
        if fresh:
            from jax.experimental import multihost_utils  # only multi-process runs need it
            host = [np.asarray(values[i]) for i in fresh]
            sent = multihost_utils.broadcast_one_to_all(
                [h.astype(np.uint8) if h.dtype == bool else h for h in host])
            for i, h, s in zip(fresh, host, sent):
                values[i] = np.asarray(s).astype(h.dtype)
        return values

    def fetch(self, tree):
        """Leaves as NumPy arrays on every process (gathered if spread over processes).

        Over several processes every process must call it (it may communicate).
        """
        return jax.tree.map(to_host, tree)

    def check_batch_size(self, batch_size: int) -> None:
        shards = self.num_batch_shards
        total = self.global_batch_size(batch_size)
        if total % shards == 0:
            return
        if self.num_data_shards == 1:
            raise ValueError(
                f"batch_size={batch_size} can not be split evenly over {shards} devices of "
                f"the '{self.batch_axis}' mesh axis; use a multiple of {shards} (global batch = "
                "batch_size, split across devices)."
            )
        per_process = shards // self.num_data_shards
        raise ValueError(
            f"batch_size={batch_size} per process (global batch {total} = batch_size x "
            f"{self.num_data_shards} processes) can not be split evenly over {shards} devices "
            f"of the '{self.batch_axis}' mesh axis ({per_process} per process); use a "
            f"multiple of {per_process}."
        )


class SingleDevice(Distribution):
    """No distribution: one device, as plain JAX places things (the default).

    The engine calls the same hooks whatever the distribution; here they
    keep values where they are (or move data to the default device), so a
    single device is not a special case of the training loop.
    """

    auto_shard_dataset = True
    #: compiled loops may run a traced number of steps (one program for every chunk length)
    traced_loops = True

    def __init__(self):  # no mesh: nothing is sharded
        self.mesh = None

    def __repr__(self) -> str:
        return "<SingleDevice>"

    is_multi_process = False
    num_batch_shards = num_data_shards = 1
    data_shard_id = 0
    feeds_local_data = False

    def global_batch_size(self, batch_size: int) -> int:
        return batch_size

    def check_batch_size(self, batch_size: int) -> None:
        return None

    def replicate(self, tree):
        return tree

    def place_data(self, tree):
        return jax.tree.map(jnp.asarray, tree)

    def place_batch(self, tree):
        return jax.tree.map(jax.device_put, tree)

    def place_local_batch(self, tree):
        raise ValueError("SingleDevice: there is no other process to take rows from.")

    def constrain_batch(self, tree):
        return tree

    def constrain_variables(self, variables, values):
        return values

    def constrain_like(self, variables, slots):
        return slots

    def place_variable_values(self, variables, values):
        return list(values)

    def place_like(self, variables, slots):
        return slots


SINGLE_DEVICE = SingleDevice()


class DataParallel(Distribution):
    """Split batches over `devices` (all devices of all processes by default); replicate variables.

    Args:
        devices: the devices to use; by default `jax.devices()`.
        auto_shard_dataset: over several processes, True (default) when every
            process passes the same data, False when each passes its own shard.
    """

    def __init__(self, devices: Sequence | None = None, auto_shard_dataset: bool = True):
        devices = list(devices) if devices is not None else jax.devices()
        if not devices:
            raise ValueError("DataParallel: `devices` is empty.")
        super().__init__(Mesh(np.array(devices), (self.batch_axis,)), auto_shard_dataset)


class LayoutMap(dict):
    """Regexes on variable paths -> `PartitionSpec`-like tuples over mesh axes.

    Keys are searched (`re.search`) in a variable's path (`dense_1/kernel`),
    in insertion order; the first match wins, and a variable no key matches
    is replicated.

    Example:
        >>> layout = LayoutMap()
        >>> layout["dense.*kernel"] = (None, "model")
    """

    def spec_for(self, path: str):
        for pattern, spec in self.items():
            if re.search(pattern, path):
                return spec
        return None


class ModelParallel(Distribution):
    """A (batch, model) mesh: batches split over `batch`, kernels per `layout_map`.

    Args:
        layout_map: `LayoutMap` of variable-path regexes to axis tuples.
        mesh_shape: (batch devices, model devices); defaults to (1, all).
        devices: the devices to use (all devices by default).
        auto_shard_dataset: as for `DataParallel`.
    """

    def __init__(self, layout_map: LayoutMap, mesh_shape: tuple[int, int] | None = None,
                 devices: Sequence | None = None, auto_shard_dataset: bool = True):
        devices = list(devices) if devices is not None else jax.devices()
        if mesh_shape is None:
            mesh_shape = (1, len(devices))
        if mesh_shape[0] * mesh_shape[1] != len(devices):
            raise ValueError(f"ModelParallel: mesh_shape {mesh_shape} needs "
                             f"{mesh_shape[0] * mesh_shape[1]} devices, got {len(devices)}.")
        super().__init__(Mesh(np.array(devices).reshape(mesh_shape), (self.batch_axis, "model")),
                         auto_shard_dataset)
        self.layout_map = layout_map

    def variable_sharding(self, variable) -> NamedSharding:
        spec = self.layout_map.spec_for(variable.path)
        if spec is None:
            return self.replicated()
        if len(spec) != variable.ndim:
            raise ValueError(f"LayoutMap: layout {spec} for '{variable.path}' has {len(spec)} "
                             f"axes, but the variable has shape {variable.shape}.")
        for axis, size in zip(spec, variable.shape):
            if axis is not None and axis not in self.mesh.shape:
                raise ValueError(f"LayoutMap: layout {spec} for '{variable.path}' names axis "
                                 f"{axis!r}; the mesh has {tuple(self.mesh.axis_names)}.")
            if axis is not None and size % self.mesh.shape[axis]:
                raise ValueError(f"LayoutMap: axis of size {size} of '{variable.path}' does not "
                                 f"split over {self.mesh.shape[axis]} '{axis}' devices.")
        return NamedSharding(self.mesh, PartitionSpec(*spec))


def set_distribution(distribution: Distribution | None) -> None:
    """Use `distribution` for every model without one of its own (None: one device)."""
    _GLOBAL["distribution"] = distribution


def distribution() -> Distribution | None:
    return _GLOBAL["distribution"]


def current(model) -> Distribution:
    """The model's own distribution (`model.distribution = ...`), else the global one,
    else `SINGLE_DEVICE`."""
    return getattr(model, "distribution", None) or _GLOBAL["distribution"] or SINGLE_DEVICE


def initialize(coordinator_address: str | None = None, num_processes: int | None = None,
               process_id: int | None = None, **kwargs) -> None:
    """Join a multi-process run (wraps `jax.distributed.initialize`); call it first.

    Arguments left out come from `HOARFROST_COORDINATOR_ADDRESS`,
    `HOARFROST_NUM_PROCESSES` and `HOARFROST_PROCESS_ID` (Keras's
    `KERAS_DISTRIBUTION_JOB_ADDRESSES` / `..._NUM_PROCESSES` / `..._PROCESS_ID`
    are read too), else JAX detects them (SLURM, Open MPI, Cloud TPU). A
    comma-separated list of addresses (Keras's `job_addresses`) uses the
    first, process 0's, as the coordinator. On CPU, cross-process collectives
    use JAX's default, Gloo (`jax_cpu_collectives_implementation`). If no
    seed was set, process 0's random seed is given to all, so every process
    shuffles alike.

    Example (two hosts; run the same script on each, with its own id):

        >>> hoarfrost.distribution.initialize("10.0.0.1:1234", num_processes=2,
        ...                                   process_id=0)
    """
    env = os.environ
    if coordinator_address is None:
        coordinator_address = (env.get("HOARFROST_COORDINATOR_ADDRESS")
                               or env.get("KERAS_DISTRIBUTION_JOB_ADDRESSES"))
    if coordinator_address and "," in coordinator_address:
        coordinator_address = coordinator_address.split(",")[0].strip()
    if num_processes is None:
        value = env.get("HOARFROST_NUM_PROCESSES") or env.get("KERAS_DISTRIBUTION_NUM_PROCESSES")
        num_processes = int(value) if value else None
    if process_id is None:
        value = env.get("HOARFROST_PROCESS_ID") or env.get("KERAS_DISTRIBUTION_PROCESS_ID")
        process_id = int(value) if value else None
    jax.distributed.initialize(coordinator_address=coordinator_address,
                               num_processes=num_processes, process_id=process_id, **kwargs)
    _agree_on_seed()


def _agree_on_seed() -> None:
    if jax.process_count() == 1 or random_module._state["seed"] is not None:
        return
    from jax.experimental import multihost_utils  # only multi-process runs need it
    seed = np.array(np.random.SeedSequence().entropy % 2**31, np.int32)
    random_module.set_random_seed(int(multihost_utils.broadcast_one_to_all(seed)))


def process_index() -> int:
    """This process's index (0 on one process); only process 0 prints and writes files."""
    return jax.process_index()


def process_count() -> int:
    return jax.process_count()
