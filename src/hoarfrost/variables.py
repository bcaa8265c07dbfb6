"""Variables: named, stateful arrays owned by layers.

A `Variable` looks stateful to the user (`assign`, `numpy()`), but inside a
`StatelessScope` reads and writes go to the scope instead. That is how the
training engine runs ordinary layer code as a pure function of explicit
values, the way `jax.grad` and `jax.jit` need it.
"""

from __future__ import annotations

import threading
from typing import Any, Iterable

import jax
import jax.numpy as jnp
import numpy as np

_local = threading.local()


def _scopes() -> list[StatelessScope]:
    if not hasattr(_local, "scopes"):
        _local.scopes = []
    return _local.scopes


def current_scope() -> StatelessScope | None:
    """The innermost active `StatelessScope`, or None when running eagerly."""
    scopes = _scopes()
    return scopes[-1] if scopes else None


class StatelessScope:
    """Maps variables to values for the duration of a pure computation.

    Reads of a mapped variable return the mapped value; `assign` records the
    new value in the scope (retrieved with `updated_value`) and never touches
    the variable itself, so tracing can not leak tracers into the model.

    Args:
        values: pairs of (variable, value) to read from.
        rng: a PRNG key; layers draw per-call keys from it with `next_rng()`.
        symbolic: True while only shapes are inferred (no value is computed),
            so unseeded random draws need no key.
    """

    def __init__(self, values: Iterable[tuple[Variable, Any]] = (), rng=None,
                 symbolic: bool = False):
        self.symbolic = symbolic
        self._values = {id(v): val for v, val in values}
        self._updates: dict[int, Any] = {}
        self._rng = rng
        self._rng_count = 0
        self._losses: list[tuple[Any, Any]] = []

    def __enter__(self) -> StatelessScope:
        _scopes().append(self)
        return self

    def __exit__(self, *exc) -> None:
        _scopes().pop()

    def read(self, variable: Variable):
        key = id(variable)
        if key in self._updates:
            return self._updates[key]
        if key in self._values:
            return self._values[key]
        return None

    def write(self, variable: Variable, value) -> None:
        self._updates[id(variable)] = value

    def updated_value(self, variable: Variable, default):
        """The value assigned to `variable` in this scope, else `default`."""
        return self._updates.get(id(variable), default)

    def add_loss(self, owner, loss) -> None:
        self._losses.append((owner, loss))

    def losses_of(self, owner):
        return [loss for o, loss in self._losses if o is owner]

    @property
    def losses(self) -> list:
        """Every loss added with `Layer.add_loss` in this scope."""
        return [loss for _, loss in self._losses]

    def next_rng(self):
        if self._rng is None:
            return None
        self._rng_count += 1
        return jax.random.fold_in(self._rng, self._rng_count)


class Variable:
    """A named array owned by a layer.

    Args:
        value: the initial value (array-like).
        name: the short name given at creation (`kernel`).
        trainable: whether training may update it. Variables created
            non-trainable (moving statistics, counters) are *state*: the
            optimizer never touches them, whatever the flags say later.
        dtype: the dtype to store; defaults to the value's dtype.

    `name` and `path` are the unique path (`dense_1/kernel`) once the owning
    layer has a name, so a dict keyed by `w.name` keeps every weight.
    """

    def __init__(self, value, name: str, trainable: bool = True, dtype=None):
        value = jnp.asarray(value, dtype=dtype)
        self._value = value
        self._short_name = name
        self._path = name
        self._trainable = bool(trainable)
        self._is_state = not trainable

    # --- identity -------------------------------------------------------
    @property
    def name(self) -> str:
        return self._path

    @property
    def path(self) -> str:
        return self._path

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self._value.shape)

    @property
    def dtype(self):
        return self._value.dtype

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64))

    # --- trainability ---------------------------------------------------
    @property
    def trainable(self) -> bool:
        """This variable's own flag; enclosing layers' flags also apply."""
        return self._trainable and not self._is_state

    @trainable.setter
    def trainable(self, value: bool) -> None:
        if self._is_state and value:
            raise ValueError(
                f"Variable '{self.path}' was created non-trainable (it is state "
                "updated by its layer, not by the optimizer); it can not be made "
                "trainable."
            )
        self._trainable = bool(value)

    # --- value ----------------------------------------------------------
    @property
    def value(self):
        scope = current_scope()
        if scope is not None:
            scoped = scope.read(self)
            if scoped is not None:
                return scoped
        return self._value

    def assign(self, value) -> Variable:
        """Set the value; the shape and dtype must stay the same."""
        value = jnp.asarray(value)
        if tuple(value.shape) != self.shape:
            raise ValueError(
                f"Can not assign a value of shape {tuple(value.shape)} to variable "
                f"'{self.path}' of shape {self.shape}."
            )
        value = value.astype(self.dtype)
        scope = current_scope()
        if scope is not None:
            scope.write(self, value)
        else:
            self._value = value
        return self

    def assign_add(self, delta) -> Variable:
        return self.assign(self.value + delta)

    def assign_sub(self, delta) -> Variable:
        return self.assign(self.value - delta)

    def numpy(self) -> np.ndarray:
        """A NumPy copy of the current value (gathered if other processes hold parts of it)."""
        from hoarfrost.distribution import to_host
        return np.array(to_host(self.value))

    def __array__(self, dtype=None, copy=None):
        from hoarfrost.distribution import to_host
        out = to_host(self.value)
        return out.astype(dtype) if dtype is not None else out

    def __repr__(self) -> str:
        return (
            f"<Variable path={self.path} shape={self.shape} dtype={self.dtype} "
            f"trainable={self.trainable}>"
        )

    # Arithmetic, so layer code can write `inputs @ self.kernel + self.bias`.
    def __add__(self, o): return self.value + _unwrap(o)
    def __radd__(self, o): return _unwrap(o) + self.value
    def __sub__(self, o): return self.value - _unwrap(o)
    def __rsub__(self, o): return _unwrap(o) - self.value
    def __mul__(self, o): return self.value * _unwrap(o)
    def __rmul__(self, o): return _unwrap(o) * self.value
    def __truediv__(self, o): return self.value / _unwrap(o)
    def __rtruediv__(self, o): return _unwrap(o) / self.value
    def __matmul__(self, o): return self.value @ _unwrap(o)
    def __rmatmul__(self, o): return _unwrap(o) @ self.value
    def __pow__(self, o): return self.value ** _unwrap(o)
    def __neg__(self): return -self.value
    def __float__(self): return float(self.value)
    def __int__(self): return int(self.value)
    def __getitem__(self, idx): return self.value[idx]
    def __len__(self): return self.shape[0]

    # Variables are identities, not values: hash and compare by object.
    __hash__ = object.__hash__


def _unwrap(x):
    return x.value if isinstance(x, Variable) else x


def unwrap(x):
    """The array behind a Variable (anything else is returned unchanged)."""
    return _unwrap(x)

