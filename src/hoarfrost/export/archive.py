"""`ExportArchive` in the JAX format, and `load`.

An archive is one file (a zip) holding, per endpoint, the function serialized by
`jax.export` (StableHLO, with symbolic sizes where the signature has None) and
its StableHLO as text, the variables the endpoints read (once, as safetensors,
passed to the functions as arguments rather than baked in), and a JSON manifest.
`load(path)` returns an object whose endpoints are callables; it needs JAX only,
not hoarfrost's model code, and runs on the platforms it was exported for.
"""

from __future__ import annotations

import json
import os
import tempfile
import zipfile
from typing import Any, Callable

import jax
import numpy as np

from hoarfrost.export.export_utils import symbolic_specs
from hoarfrost.variables import StatelessScope

FORMAT = "hoarfrost-export-jax"
VERSION = 1
DEFAULT_ENDPOINT_NAME = "serve"
_RESERVED = {"variables", "variable_paths", "endpoints", "call"}


class _PureScope(StatelessScope):
    """The scope an endpoint is traced in: it may read variables, never draw randomness."""

    def __init__(self, values, endpoint: str):
        super().__init__(values)
        self._endpoint = endpoint

    def next_rng(self):
        raise ValueError(
            f'Endpoint "{self._endpoint}" draws random numbers (a Dropout or noise layer '
            "called with training=True): an exported function is deterministic. Export the "
            "inference call (training=False).")


