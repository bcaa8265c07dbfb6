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

from hoarfrost.host import to_device, to_host
from hoarfrost.naming import scoped

_local = threading.local()


def _scopes() -> list[StatelessScope]:
    if not hasattr(_local, "scopes"):
        _local.scopes = []
    return _local.scopes


def current_scope() -> StatelessScope | None:
    """The innermost active `StatelessScope`, or None when running eagerly."""
    scopes = _scopes()
    return scopes[-1] if scopes else None


def get_autocast_scope() -> AutocastScope | None:
    """The active `AutocastScope`, or None."""
    return getattr(_local, "autocast", None)


class AutocastScope:
    """Floating variables read inside it come out cast to `dtype` (Keras's AutocastScope).

    A layer whose compute dtype differs from its variable dtype (a mixed
    policy) runs `call` in one, so `inputs @ self.kernel` computes in bfloat16
    while the kernel is stored, and updated, in float32. The cast is part of
    the computation, so gradients flow back to the float32 value. `dtype=None`
    turns autocasting off inside (a layer that computes in its variables'
    dtype within a mixed model).

    Args:
        dtype: a floating dtype name, or None.
    """

    def __init__(self, dtype):
        if dtype is not None:
            dtype = jnp.dtype(dtype).name
            if not jnp.issubdtype(dtype, jnp.floating):
                raise ValueError("AutocastScope can only be used with a floating-point target "
                                 f"dtype, such as 'float16'. Received: dtype={dtype}")
        self.dtype = dtype
        self.original_scope = None

    def maybe_cast(self, value):
        if self.dtype is not None and jnp.issubdtype(value.dtype, jnp.floating) \
                and value.dtype != self.dtype:
            return value.astype(self.dtype)
        return value

    def __enter__(self) -> AutocastScope:
        self.original_scope = get_autocast_scope()
        _local.autocast = self
        return self

    def __exit__(self, *exc) -> None:
        _local.autocast = self.original_scope


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
        state_mapping: Keras's name for `values` (`keras.StatelessScope(state_mapping=...)`).
        collect_losses: Keras's switch for gathering `add_loss` calls; this scope always
            gathers them (read them from `losses`).
        initialize_variables: as Keras; variables created in the scope are initialized
            when created, so only True is accepted.
    """

    def __init__(self, values: Iterable[tuple[Variable, Any]] = (), rng=None,
                 symbolic: bool = False, *, state_mapping=None, collect_losses: bool = False,
                 initialize_variables: bool = True):
        if state_mapping is not None:
            if values:
                raise TypeError("StatelessScope: pass the (variable, value) pairs once, as "
                                "`state_mapping` or positionally, not both.")
            values = state_mapping
        if not initialize_variables:
            raise NotImplementedError(
                "StatelessScope(initialize_variables=False) is not supported: hoarfrost "
                "initializes a variable when it is created.")
        self.symbolic = symbolic
        self.collect_losses = collect_losses
        self._values = {}
        for pair in values:
            if not isinstance(pair, (tuple, list)) or len(pair) != 2:
                raise ValueError("StatelessScope: the state mapping must hold (variable, value) "
                                 f"pairs; got {pair!r}.")
            variable, value = pair
            if not isinstance(variable, Variable):
                raise ValueError("StatelessScope: the first entry of each pair must be a "
                                 f"Variable; got {type(variable).__name__}.")
            self._values[id(variable)] = value
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

    def get_current_value(self, variable: Variable):
        """The variable's value in this scope (assigned here, else mapped), or None (as
        Keras's `StatelessScope.get_current_value`)."""
        return self.read(variable)

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
        autocast: whether reads inside an `AutocastScope` are cast to its
            dtype (Keras's `autocast`); False for variables a layer wants in
            their own dtype (normalization statistics).
        path: the unique path, where the creator knows it (default: `name`, until a
            layer tracks the variable and names it).

    `name` and `path` are the unique path (`dense_1/kernel`) once the owning
    layer has a name, so a dict keyed by `w.name` keeps every weight.
    """

    # Read in an AutocastScope's dtype (a class default: the optimizer's variables, made
    # without this __init__, are never read inside a layer's call).
    autocast = True

    def __init__(self, value, name: str, trainable: bool = True, dtype=None,
                 autocast: bool = True, path: str | None = None):
        value = to_device(value, dtype)  # a NumPy value: a transfer, no program to compile
        self.autocast = bool(autocast)
        self._value = value
        self._short_name = name
        self._path = scoped(name) if path is None else path  # under any open name_scope
        self._trainable = bool(trainable)
        self._is_state = not trainable
        # Why a parameter stays frozen whatever its layer's flag says: None, "lora" (the base
        # kernel of a LoRA layer: only its own flag unfreezes it) or "quantization" (an
        # int8 weight or its scale: never trainable). Set by the layers that own them.
        self._frozen_by: str | None = None

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
        """The dtype of reads: the stored dtype, or an active `AutocastScope`'s (as Keras)."""
        autocast = get_autocast_scope()
        if self.autocast and autocast is not None and autocast.dtype is not None \
                and jnp.issubdtype(self._value.dtype, jnp.floating):
            return jnp.dtype(autocast.dtype)
        return self._value.dtype

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64))

    # --- trainability ---------------------------------------------------
    @property
    def is_state(self) -> bool:
        """Whether this is *state* (created non-trainable, e.g. a moving mean): updated by
        its layer in training mode, never by the optimizer, never made trainable."""
        return self._is_state

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
        if self._frozen_by == "quantization" and value:
            layer = self.path.rpartition("/")[0] or self.path
            raise ValueError(
                f"Variable '{self.path}' of layer '{layer}' is a quantized (int8) weight: it "
                "is frozen by definition and can not be made trainable. Train a LoRA adapter "
                "on it (`enable_lora(rank)`), or rebuild the layer in float to train it.")
        self._trainable = bool(value)

    @property
    def frozen_by(self) -> str | None:
        """What froze this variable apart from the flags: "lora" (a LoRA base kernel),
        "quantization" (an int8 weight), or None."""
        return self._frozen_by

    def freeze_by(self, reason: str | None) -> None:
        """Freeze this variable for `reason` ("lora", "quantization"), or with None
        release such a freeze (the flag is left as it is: the owner decides)."""
        if reason is not None:
            self._trainable = False
        self._frozen_by = reason

    # --- value ----------------------------------------------------------
    @property
    def value(self):
        value = self._value
        scope = current_scope()
        if scope is not None:
            scoped = scope.read(self)
            if scoped is not None:
                value = scoped
        autocast = get_autocast_scope()
        if autocast is not None and self.autocast:
            return autocast.maybe_cast(value)
        return value

    def assign(self, value) -> Variable:
        """Set the value; the shape and dtype must stay the same."""
        value = to_device(value)
        if tuple(value.shape) != self.shape:
            raise ValueError(
                f"Can not assign a value of shape {tuple(value.shape)} to variable "
                f"'{self.path}' of shape {self.shape}."
            )
        value = value.astype(self._value.dtype)  # the stored dtype, never an autocast one
        scope = current_scope()
        if scope is not None:
            scope.write(self, value)
        else:
            self._value = value
        return self

    def assign_add(self, delta) -> Variable:
        return self.assign(self._stored_value() + delta)

    def assign_sub(self, delta) -> Variable:
        return self.assign(self._stored_value() - delta)

    def _stored_value(self):
        """The value in the stored dtype, whatever `AutocastScope` is active."""
        with AutocastScope(None):
            return self.value

    def numpy(self) -> np.ndarray:
        """A NumPy copy of the current value (gathered if other processes hold parts of it)."""
        return np.array(to_host(self.value))

    def __array__(self, dtype=None, copy=None):
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


def _flatten(variable):
    return (variable.value,), None


def _unflatten(_, children):
    return children[0]


# In `jax.jit` and other pytree functions a Variable is its value (as in Keras's JAX
# guides, which hand `model.trainable_variables` to a jitted step).
jax.tree_util.register_pytree_node(Variable, _flatten, _unflatten)


def assign_values(variables: Iterable[Variable], values: Iterable) -> None:
    """Set many variables at once to the values a compiled step computed for them.

    The engine's write-back, outside any `StatelessScope`: the values come
    from a step traced over these very variables, so their shapes and dtypes
    already match and they are taken as they are (no checks, no copies, no
    dispatch). Anything else should call `Variable.assign`.
    """
    for variable, value in zip(variables, values):
        variable._value = value


def _unwrap(x):
    return x.value if isinstance(x, Variable) else x


def unwrap(x):
    """The array behind a Variable (anything else is returned unchanged)."""
    return _unwrap(x)

