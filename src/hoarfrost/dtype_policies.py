"""Dtype policies (Keras's `keras.dtype_policies`): the dtypes a layer computes and
stores its variables in.

A policy named after a dtype (`"float32"`, `"bfloat16"`, `"int32"`) uses it for
both. `"mixed_bfloat16"` and `"mixed_float16"` compute in the 16-bit type and keep
variables in float32: a layer casts its floating inputs to the compute dtype and
reads its variables in it inside `call` (see `hoarfrost.variables.AutocastScope`),
while the optimizer updates the float32 values.

Example:
    >>> policy = DTypePolicy("mixed_bfloat16")
    >>> policy.compute_dtype, policy.variable_dtype
    ('bfloat16', 'float32')
"""

from __future__ import annotations

import contextlib
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from hoarfrost import config, masking
from hoarfrost.symbolic import KerasTensor
from hoarfrost.variables import AutocastScope, Variable, get_autocast_scope

_MIXED = {"mixed_float16": ("float16", "float32"), "mixed_bfloat16": ("bfloat16", "float32")}


def keras_dtype_name(dtype=None) -> str:
    """A dtype as Keras names it (`"float32"`, `"int64"`, ...); None is `floatx()`."""
    if dtype is None:
        return config.floatx()
    if dtype is int:
        return "int64"
    if dtype is float:
        return "float32"
    if dtype is bool:
        return "bool"
    if hasattr(dtype, "dtype") and not isinstance(dtype, type):  # an array
        dtype = dtype.dtype
    return np.dtype(dtype).name


def standardize_dtype(dtype) -> str:
    """A dtype's name as Keras gives it (`"float32"`, `"bfloat16"`, `"int32"`)."""
    try:
        return keras_dtype_name(dtype)
    except TypeError as exc:
        raise ValueError(f"Invalid dtype: {dtype!r}") from exc


def is_float_dtype(dtype) -> bool:
    """Whether `dtype` is a floating-point type (bfloat16 included), as Keras's backend."""
    return standardize_dtype(dtype).startswith(("float", "bfloat"))


def is_int_dtype(dtype) -> bool:
    """Whether `dtype` is a signed or unsigned integer type, as Keras's backend."""
    return standardize_dtype(dtype).startswith(("int", "uint"))


class DTypePolicy:
    """A layer's dtype policy: the dtype of its computation and of its variables.

    Args:
        name: a dtype name (`"float32"`, `"bfloat16"`, ...: both dtypes that one),
            or `"mixed_float16"` / `"mixed_bfloat16"` (compute in the 16-bit type,
            variables in float32). None takes the global policy's name
            (`hoarfrost.config.dtype_policy()`).
    """

    def __init__(self, name: str | None = None):
        if name is None:
            name = config.dtype_policy().name
        self._name = name
        self._compute_dtype, self._variable_dtype = self._parse_name(name)

    @staticmethod
    def _parse_name(name) -> tuple[str, str]:
        if not isinstance(name, str):
            raise TypeError(f"DTypePolicy: 'name' must be a string, such as 'mixed_float16'. "
                            f"Received: name={name!r} (of type {type(name).__name__})")
        if name in _MIXED:
            return _MIXED[name]
        try:
            dtype = standardize_dtype(name)
        except ValueError:
            raise ValueError(
                f"DTypePolicy: cannot convert {name!r} to a dtype policy. Valid policies "
                "include 'mixed_float16', 'mixed_bfloat16', and the name of any dtype such "
                "as 'float32'.") from None
        if dtype == "float64" and not jax.config.jax_enable_x64:
            raise ValueError(
                "DTypePolicy('float64'): JAX computes in 32 bits unless 64-bit mode is on. "
                "Call jax.config.update('jax_enable_x64', True) at the start of the program "
                "first.")
        return dtype, dtype

    @property
    def name(self) -> str:
        return self._name

    @property
    def compute_dtype(self) -> str:
        """The dtype of the layer's computations (its inputs are cast to it)."""
        return self._compute_dtype

    @property
    def variable_dtype(self) -> str:
        """The dtype the layer's variables are created and updated in."""
        return self._variable_dtype

    @property
    def quantization_mode(self) -> None:
        """Keras's quantized policies are not supported: always None."""
        return None

    def convert_input(self, x, autocast: bool, dtype):
        """`x` as an array, cast to `dtype` when `autocast` and `x` is floating.

        Integer and boolean inputs are never cast (token ids, masks).
        """
        if not (hasattr(x, "shape") and hasattr(x, "dtype")):
            if not hasattr(x, "__array__"):
                return x
            x = jnp.asarray(x)
        if autocast and is_float_dtype(x.dtype) and standardize_dtype(x.dtype) != dtype:
            return x.astype(dtype)
        return x

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> DTypePolicy:
        return cls(**config)

    def __eq__(self, other) -> bool:
        return isinstance(other, DTypePolicy) and other.name == self.name

    def __hash__(self) -> int:
        return hash(self.name)

    def __repr__(self) -> str:
        return f'<DTypePolicy "{self.name}">'


