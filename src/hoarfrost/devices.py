"""The devices a run computes on, by Keras's names: `list_devices`,
`initialize` (joining several processes), `DeviceMesh`, `TensorLayout` and
`LayoutMap`, on JAX's `Mesh` and `NamedSharding`.

`hoarfrost.distribution` re-exports them; its `DataParallel` and
`ModelParallel` take them as Keras's do.
"""

from __future__ import annotations

import collections.abc
import contextlib
import math
import os
import re
import threading

import jax
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec

from hoarfrost import random as random_module

_RUNNING = threading.local()  # the distribution whose step is being traced, per thread
_GLOBAL: dict = {"distribution": None}  # `hoarfrost.distribution.set_distribution`'s

__all__ = ["DEFAULT_BATCH_DIM_NAME", "DeviceMesh", "LayoutMap", "TensorLayout",
           "get_device_count", "initialize", "list_devices", "process_count", "process_index"]

#: The mesh axis batches split over when none is named (Keras's `DEFAULT_BATCH_DIM_NAME`).
DEFAULT_BATCH_DIM_NAME = "batch"


def list_devices(device_type: str | None = None) -> list[str]:
    """The devices of one type, as Keras names them (`"cpu:0"`, `"gpu:1"`, ...).

    Over several processes these are the global devices. Without a type,
    JAX's default backend's devices (GPU or TPU when present, else CPU).

    Args:
        device_type: `"cpu"`, `"gpu"` or `"tpu"`, or None for the default.
    """
    devices = jax.devices(device_type.lower() if device_type else None)
    return [f"{device.platform}:{device.id}" for device in devices]


def get_device_count(device_type: str | None = None) -> int:
    """How many devices `list_devices(device_type)` lists."""
    return jax.device_count(device_type.lower() if device_type else None)


def _to_device(device):
    """A `jax.Device` from itself or Keras's name for it (`"cpu:0"`; `"cpu"` is id 0)."""
    if isinstance(device, jax.Device):
        return device
    name = str(device)
    platform, _, index = name.partition(":")
    for candidate in jax.devices(platform):
        if candidate.id == int(index or 0):
            return candidate
    raise ValueError(f"Device not found: {name!r} (devices: {list_devices(platform)}).")


class DeviceMesh:
    """A named grid of devices (Keras's `DeviceMesh`; JAX's `jax.sharding.Mesh`).

    Args:
        shape: the grid's shape, e.g. `(8,)` for data parallelism or `(2, 4)`
            for data x model parallelism.
        axis_names: one name per axis (`["batch", "model"]`); layouts and
            `batch_dim_name` refer to these.
        devices: the devices (Keras's names or `jax.Device`s), as many as the
            shape holds; by default `list_devices()`.
    """

    def __init__(self, shape, axis_names, devices=None):
        if not shape or not axis_names:
            raise ValueError("Shape and axis_names cannot be empty. Received: "
                             f"shape={shape}, axis_names={axis_names}")
        if len(shape) != len(axis_names):
            raise ValueError("Shape and axis_names should have same size. "
                             f"Received: shape={shape}, axis_names={axis_names}")
        devices = np.array(list_devices() if devices is None else devices, dtype=object)
        if math.prod(shape) != devices.size:
            raise ValueError("Shape does not match the number of devices. Received: "
                             f"shape={shape}; devices.shape={devices.shape}")
        self._shape = tuple(shape)
        self._axis_names = list(axis_names)
        self._devices = devices.reshape(self._shape)
        self._backend_mesh = None

    @property
    def shape(self) -> tuple:
        return self._shape

    @property
    def axis_names(self) -> list:
        return self._axis_names

    @property
    def devices(self) -> np.ndarray:
        return self._devices

    @property
    def backend_mesh(self) -> Mesh:
        """The `jax.sharding.Mesh` of these devices."""
        if self._backend_mesh is None:
            devices = np.array([_to_device(d) for d in self._devices.flat], dtype=object)
            self._backend_mesh = Mesh(devices.reshape(self._shape), tuple(self._axis_names))
        return self._backend_mesh

    @classmethod
    def _from_mesh(cls, mesh: Mesh) -> "DeviceMesh":
        return cls(tuple(mesh.devices.shape), list(mesh.axis_names), mesh.devices)

    def __repr__(self) -> str:
        return f"<DeviceMesh shape={self.shape}, axis_names={self.axis_names}>"


