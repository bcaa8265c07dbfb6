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

import contextlib
import math
import warnings
from typing import Sequence

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec

# `_GLOBAL` holds the global distribution, which layers read too (`layout_layer_output`).
from hoarfrost.devices import (_GLOBAL, DEFAULT_BATCH_DIM_NAME, DeviceMesh,  # noqa: F401
                               LayoutMap, TensorLayout, _put, get_device_count, initialize,
                               list_devices, place, process_count, process_index, running)
from hoarfrost.host import is_writer, to_host  # noqa: F401  (re-exported: their old home)
from hoarfrost.host import to_device
from hoarfrost.symbolic import is_keras_tensor


def distribute_tensor(tensor, layout):
    """`tensor` laid out as `layout` (a `TensorLayout` or a JAX sharding).

    Inside a traced function this is a sharding constraint, eagerly a move of
    the value; a symbolic tensor is returned as it is.
    """
    if is_keras_tensor(tensor):
        return tensor
    sharding = layout.backend_layout if isinstance(layout, TensorLayout) else layout
    return place(tensor, sharding)


class Distribution:
    """Where batches, variables and data live (Keras's `Distribution`).

    Args:
        device_mesh: the `DeviceMesh` (or a `jax.sharding.Mesh`).
        batch_dim_name: the mesh axis batches split over; by default the
            mesh's first axis.
        auto_shard_dataset: over several processes, True when every process
            passes the same data (each takes its rows), False when each
            passes its own shard (see the module documentation).
    """

    #: False: compiled loops run a static number of steps (collectives over virtual CPU
    #: devices were seen stalling in a loop of traced length on 2 cores)
    traced_loops = False

    def __init__(self, device_mesh, batch_dim_name: str | None = None,
                 auto_shard_dataset: bool = True):
        if isinstance(device_mesh, Mesh):
            device_mesh = DeviceMesh._from_mesh(device_mesh)
        if not isinstance(device_mesh, DeviceMesh):
            raise ValueError(f"{type(self).__name__}: expected a DeviceMesh, received "
                             f"{device_mesh!r} (of type {type(device_mesh).__name__}).")
        batch_dim_name = batch_dim_name or device_mesh.axis_names[0]
        if batch_dim_name not in device_mesh.axis_names:
            raise ValueError(f"{type(self).__name__}: batch_dim_name={batch_dim_name!r} is not "
                             f"an axis of the mesh {device_mesh.axis_names}.")
        self._device_mesh = device_mesh
        self.mesh = device_mesh.backend_mesh
        self._batch_dim_name = batch_dim_name
        self.auto_shard_dataset = bool(auto_shard_dataset)
        self._shard_map: tuple | None = None
        self._shardings: dict = {}

    def __repr__(self) -> str:
        return f"<{type(self).__name__} device_mesh={self.device_mesh}>"

    # --- Keras's API ---------------------------------------------------------------------
    @property
    def device_mesh(self) -> DeviceMesh:
        return self._device_mesh

    @property
    def batch_dim_name(self) -> str:
        return self._batch_dim_name

    @property
    def batch_axis(self) -> str:
        """The mesh axis batches split over (`batch_dim_name`)."""
        return self._batch_dim_name

    @property
    def num_model_replicas(self) -> int:
        """Copies of the model: devices along the batch axis."""
        return self.mesh.shape[self.batch_axis]

    def get_data_layout(self, data_shape) -> TensorLayout:
        """Batches: the first axis split over `batch_dim_name`, the others whole."""
        axes = [None] * len(data_shape)
        axes[0] = self.batch_dim_name
        return TensorLayout(axes, self.device_mesh)

    def get_variable_layout(self, variable) -> TensorLayout:
        """Replicated, unless a subclass says otherwise."""
        return TensorLayout([None] * len(variable.shape), self.device_mesh)

    def get_tensor_layout(self, path: str) -> TensorLayout | None:
        """The layout of an intermediate tensor (`"<layer>/output"`), or None: as it comes."""
        return None

    @contextlib.contextmanager
    def scope(self):
        """Make this the global distribution inside the block."""
        previous = distribution()
        set_distribution(self)
        try:
            yield
        finally:
            set_distribution(previous)

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

    def slot_sharding(self, variable, shape) -> NamedSharding:
        """An optimizer slot of `variable`: laid out as the variable when it has its
        shape, replicated otherwise (step counts, factored moments)."""
        if tuple(shape) == tuple(variable.shape):
            return self.variable_sharding(variable)
        return self.replicated()

    def constrain_like(self, variables, slots):
        """Inside a step: optimizer slots laid out as their variables (scalars replicated)."""
        return [jax.tree.map(lambda leaf, v=variable: jax.lax.with_sharding_constraint(
                    leaf, self.slot_sharding(v, np.shape(leaf))), slot)
                for variable, slot in zip(variables, slots)]

    def place_variable_values(self, variables, values):
        values = self._agree(list(values))
        return [_put(value, self.variable_sharding(v)) for v, value in zip(variables, values)]

    def place_values(self, values, shardings):
        """Values laid out as the given shardings (process 0's, the first time): the
        state a custom step is handed."""
        values = self._agree(list(values))
        return [_put(value, sharding) for value, sharding in zip(values, shardings)]

    def place_like(self, variables, slots):
        """Optimizer slots follow their variable's sharding (scalars replicate)."""
        return [jax.tree.map(lambda leaf, v=variable: _put(
                    leaf, self.slot_sharding(v, np.shape(leaf))), slot)
                for variable, slot in zip(variables, slots)]

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
        self._device_mesh = None
        self._batch_dim_name = None

    num_model_replicas = 1

    def get_data_layout(self, data_shape):
        return None

    def get_variable_layout(self, variable):
        return None

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
        return jax.tree.map(to_device, tree)  # a transfer per array, no program to compile

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
    """Split batches over the devices, replicate variables (Keras's `DataParallel`).

    Give a `device_mesh` (its first axis splits batches; a mesh of more axes
    warns, as in Keras) or a list of `devices` (Keras's names or
    `jax.Device`s), not both; by default every device of every process.

    Args:
        device_mesh: a `DeviceMesh` (or `jax.sharding.Mesh`).
        devices: the devices of a 1-D mesh named `"batch"`.
        auto_shard_dataset: over several processes, True (default) when every
            process passes the same data, False when each passes its own shard.
    """

    def __init__(self, device_mesh=None, devices: Sequence | None = None,
                 auto_shard_dataset: bool = True):
        if device_mesh is not None and not isinstance(device_mesh, (DeviceMesh, Mesh)):
            if devices is not None:
                raise ValueError(f"DataParallel: expected a DeviceMesh as device_mesh, "
                                 f"received {device_mesh!r}.")
            device_mesh, devices = None, device_mesh  # hoarfrost's DataParallel(devices)
        if device_mesh is not None and devices is not None:
            raise ValueError("DataParallel: give device_mesh or devices, not both.")
        if device_mesh is None:
            devices = list(devices) if devices is not None else jax.devices()
            if not devices:
                raise ValueError("DataParallel: `devices` is empty.")
            device_mesh = DeviceMesh((len(devices),), [DEFAULT_BATCH_DIM_NAME], devices)
        super().__init__(device_mesh, None, auto_shard_dataset)
        if len(self.device_mesh.shape) != 1:
            warnings.warn(f"DataParallel: expected a 1-D mesh, received one of shape "
                          f"{self.device_mesh.shape}; its first axis "
                          f"({self.batch_dim_name!r}) splits the batches.", stacklevel=2)