class ExportArchive:
    """Gathers layers and the functions (endpoints) to serve, then writes them out.

    The JAX-format counterpart of Keras's `keras.export.ExportArchive`: `track`,
    `add_endpoint`, `track_and_add_endpoint`, `add_variable_collection` and
    `write_out`. Each endpoint is exported by `jax.export` when it is added.

    Example:
        >>> archive = ExportArchive()
        >>> archive.track(model)
        >>> archive.add_endpoint("serve", model.__call__,
        ...                      input_signature=[hoarfrost.Input(shape=(32, 32, 3))])
        >>> archive.add_endpoint("features", lambda x: backbone(x),
        ...                      input_signature=[hoarfrost.Input(shape=(32, 32, 3))])
        >>> archive.write_out("model.hoarfrost-export")
        >>> reloaded = hoarfrost.export.load("model.hoarfrost-export")
        >>> reloaded.serve(images)
    """

    def __init__(self):
        self._variables: list = []
        self._endpoints: dict[str, dict[str, Any]] = {}
        self._collections: dict[str, list[int]] = {}

    @property
    def variables(self) -> list:
        """The tracked variables, in tracking order."""
        return list(self._variables)

    def track(self, resource) -> None:
        """Make `resource`'s variables (a built layer or model) available to endpoints."""
        from hoarfrost.layers.layer import Layer

        if not isinstance(resource, Layer):
            raise TypeError("ExportArchive.track: expected a layer or model, got "
                            f"{type(resource).__name__}.")
        if not resource.built:
            raise ValueError(f'ExportArchive.track: layer "{resource.name}" is not built (its '
                             "variables do not exist yet); call it on data first.")
        for variable in resource.weights:
            if all(variable is not v for v in self._variables):
                self._variables.append(variable)

    def add_endpoint(self, name: str, fn: Callable, input_signature=None,
                     platforms=None) -> None:
        """Export `fn` under `name`.

        Args:
            name: the endpoint's name (an attribute of the loaded archive).
            fn: a function of the inputs; the tracked variables it reads become
                arguments of the exported function (their values are written
                by `write_out`); anything else it reads is a constant.
            input_signature: a list with one spec or structure of specs per
                positional argument of `fn` (`hoarfrost.Input(...)`,
                `jax.ShapeDtypeStruct` or arrays); None sizes are symbolic.
            platforms: the platforms to export for, e.g. `("cpu", "cuda")`;
                defaults to JAX's default backend.
        """
        if not isinstance(name, str) or not name.isidentifier() or name in _RESERVED:
            raise ValueError(f"ExportArchive.add_endpoint: the name must be an identifier "
                             f"other than {sorted(_RESERVED)}; got {name!r}.")
        if name in self._endpoints:
            raise ValueError(f'ExportArchive.add_endpoint: endpoint "{name}" already exists.')
        if input_signature is None:
            raise ValueError(f'ExportArchive.add_endpoint("{name}"): pass input_signature, a '
                             "list with one spec per positional argument, e.g. "
                             "[hoarfrost.Input(shape=(32, 32, 3))].")
        specs, shapes = symbolic_specs(input_signature)
        variables = list(self._variables)

        def pure(values, *args):
            with _PureScope(list(zip(variables, values)), name) as scope:
                outputs = fn(*args)
                changed = [v.path for v in variables if scope.updated_value(v, None) is not None]
            if changed:
                raise ValueError(
                    f'Endpoint "{name}" assigns variables ({", ".join(changed)}): an exported '
                    "function can not update state. Export the inference call "
                    "(training=False).")
            return outputs

        abstract = [jax.ShapeDtypeStruct(v.shape, v.dtype) for v in variables]
        try:
            exported = jax.export.export(jax.jit(pure), platforms=platforms)(abstract, *specs)
        except Exception as error:  # JAX does not export the class of this error
            if type(error).__name__ != "InconclusiveDimensionOperation":
                raise
            raise ValueError(f'Endpoint "{name}": a layer needs a known size where the '
                             f"signature {shapes} leaves it symbolic ({error}). Give that axis "
                             "a size in input_signature.") from error
        self._endpoints[name] = {"exported": exported, "variables": list(range(len(variables))),
                                 "inputs": [_aval_text(a) for a in jax.tree.leaves(specs)]}

    def track_and_add_endpoint(self, name: str, resource, input_signature=None,
                               **kwargs) -> None:
        """`track(resource)`, then `add_endpoint(name, resource.__call__, ...)`."""
        self.track(resource)
        self.add_endpoint(name, resource.__call__, input_signature, **kwargs)

    def add_variable_collection(self, name: str, variables) -> None:
        """Save `variables` (tracked ones) so the loaded archive lists their values as
        `reloaded.<name>`."""
        if not isinstance(name, str) or not name.isidentifier() or name in _RESERVED \
                or name in self._endpoints or name in self._collections:
            raise ValueError("ExportArchive.add_variable_collection: the name must be a new "
                             f"identifier other than {sorted(_RESERVED)}; got {name!r}.")
        indices = []
        for variable in variables:
            index = next((i for i, v in enumerate(self._variables) if v is variable), None)
            if index is None:
                raise ValueError(f"ExportArchive.add_variable_collection: variable "
                                 f"{getattr(variable, 'path', variable)!r} is not tracked; "
                                 "track() the layer that owns it first.")
            indices.append(index)
        self._collections[name] = indices

    def write_out(self, filepath, verbose: bool = True) -> None:
        """Write the archive to `filepath` (one file, replaced atomically)."""
        if not self._endpoints:
            raise ValueError("ExportArchive.write_out: no endpoint; add one with add_endpoint.")
        filepath = os.fspath(filepath)
        if os.path.isdir(filepath):
            raise ValueError(f"ExportArchive.write_out: {filepath!r} is a directory; the JAX "
                             "format is a single file.")
        from safetensors.numpy import save as save_tensors

        tensors = {str(i): np.ascontiguousarray(v.numpy()) for i, v in enumerate(self._variables)}
        manifest = {
            "format": FORMAT, "version": VERSION, "jax_version": jax.__version__,
            "variables": [{"path": v.path, "shape": list(v.shape), "dtype": str(v.dtype)}
                          for v in self._variables],
            "collections": self._collections,
            "endpoints": {},
        }
        members = {"variables.safetensors": save_tensors(tensors)}
        for name, endpoint in self._endpoints.items():
            exported = endpoint["exported"]
            members[f"endpoints/{name}.jax_exported"] = _serialize(exported)
            members[f"endpoints/{name}.mlir"] = exported.mlir_module().encode()
            manifest["endpoints"][name] = {
                "variables": endpoint["variables"], "inputs": endpoint["inputs"],
                "platforms": list(exported.platforms),
                "outputs": [_aval_text(a) for a in exported.out_avals]}
        members["metadata.json"] = json.dumps(manifest, indent=1).encode()
        directory = os.path.dirname(os.path.abspath(filepath))
        fd, tmp = tempfile.mkstemp(prefix=".export-", dir=directory)
        try:
            with os.fdopen(fd, "wb") as handle:
                with zipfile.ZipFile(handle, "w", zipfile.ZIP_DEFLATED) as archive:
                    for member, data in members.items():
                        archive.writestr(member, data)
            os.replace(tmp, filepath)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
        if verbose:
            print(f"Saved artifact at '{filepath}'. The following endpoints are available:")
            for name, info in manifest["endpoints"].items():
                print(f"\n* Endpoint '{name}'")
                for i, shape in enumerate(info["inputs"]):
                    print(f"  args_{i}: {shape}")
                print(f"  outputs: {', '.join(info['outputs'])}")