class TensorLayout:
    """How one tensor is laid out over a `DeviceMesh`: a mesh axis name (or None,
    not split) per tensor axis (Keras's `TensorLayout`; JAX's `NamedSharding`).

    Args:
        axes: one entry per tensor axis: a mesh axis name or None.
        device_mesh: the mesh; a `LayoutMap` fills it in when left out.
    """

    def __init__(self, axes, device_mesh: DeviceMesh | None = None):
        self._axes = tuple(axes)
        self._device_mesh = device_mesh
        self._validate_axes()

    @property
    def axes(self) -> tuple:
        return self._axes

    @property
    def device_mesh(self) -> DeviceMesh | None:
        return self._device_mesh

    @device_mesh.setter
    def device_mesh(self, device_mesh: DeviceMesh) -> None:
        if self._device_mesh is not None:
            raise ValueError(f"Cannot override device mesh value. Existing value is "
                             f"{self._device_mesh}")
        self._device_mesh = device_mesh
        self._validate_axes()

    @property
    def backend_layout(self) -> NamedSharding:
        """The `jax.sharding.NamedSharding` of this layout."""
        if self._device_mesh is None:
            raise ValueError("Cannot create sharding when device mesh is not set for "
                             "TensorLayout.")
        return NamedSharding(self._device_mesh.backend_mesh, PartitionSpec(*self._axes))

    def _validate_axes(self) -> None:
        if self._device_mesh is not None:
            unknown = set(self._axes) - {None} - set(self._device_mesh.axis_names)
            if unknown:
                raise ValueError(f"Invalid axis names for Layout. Valid axis names: "
                                 f"{set(self._device_mesh.axis_names)}, Got {unknown}")

    def __repr__(self) -> str:
        return f"<TensorLayout axes={self.axes}, device_mesh={self.device_mesh}>"



class LayoutMap(collections.abc.MutableMapping):
    """Variable paths (regexes) -> `TensorLayout`s (Keras's `LayoutMap`).

    A lookup returns the layout of the key equal to the path, else of the one
    key that matches the whole path as a regex (`re.fullmatch`), else None; a
    path that two keys match raises. A tuple (or list) of axis names is taken
    as a `TensorLayout` on this map's mesh. Keys `"<layer>/output"` lay out a
    layer's outputs (`ModelParallel.get_tensor_layout`).

    Args:
        device_mesh: the `DeviceMesh` the layouts refer to. Without one (a
            hoarfrost form), `ModelParallel(mesh_shape=, devices=)` makes it.

    Example:
        >>> mesh = DeviceMesh((2, 4), ["batch", "model"], list_devices())
        >>> layout_map = LayoutMap(mesh)
        >>> layout_map[".*dense.*kernel"] = (None, "model")
        >>> layout_map[".*dense.*bias"] = ("model",)
    """

    def __init__(self, device_mesh: DeviceMesh | None = None):
        self._layout_map: dict[str, TensorLayout] = {}
        self._device_mesh = device_mesh

    @property
    def device_mesh(self) -> DeviceMesh | None:
        return self._device_mesh

    def __getitem__(self, key: str) -> TensorLayout | None:
        if key in self._layout_map:
            return self._layout_map[key]
        matching = [pattern for pattern in self._layout_map if re.fullmatch(pattern, key)]
        if len(matching) > 1:
            raise ValueError(f"Path '{key}' matches multiple layout specification keys: "
                             f"{matching}. Please make sure each tensor/variable path only "
                             "matches at most one layout specification key in the LayoutMap.")
        return self._layout_map[matching[0]] if matching else None

    def __setitem__(self, key: str, layout) -> None:
        if key in self._layout_map:
            raise ValueError(f"{key} already exist in the LayoutMap with value "
                             f"{self._layout_map[key]}. Please make sure to not use "
                             "duplicated keys.")
        if isinstance(layout, (tuple, list)):
            layout = TensorLayout(layout)
        if not isinstance(layout, TensorLayout):
            raise ValueError(f"{layout} should be a TensorLayout type, got {type(layout)}")
        if layout.device_mesh is None and self._device_mesh is not None:
            layout.device_mesh = self._device_mesh
        self._layout_map[key] = layout

    def __delitem__(self, key: str) -> None:
        del self._layout_map[key]

    def __len__(self) -> int:
        return len(self._layout_map)

    def __iter__(self):
        return iter(self._layout_map)

    def _with_mesh(self, device_mesh: DeviceMesh) -> None:
        """Give a map made without a mesh (and its layouts) `device_mesh`."""
        self._device_mesh = device_mesh
        for layout in self._layout_map.values():
            if layout.device_mesh is None:
                layout.device_mesh = device_mesh


