"""Data and model parallelism on JAX's own runtime (`jax.sharding`).

`DataParallel` splits every batch over a 1-D mesh of devices and replicates
variables and optimizer slots; `ModelParallel` also shards large kernels over
a second mesh axis by regexes on variable paths (Keras's `LayoutMap`). The
compiled step is the same pure function: XLA inserts the collectives, and a
frozen variable, never differentiated, is never all-reduced.

Example (4 local devices, or CPU devices forced with
`XLA_FLAGS=--xla_force_host_platform_device_count=4`):

    >>> from hoarfrost import distribution
    >>> distribution.set_distribution(distribution.DataParallel())
    >>> model.fit(x, y, batch_size=128)   # 32 samples per device per step
"""

from __future__ import annotations

import re
from typing import Sequence

import jax
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec

_GLOBAL: dict = {"distribution": None}


class Distribution:
    """Where batches, variables and data live; the default is one device."""

    batch_axis = "batch"

    def __init__(self, mesh: Mesh):
        self.mesh = mesh

    @property
    def num_batch_shards(self) -> int:
        return self.mesh.shape[self.batch_axis]

    def batch_sharding(self, ndim: int) -> NamedSharding:
        return NamedSharding(self.mesh, PartitionSpec(self.batch_axis, *([None] * (ndim - 1))))

    def replicated(self) -> NamedSharding:
        return NamedSharding(self.mesh, PartitionSpec())

    def variable_sharding(self, variable) -> NamedSharding:
        return self.replicated()

    # --- hooks used by the engine ---------------------------------------------------
    def place_data(self, tree):
        """Whole datasets: replicated, so every device gathers its rows locally."""
        return jax.tree.map(lambda a: jax.device_put(np.asarray(a), self.replicated()), tree)

    def place_batch(self, tree):
        """One batch, split along its first axis."""
        return jax.tree.map(lambda a: jax.device_put(np.asarray(a),
                                                     self.batch_sharding(np.ndim(a))), tree)

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

    def place_variable_values(self, variables, values):
        return [jax.device_put(value, self.variable_sharding(v))
                for v, value in zip(variables, values)]

    def place_like(self, variables, slots):
        """Optimizer slots follow their variable's sharding (scalars replicate)."""
        out = []
        for variable, slot in zip(variables, slots):
            sharding = self.variable_sharding(variable)
            out.append(jax.tree.map(
                lambda leaf: jax.device_put(leaf, sharding if np.ndim(leaf) == variable.ndim
                                            and np.shape(leaf) == variable.shape
                                            else self.replicated()), slot))
        return out

    def check_batch_size(self, batch_size: int) -> None:
        shards = self.num_batch_shards
        if batch_size % shards:
            raise ValueError(
                f"batch_size={batch_size} can not be split evenly over {shards} devices of "
                f"the '{self.batch_axis}' mesh axis; use a multiple of {shards} (global batch = "
                "batch_size, split across devices)."
            )


class DataParallel(Distribution):
    """Split batches over `devices` (all local devices by default); replicate variables."""

    def __init__(self, devices: Sequence | None = None):
        devices = list(devices) if devices is not None else jax.devices()
        super().__init__(Mesh(np.array(devices), (self.batch_axis,)))


class LayoutMap(dict):
    """Regexes on variable paths -> `PartitionSpec`-like tuples over mesh axes.

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
        devices: the devices to use (all local devices by default).
    """

    def __init__(self, layout_map: LayoutMap, mesh_shape: tuple[int, int] | None = None,
                 devices: Sequence | None = None):
        devices = list(devices) if devices is not None else jax.devices()
        if mesh_shape is None:
            mesh_shape = (1, len(devices))
        if mesh_shape[0] * mesh_shape[1] != len(devices):
            raise ValueError(f"ModelParallel: mesh_shape {mesh_shape} needs "
                             f"{mesh_shape[0] * mesh_shape[1]} devices, got {len(devices)}.")
        super().__init__(Mesh(np.array(devices).reshape(mesh_shape), (self.batch_axis, "model")))
        self.layout_map = layout_map

    def variable_sharding(self, variable) -> NamedSharding:
        spec = self.layout_map.spec_for(variable.path)
        if spec is None:
            return self.replicated()
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
    return _GLOBAL["distribution"]


def current(model) -> Distribution | None:
    """The model's own distribution, else the global one."""
    return getattr(model, "distribution", None) or _GLOBAL["distribution"]


def initialize(coordinator_address: str | None = None, num_processes: int | None = None,
               process_id: int | None = None, **kwargs) -> None:
    """Join a multi-process run (wraps `jax.distributed.initialize`)."""
    jax.distributed.initialize(coordinator_address=coordinator_address,
                               num_processes=num_processes, process_id=process_id, **kwargs)