_NEEDS_FLATBUFFERS = ('jax.export serializes with the `flatbuffers` package: '
                      '`pip install "hoarfrost[export]"` (or `pip install flatbuffers`).')


def _serialize(exported) -> bytes:
    try:
        return bytes(exported.serialize())
    except ImportError as error:
        raise ImportError(_NEEDS_FLATBUFFERS) from error


def _deserialize(data: bytes):
    try:
        return jax.export.deserialize(bytearray(data))
    except ImportError as error:
        raise ImportError(_NEEDS_FLATBUFFERS) from error


def _aval_text(aval) -> str:
    return f"{aval.dtype}{list(aval.shape)}".replace("'", "")


class _Endpoint:
    """A loaded endpoint: call it with the inputs (the variables are bound)."""

    def __init__(self, name: str, exported, values: list):
        self.name = name
        self.exported = exported
        self._values = values
        self._call = jax.jit(exported.call)
        self._in_avals = exported.in_avals[len(values):]

    def __call__(self, *args):
        leaves, treedef = jax.tree.flatten(args)
        if len(leaves) == len(self._in_avals):  # the exported dtypes (float64 NumPy -> float32)
            leaves = [np.asarray(leaf, aval.dtype) if not isinstance(leaf, jax.Array) else leaf
                      for leaf, aval in zip(leaves, self._in_avals)]
            args = jax.tree.unflatten(treedef, leaves)
        return self._call(self._values, *args)

    def __repr__(self) -> str:
        inputs = ", ".join(_aval_text(a) for a in self._in_avals)
        return f"<endpoint {self.name}({inputs})>"


class LoadedArchive:
    """An archive read back by `load`: each endpoint is an attribute; calling the
    archive itself calls "serve" (or the only endpoint)."""

    def __init__(self, endpoints: dict, variables: list, paths: list[str], collections: dict):
        self._endpoints = endpoints
        self.variables = variables
        self.variable_paths = paths
        for name, indices in collections.items():
            setattr(self, name, [variables[i] for i in indices])

    @property
    def endpoints(self) -> list[str]:
        return list(self._endpoints)

    def __getattr__(self, name: str):
        endpoints = self.__dict__.get("_endpoints", {})
        if name in endpoints:
            return endpoints[name]
        raise AttributeError(f"The exported archive has no endpoint {name!r}; it has "
                             f"{sorted(endpoints)}.")

    def __call__(self, *args):
        if DEFAULT_ENDPOINT_NAME in self._endpoints:
            return self._endpoints[DEFAULT_ENDPOINT_NAME](*args)
        if len(self._endpoints) == 1:
            return next(iter(self._endpoints.values()))(*args)
        raise TypeError(f"The archive has no '{DEFAULT_ENDPOINT_NAME}' endpoint; call one of "
                        f"{sorted(self._endpoints)} by name.")


def load(filepath) -> LoadedArchive:
    """Read an archive written by `model.export(..., format="jax")` or `ExportArchive`.

    Example:
        >>> reloaded = hoarfrost.export.load("model.hoarfrost-export")
        >>> predictions = reloaded.serve(images)   # or reloaded(images)
    """
    filepath = os.fspath(filepath)
    try:
        archive = zipfile.ZipFile(filepath)
    except (zipfile.BadZipFile, FileNotFoundError, IsADirectoryError) as error:
        raise ValueError(f"{filepath!r} is not an archive written by hoarfrost's export "
                         f"(format='jax'): {error}") from error
    with archive:
        names = set(archive.namelist())
        if "metadata.json" not in names:
            raise ValueError(f"{filepath!r} is a zip file but not an exported archive (no "
                             "metadata.json); a .keras model loads with load_model().")
        manifest = json.loads(archive.read("metadata.json"))
        if manifest.get("format") != FORMAT:
            raise ValueError(f"{filepath!r}: unknown export format {manifest.get('format')!r}.")
        if manifest.get("version", 0) > VERSION:
            raise ValueError(f"{filepath!r} was written by a newer hoarfrost (export format "
                             f"version {manifest['version']}; this one reads {VERSION}).")
        from safetensors.numpy import load as load_tensors

        tensors = load_tensors(archive.read("variables.safetensors"))
        variables = [jax.numpy.asarray(tensors[str(i)]) for i in range(len(manifest["variables"]))]
        endpoints = {}
        for name, info in manifest["endpoints"].items():
            exported = _deserialize(archive.read(f"endpoints/{name}.jax_exported"))
            endpoints[name] = _Endpoint(name, exported, [variables[i] for i in info["variables"]])
    return LoadedArchive(endpoints, variables, [v["path"] for v in manifest["variables"]],
                         manifest.get("collections", {}))
