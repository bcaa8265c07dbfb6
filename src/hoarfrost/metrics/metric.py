"""The `Metric` base class: Keras's API on Variables, and a pure core the engine jits.

A metric's state lives in Variables (`metric.variables`), as in Keras, so the
same code runs eagerly (`update_state`, `result`, `reset_state`) and inside a
compiled step (`stateless_update_state`, `stateless_result`,
`stateless_reset_state`, or a `StatelessScope` mapping the variables).

Two ways to write one:

- Keras's: create the state in `__init__` with `add_variable` / `add_weight`,
  and write `update_state` (assigning to the variables) and `result`.
- hoarfrost's built-ins: a pure core, `initial_state()` (a small pytree of
  arrays), `update(state, ...)` and `compute(state)`; their Variables are
  made from the leaves of `initial_state()`.

The engine threads states through the compiled step with the pure core
(`initial_state`, `update`, `compute`); for a Keras-style metric those run
its `reset_state`, `update_state` and `result` in a `StatelessScope`.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from hoarfrost import initializers as initializers_module
from hoarfrost.host import to_device
from hoarfrost.naming import to_snake_case, unique_name
from hoarfrost.variables import StatelessScope, Variable, current_scope


def zeros(shape):
    """A fresh float32 zero buffer on the device: a transfer, not an op to compile."""
    return to_device(np.zeros(shape, np.float32))


class _no_scope:
    """Create state variables outside any active `StatelessScope` or trace."""

    def __enter__(self):
        from hoarfrost.variables import _scopes
        self._saved = list(_scopes())
        _scopes().clear()
        self._eval = jax.ensure_compile_time_eval()
        self._eval.__enter__()

    def __exit__(self, *exc):
        from hoarfrost.variables import _scopes
        self._eval.__exit__(*exc)
        _scopes().extend(self._saved)


class Metric:
    """Base class of metrics.

    Subclass it as in Keras: create state with `add_variable` in `__init__`,
    assign to it in `update_state`, read it in `result`.

    Args:
        name: the key of this metric in logs and `History`.
        dtype: the dtype of the metric's computations (float32 by default).

    Example:
        >>> class Total(Metric):
        ...     def __init__(self, name="total"):
        ...         super().__init__(name=name)
        ...         self.total = self.add_variable(shape=(), initializer="zeros", name="total")
        ...     def update_state(self, values):
        ...         self.total.assign(self.total + jnp.sum(values))
        ...     def result(self):
        ...         return self.total.value
        >>> m = Total()
        >>> m.update_state([1.0, 2.0])
        >>> float(m.result())
        3.0
    """

    #: "up" when a larger value is better, "down" when smaller is; None when unknown.
    #: `EarlyStopping(mode="auto")` and friends read it, as in Keras.
    _direction: str | None = None

    def __init__(self, name: str | None = None, dtype=None):
        object.__setattr__(self, "_own_variables", [])
        object.__setattr__(self, "_nested_metrics", [])
        object.__setattr__(self, "_state_variables", None)
        object.__setattr__(self, "_state_treedef", None)
        # Keras's `auto_name`: an unnamed metric takes the next free name of its class
        # (`auc`, `auc_1`, ... per process, reset by `clear_session`), as history keys show.
        self.name = name or unique_name(to_snake_case(type(self).__name__))
        self._dtype = np.dtype(dtype or "float32").name

    def __setattr__(self, name: str, value: Any) -> None:
        # Track Variables and Metrics assigned as attributes, as Keras's tracker does.
        if "_own_variables" in self.__dict__ and not name.startswith("_"):
            for item in value if isinstance(value, (list, tuple)) else (value,):
                if isinstance(item, Variable) and item not in self._own_variables:
                    self._own_variables.append(item)
                elif isinstance(item, Metric) and item is not self and not any(
                        item is m for m in self._nested_metrics):
                    self._nested_metrics.append(item)
        object.__setattr__(self, name, value)

    def _check_super_called(self) -> None:
        if "_own_variables" not in self.__dict__:
            raise RuntimeError(f"{type(self).__name__}: you forgot to call "
                               "`super().__init__()` in `__init__()`. Go add it!")

    @property
    def dtype(self) -> str:
        return self.__dict__.get("_dtype", "float32")

    # --- Keras's API: variables ---------------------------------------------------
    def add_variable(self, shape=(), initializer="zeros", dtype=None, aggregation: str = "sum",
                     name: str | None = None) -> Variable:
        """Create a state variable of this metric (non-trainable), as Keras's `add_variable`.

        Args:
            shape: the variable's shape (`()` for a scalar).
            initializer: a name, `Initializer` or callable `(shape, dtype)`.
            dtype: its dtype (the metric's by default).
            aggregation: how replicas combine it (`"sum"`, `"mean"`, ...); kept for
                Keras compatibility.
            name: its short name; the path is `<metric name>/<name>`.
        """
        self._check_super_called()
        shape = tuple(int(d) for d in (shape or ()))
        dtype = np.dtype(dtype or self.dtype)
        init = initializers_module.get(initializer if initializer is not None else "zeros")
        with _no_scope():
            value = init(shape, dtype)
        name = name or f"variable_{len(self._own_variables)}"
        variable = Variable(value, name=name, trainable=False, dtype=dtype,
                            path=f"{self.name}/{name}")
        variable.aggregation = aggregation
        self._own_variables.append(variable)
        return variable

    def add_weight(self, shape=(), initializer=None, dtype=None, name: str | None = None
                   ) -> Variable:
        """Keras's backwards-compatible alias of `add_variable`."""
        return self.add_variable(shape=shape, initializer=initializer, dtype=dtype, name=name)

    @property
    def variables(self) -> list[Variable]:
        """The metric's state as Variables, in order: its own, then nested metrics'.

        A built-in metric makes its Variables from its `initial_state()` leaves
        on first use.
        """
        self._check_super_called()
        variables = list(self._own_variables)
        if self._has_pure_core():
            variables.extend(self._built_state_variables())
        for metric in self._nested_metrics:
            variables.extend(metric.variables)
        return variables

    # --- which core a class defines ---------------------------------------------------
    def _has_pure_core(self) -> bool:
        """Whether the class defines the pure core (`initial_state` and `update`)."""
        return type(self).initial_state is not Metric.initial_state

    def _state_known(self) -> bool:
        """Whether `initial_state()` can be made before any data (AUC multi-label can not)."""
        return True

    def _built_state_variables(self) -> list[Variable]:
        if self._state_variables is None and self._state_known():
            with _no_scope():
                self._make_state_variables(self.initial_state())
        return list(self._state_variables or [])

    #: Names of a built-in's state leaves (Keras's variable names), in flattening order;
    #: leaves are numbered where a class gives none.
    _state_names: tuple[str, ...] = ()

    def _make_state_variables(self, state) -> None:
        leaves, treedef = jax.tree.flatten(state)
        names = (self._state_names if len(self._state_names) == len(leaves)
                 else [str(i) for i in range(len(leaves))])
        variables = []
        for name, leaf in zip(names, leaves):
            variable = Variable(jnp.array(leaf, copy=True), name=name, trainable=False,
                                path=f"{self.name}/{name}")
            variables.append(variable)
        object.__setattr__(self, "_state_variables", variables)
        object.__setattr__(self, "_state_treedef", treedef)

    @property
    def _state(self):
        """A built-in's state as a pytree, read from its Variables (made at first use;
        None while it can not be made yet)."""
        if not self._has_pure_core():
            return None
        variables = self._built_state_variables() or self.__dict__.get("_state_variables")
        if variables is None:
            return None
        return jax.tree.unflatten(self._state_treedef, [v.value for v in variables])

    @_state.setter
    def _state(self, state) -> None:
        if state is None:  # a reset: back to the initial state
            if self.__dict__.get("_state_variables") is None:
                return
            if not self._state_known():
                object.__setattr__(self, "_state_variables", None)
                return
            state = self.initial_state()
        leaves, treedef = jax.tree.flatten(state)
        variables = self.__dict__.get("_state_variables")
        if variables is None or treedef != self._state_treedef or any(
                tuple(np.shape(a)) != v.shape for a, v in zip(leaves, variables)):
            if current_scope() is not None:
                raise ValueError(f'Metric "{self.name}": its state changed shape inside a '
                                 "compiled step; build it (call it once) before.")
            self._make_state_variables(state)
            return
        for variable, leaf in zip(variables, leaves):
            variable.assign(leaf)

    def _build_for(self, specs) -> None:
        """Create the variables a first update would create, from shapes only.

        Keras builds compiled metrics by a symbolic update before training; so
        does this, so a metric whose state is shaped by the data (`F1Score`,
        `R2Score`, a subclass adding variables in `update_state`) has its state
        before the compiled step threads it. `specs()` gives `(y_true, y_pred)`
        as arrays or `jax.ShapeDtypeStruct`s (called only when needed).
        """
        if self._has_pure_core():
            return
        y_true, y_pred = specs()
        values = [v.value for v in self.variables]
        jax.eval_shape(lambda t, p: self.stateless_update_state(values, t, p), y_true, y_pred)

    # --- pure core, used inside compiled steps ----------------------------------
    def initial_state(self):
        """The state before any update (a pytree of arrays)."""
        return self.stateless_reset_state()

    def update(self, state, *args, **kwargs):
        """The state after one `update_state(*args)` (pure)."""
        if type(self).update_state is Metric.update_state:
            raise NotImplementedError(f"{type(self).__name__}: a metric implements "
                                      "`update_state` (or the pure `update`).")
        return self.stateless_update_state(list(jax.tree.leaves(state)), *args, **kwargs)

    def compute(self, state):
        """The result for a state (pure)."""
        if type(self).result is Metric.result:
            raise NotImplementedError(f"{type(self).__name__}: a metric implements `result` "
                                      "(or the pure `compute`).")
        return self.stateless_result(list(jax.tree.leaves(state)))

    # --- Keras's stateful API ------------------------------------------------
    def update_state(self, *args, **kwargs) -> None:
        """Accumulate statistics (assigns to the metric's variables)."""
        if type(self).update is Metric.update:
            raise NotImplementedError(f"{type(self).__name__}: a metric implements "
                                      "`update_state` (or the pure `update`).")
        self._check_super_called()
        state = self._state
        if state is None:
            state = self.initial_state()
        args = [jnp.asarray(a) if isinstance(a, (list, tuple, np.ndarray)) else a
                for a in args]
        self._state = self.update(state, *args, **kwargs)

    def result(self):
        """The current value: a scalar (or an array, or a dict of them)."""
        if type(self).compute is Metric.compute:
            raise NotImplementedError(f"{type(self).__name__}: a metric implements `result` "
                                      "(or the pure `compute`).")
        self._check_super_called()
        state = self._state
        return self.compute(state if state is not None else self.initial_state())

    def reset_state(self) -> None:
        """Back to the initial state: a built-in's `initial_state()`; for other metrics
        zeros in every variable (Keras's default)."""
        self._check_super_called()
        if self._has_pure_core():
            self._state = None
        else:
            for variable in self._own_variables:
                variable.assign(jnp.zeros(variable.shape, variable.dtype))
        for metric in self._nested_metrics:
            metric.reset_state()

    def __call__(self, *args, **kwargs):
        """`update_state(*args)`, then `result()`."""
        self.update_state(*args, **kwargs)
        return self.result()

    # --- Keras's stateless API (for JAX code) -----------------------------------------
    def _check_values(self, metric_variables) -> list:
        variables = self.variables
        if len(metric_variables) != len(variables):
            raise ValueError(
                "Argument `metric_variables` must be a list of tensors corresponding 1:1 to "
                f"{type(self).__name__}().variables. Received list with length "
                f"{len(metric_variables)}, but expected {len(variables)} variables.")
        return variables

    def stateless_update_state(self, metric_variables, *args, **kwargs) -> list:
        """`update_state` as a pure function: the variables' values in, new values out."""
        variables = self._check_values(metric_variables)
        values = [v.value if isinstance(v, Variable) else v for v in metric_variables]
        with StatelessScope(list(zip(variables, values))) as scope:
            self.update_state(*args, **kwargs)
        return [scope.updated_value(v, x) for v, x in zip(variables, values)]

    def stateless_result(self, metric_variables):
        """`result` for the given values of the variables (pure)."""
        variables = self._check_values(metric_variables)
        values = [v.value if isinstance(v, Variable) else v for v in metric_variables]
        with StatelessScope(list(zip(variables, values))):
            return self.result()

    def stateless_reset_state(self) -> list:
        """The variables' values after `reset_state` (pure)."""
        variables = self.variables
        with StatelessScope() as scope:
            self.reset_state()
        return [scope.updated_value(v, v.value) for v in variables]

    # --- config ---------------------------------------------------------------------
    def get_config(self) -> dict[str, Any]:
        return {"name": self.name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}>"