FloatDTypePolicy = DTypePolicy


# --- what Layer.__call__ does with a policy ----------------------------------------------
def autocast_inputs(layer, tree):
    """`tree` (a call's arguments) with floating arrays (or symbolic tensors) cast to
    `layer.input_dtype`.

    As Keras's `Layer.__call__`: only when `layer.autocast`; integer and boolean
    arrays (token ids, masks) pass unchanged; a cast array keeps its mask.
    """
    if not layer.autocast:
        return tree
    dtype = layer.input_dtype
    if not is_float_dtype(dtype):
        return tree

    def cast(x):
        if not (hasattr(x, "shape") and hasattr(x, "dtype")) or isinstance(x, Variable):
            return x
        if not jnp.issubdtype(x.dtype, jnp.floating) or jnp.dtype(x.dtype) == dtype:
            return x
        if isinstance(x, KerasTensor):  # a functional call: the spec the layer sees
            return KerasTensor(x.shape, dtype, name=x.name)
        mask = masking.get_mask(x)
        y = jnp.asarray(x).astype(dtype)
        if mask is not None:
            masking.set_mask(y, mask)
        return y

    return jax.tree.map(cast, tree)


def autocast_scope(layer):
    """The `AutocastScope` a layer's `call` runs in (Keras's rule), or a null context.

    A mixed layer reads its floating variables in its compute dtype; inside
    another layer's scope, a layer with `autocast=False` or a non-floating
    compute dtype turns autocasting off, and one with another compute dtype
    (`dtype="float32"` in a mixed model) reads in its own.
    """
    current = get_autocast_scope()
    compute = layer.compute_dtype
    if current is not None:
        if not layer.autocast or not is_float_dtype(compute):
            return AutocastScope(None)
        if current.dtype != compute:
            return AutocastScope(compute)
        return contextlib.nullcontext()
    if compute != layer.variable_dtype:
        return AutocastScope(compute)
    return contextlib.nullcontext()


def serialize(policy: DTypePolicy) -> dict[str, Any]:
    """Keras's config form: `{"module": "keras", "class_name": "DTypePolicy", ...}`."""
    return {"module": "keras", "class_name": "DTypePolicy", "config": policy.get_config(),
            "registered_name": None}


def deserialize(config: dict[str, Any], custom_objects=None) -> DTypePolicy:
    """The policy of a `serialize` dict (Keras's `DTypePolicy`/`FloatDTypePolicy` forms)."""
    class_name = config.get("class_name")
    if class_name not in ("DTypePolicy", "FloatDTypePolicy"):
        raise ValueError(
            f"dtype_policies.deserialize: unsupported policy class {class_name!r}; hoarfrost "
            "has DTypePolicy (Keras's quantized policies are not supported).")
    return DTypePolicy.from_config(config.get("config", {}))


def get(identifier) -> DTypePolicy:
    """A policy from None (the global one), a name, a dtype, a config dict or a policy."""
    if identifier is None:
        return config.dtype_policy()
    if isinstance(identifier, DTypePolicy):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        return DTypePolicy(identifier)
    try:
        return DTypePolicy(standardize_dtype(identifier))
    except (ValueError, TypeError):
        raise ValueError("Cannot interpret `dtype` argument. Expected a string or an instance "
                         f"of DTypePolicy. Received: dtype={identifier!r}") from None


__all__ = ["DTypePolicy", "FloatDTypePolicy", "deserialize", "get", "serialize"]
