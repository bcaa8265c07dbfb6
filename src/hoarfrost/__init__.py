"""hoarfrost: the Keras API on JAX and Optax, with live, bit-exact freezing.

Port a Keras program by changing its imports::

    from hoarfrost.models import Sequential
    from hoarfrost.layers import Dense

What you set `trainable = False` stays frozen, bit for bit, from the next
training step on, with no recompile; `summary()` always tells the truth.
"""

from __future__ import annotations

import contextlib

from hoarfrost import (activations, applications, audit, backend, callbacks, compile_cache, config,
                       constraints, datasets, dtype_policies, export, initializers, layers, losses,
                       metrics, mixed_precision, models, ops, optimizers, preprocessing,
                       quantizers, random, regularizers, saving, tree, utils)
from hoarfrost.dtype_policies import DTypePolicy
from hoarfrost.initializers import Initializer
from hoarfrost.layers import Input, InputSpec, Layer
from hoarfrost.losses import Loss
from hoarfrost.metrics import Metric
from hoarfrost.models import Model, Sequential, load_model
from hoarfrost.naming import name_scope
from hoarfrost.optimizers import Optimizer
from hoarfrost.regularizers import Regularizer
from hoarfrost.rematerialization import RematScope, remat
from hoarfrost.symbolic import KerasTensor
from hoarfrost.variables import StatelessScope, Variable

__version__ = "0.1.0"

FloatDTypePolicy = DTypePolicy


def version() -> str:
    """hoarfrost's version string."""
    return __version__


#: Keras 3 namespaces hoarfrost does not have, and why (an AttributeError that says so).
_MISSING_NAMESPACES = {
    "wrappers": "Keras's scikit-learn wrappers (SKLearnClassifier, SKLearnRegressor, "
                "SKLearnTransformer) are not implemented",
    "visualization": "Keras's bounding-box and segmentation plotting helpers are not "
                     "implemented (hoarfrost.utils.plot_model and matplotlib remain)",
    "distillation": "Keras's Distiller and distillation losses are not implemented (a "
                    "compute_loss override, as in Keras's knowledge-distillation guide, works)",
}


def __getattr__(name: str):
    if name in _MISSING_NAMESPACES:
        raise AttributeError(f"hoarfrost has no `{name}` namespace (keras.{name}): "
                             f"{_MISSING_NAMESPACES[name]}.")
    raise AttributeError(f"module 'hoarfrost' has no attribute {name!r}")


@contextlib.contextmanager
def device(device_name: str):
    """Create arrays and run eager operations on a device: `"cpu"`, `"gpu:1"`, `"tpu"`.

    Example:
        >>> with hoarfrost.device("cpu"):
        ...     x = hoarfrost.ops.ones((2,))
    """
    import jax
    kind, _, index = str(device_name).lower().partition(":")
    kind = {"cuda": "gpu"}.get(kind, kind)
    try:
        devices = jax.devices(kind)
    except RuntimeError as exc:
        raise ValueError(f"device({device_name!r}): no {kind} device is available "
                         f"({exc}).") from exc
    position = int(index) if index else 0
    if position >= len(devices):
        raise ValueError(f"device({device_name!r}): there are {len(devices)} {kind} devices.")
    with jax.default_device(devices[position]):
        yield


__all__ = ["DTypePolicy", "FloatDTypePolicy", "Initializer", "Input", "InputSpec", "KerasTensor",
           "Layer", "Loss", "Metric", "Model", "Optimizer", "Regularizer", "RematScope",
           "Sequential", "StatelessScope", "Variable", "activations", "applications", "audit",
           "backend", "callbacks", "compile_cache", "config", "constraints", "datasets", "device",
           "dtype_policies", "export", "initializers", "layers", "load_model", "losses", "metrics",
           "mixed_precision", "models", "name_scope", "ops", "optimizers", "preprocessing",
           "quantizers", "random", "regularizers", "remat", "saving", "tree", "utils", "version"]