def initialize(coordinator_address: str | None = None, num_processes: int | None = None,
               process_id: int | None = None, *, job_addresses: str | None = None,
               **kwargs) -> None:
    """Join a multi-process run (wraps `jax.distributed.initialize`); call it first.

    Arguments left out come from `HOARFROST_COORDINATOR_ADDRESS`,
    `HOARFROST_NUM_PROCESSES` and `HOARFROST_PROCESS_ID` (Keras's
    `KERAS_DISTRIBUTION_JOB_ADDRESSES` / `..._NUM_PROCESSES` / `..._PROCESS_ID`
    are read too), else JAX detects them (SLURM, Open MPI, Cloud TPU). A
    comma-separated list of addresses (Keras's `job_addresses`) uses the
    first, process 0's, as the coordinator (Keras's keyword `job_addresses=`
    is taken too). On CPU, cross-process collectives
    use JAX's default, Gloo (`jax_cpu_collectives_implementation`). If no
    seed was set, process 0's random seed is given to all, so every process
    shuffles alike.

    Example (two hosts; run the same script on each, with its own id):

        >>> hoarfrost.distribution.initialize("10.0.0.1:1234", num_processes=2,
        ...                                   process_id=0)
    """
    env = os.environ
    if job_addresses is not None:  # Keras's name for it
        if coordinator_address is not None:
            raise ValueError("initialize(): give coordinator_address or job_addresses, not both.")
        coordinator_address = job_addresses
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


def place(value, sharding):
    """A sharding constraint on a traced value, else the value moved (`_put`)."""
    if isinstance(value, jax.core.Tracer):
        return jax.lax.with_sharding_constraint(value, sharding)
    return _put(value, sharding)


@contextlib.contextmanager
def running(distribution: Distribution):
    """The engine traces a model's step under this: its layers' outputs follow
    `distribution`'s tensor layouts (the model's own distribution, which may
    differ from the global one)."""
    stack = _RUNNING.__dict__.setdefault("stack", [])
    stack.append(distribution)
    try:
        yield
    finally:
        stack.pop()


def layout_layer_output(layer_name: str, outputs):
    """A layer's outputs laid out as the distribution's `"<layer>/output"` layout
    says (Keras's `Layer.__call__`), or as they are when it has none."""
    stack = getattr(_RUNNING, "stack", None)
    active = stack[-1] if stack else _GLOBAL["distribution"]
    if active is None:
        return outputs
    layout = active.get_tensor_layout(f"{layer_name}/output")
    if layout is None:
        return outputs
    sharding = layout.backend_layout
    return jax.tree.map(lambda tensor: place(tensor, sharding), outputs)
