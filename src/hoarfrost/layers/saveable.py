"""What Keras calls on a layer as it saves and loads it (Keras's `KerasSaveable` part of
`Layer`): `get_build_config` / `build_from_config` and `save_own_variables` /
`load_own_variables`, with Keras's defaults. hoarfrost's `save()` and
`load_model()` call them where Keras does (`hoarfrost.saving.hooks`)."""

from __future__ import annotations

import functools
import inspect
from typing import Any

import numpy as np


class KerasSaveable:
    """The saving hooks of `Layer` (see the module documentation)."""

    def get_build_config(self) -> dict[str, Any] | None:
        """What `build_from_config` needs to create the layer's weights on loading:
        `{"input_shape": ...}`, or `{"shapes_dict": {...}}` when `build()` took
        several arguments (Keras's rule); None before the layer is built."""
        arguments = self.__dict__.get("_build_arguments")
        if arguments is None:
            if self._build_shapes_dict is None:
                return None
            arguments = {"input_shape": self._build_shapes_dict}
        if len(arguments) == 1:
            return {"input_shape": next(iter(arguments.values()))}
        return {"shapes_dict": dict(arguments)}

    def build_from_config(self, config: dict[str, Any]) -> None:
        """Create the weights from `get_build_config()`'s output (called on loading)."""
        if not config:
            return
        if "input_shape" in config:
            self._build_from_saved((_saved_shape(config["input_shape"]),), {})
        elif "shapes_dict" in config:
            self._build_from_saved((), {k: _saved_shape(v)
                                        for k, v in config["shapes_dict"].items()})

    def _own_saved_variables(self) -> list:
        """The layer's own variables in Keras's `save_own_variables` order: parameters,
        then state (sublayers save their own)."""
        own = list(self._variables)
        return [v for v in own if not v.is_state] + [v for v in own if v.is_state]

    def save_own_variables(self, store) -> None:
        """Put this layer's own variables into `store` (a dict), as "0", "1", ...

        `save()` calls it for every layer; override it (and
        `load_own_variables`) to save other state or under other keys.
        """
        for i, variable in enumerate(self._own_saved_variables()):
            store[f"{i}"] = variable.numpy()

    def load_own_variables(self, store) -> None:
        """Set this layer's own variables from `store`, as `save_own_variables` wrote it."""
        variables = self._own_saved_variables()
        if len(store) != len(variables):
            raise ValueError(
                f'Layer "{self.name}" expected {len(variables)} variables '
                f"({', '.join(v.path for v in variables) or 'none'}), but received "
                f"{len(store)} variables during loading ({sorted(store)}).")
        for i, variable in enumerate(variables):
            value = np.asarray(store[f"{i}"])
            if tuple(value.shape) != tuple(variable.shape):
                raise ValueError(
                    f'Layer "{self.name}": weight {variable.path} has shape '
                    f"{tuple(variable.shape)}, but the saved value has shape "
                    f"{tuple(value.shape)}.")
            variable.assign(value.astype(variable.dtype))


def recording_build(build):
    """`build` that records the arguments it was called with (Keras's build wrapper),
    for `get_build_config`; the outermost call (the last to return) is the one kept."""
    signature = inspect.signature(build)

    @functools.wraps(build)
    def wrapper(self, *args, **kwargs):
        result = build(self, *args, **kwargs)
        try:
            arguments = signature.bind(self, *args, **kwargs).arguments
        except TypeError:
            return result
        arguments.pop(next(iter(signature.parameters)), None)  # self
        self.__dict__["_build_arguments"] = {
            k: tuple(v) if isinstance(v, list) and all(d is None or isinstance(d, int)
                                                       for d in v) else v
            for k, v in arguments.items()}
        return result

    return wrapper


def _saved_shape(value):
    """A shape read back from JSON: lists of sizes as tuples (nested ones too)."""
    if isinstance(value, list) and all(d is None or isinstance(d, int) for d in value):
        return tuple(value)
    if isinstance(value, list):
        return [_saved_shape(v) for v in value]
    if isinstance(value, dict):
        return {k: _saved_shape(v) for k, v in value.items()}
    return value