class ModelParallel(Distribution):
    """Split batches over one mesh axis and variables as a `LayoutMap` says
    (Keras's `ModelParallel`); variables no key matches are replicated.

    Args:
        layout_map: the `LayoutMap` (on its `DeviceMesh`).
        batch_dim_name: the mesh axis batches split over; by default the
            mesh's first axis.
        auto_shard_dataset: as for `DataParallel`.
        mesh_shape: hoarfrost's form for a `LayoutMap()` without a mesh: the
            (batch, model) shape of a mesh with axes `"batch"` and `"model"`;
            by default (1, all devices).
        devices: the devices of that mesh (all devices by default).

    Example (8 devices):
        >>> mesh = DeviceMesh((2, 4), ["batch", "model"], list_devices())
        >>> layout_map = LayoutMap(mesh)
        >>> layout_map["d1/kernel"] = (None, "model")
        >>> layout_map["d2/output"] = ("batch", None)
        >>> set_distribution(ModelParallel(layout_map=layout_map, batch_dim_name="batch"))
    """

    def __init__(self, layout_map: LayoutMap | None = None, *, batch_dim_name: str | None = None,
                 auto_shard_dataset: bool = True, mesh_shape: tuple[int, int] | None = None,
                 devices: Sequence | None = None, device_mesh: DeviceMesh | None = None):
        if layout_map is None:
            raise ValueError("ModelParallel: you must specify a layout_map argument.")
        if not isinstance(layout_map, LayoutMap):
            raise ValueError("ModelParallel: argument `layout_map` must be a `LayoutMap` "
                             f"instance. Received: layout_map={layout_map!r}")
        if layout_map.device_mesh is None:
            if device_mesh is None:
                devices = list(devices) if devices is not None else jax.devices()
                shape = tuple(mesh_shape) if mesh_shape is not None else (1, len(devices))
                if math.prod(shape) != len(devices):
                    raise ValueError(f"ModelParallel: mesh_shape {shape} needs "
                                     f"{math.prod(shape)} devices, got {len(devices)}.")
                device_mesh = DeviceMesh(shape, [DEFAULT_BATCH_DIM_NAME, "model"], devices)
            layout_map._with_mesh(device_mesh)
        elif mesh_shape is not None or devices is not None:
            raise ValueError("ModelParallel: the layout_map has a DeviceMesh, which fixes the "
                             "devices; mesh_shape and devices are only for a LayoutMap() "
                             "without one.")
        elif device_mesh is not None and device_mesh is not layout_map.device_mesh:
            raise ValueError("ModelParallel: device_mesh differs from the layout_map's "
                             "DeviceMesh, which is the one used; leave device_mesh out.")
        super().__init__(layout_map.device_mesh, batch_dim_name, auto_shard_dataset)
        self._layout_map = layout_map

    @property
    def layout_map(self) -> LayoutMap:
        return self._layout_map

    def get_variable_layout(self, variable) -> TensorLayout:
        layout = self._layout_map[variable.path]
        if layout is not None:
            return layout
        return TensorLayout([None] * len(variable.shape), self.device_mesh)

    def get_tensor_layout(self, path: str) -> TensorLayout | None:
        return self._layout_map[path]

    def variable_sharding(self, variable) -> NamedSharding:
        layout = self._layout_map[variable.path]
        if layout is None:
            return self.replicated()
        spec = layout.axes
        if layout.device_mesh is not self.device_mesh:
            raise ValueError(f"LayoutMap: the layout for '{variable.path}' is on another "
                             f"DeviceMesh ({layout.device_mesh}) than the distribution's "
                             f"({self.device_mesh}).")
        if len(spec) != variable.ndim:
            raise ValueError(f"LayoutMap: layout {spec} for '{variable.path}' has {len(spec)} "
                             f"axes, but the variable has shape {variable.shape}.")
        for axis, size in zip(spec, variable.shape):
            if axis is not None and size % self.mesh.shape[axis]:
                raise ValueError(f"LayoutMap: axis of size {size} of '{variable.path}' does not "
                                 f"split over {self.mesh.shape[axis]} '{axis}' devices.")
        return NamedSharding(self.mesh, PartitionSpec(*spec))


def set_distribution(distribution: Distribution | None) -> None:
    """Use `distribution` for every model without one of its own (None: one device)."""
    _GLOBAL["distribution"] = distribution


def distribution() -> Distribution | None:
    """The global distribution (`set_distribution`), or None."""
    return _GLOBAL["distribution"]


def current(model) -> Distribution:
    """The model's own distribution (`model.distribution = ...`), else the global one,
    else `SINGLE_DEVICE`."""
    return getattr(model, "distribution", None) or _GLOBAL["distribution"] or SINGLE_DEVICE
