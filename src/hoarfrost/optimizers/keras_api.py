"""Keras's optimizer API on the slot store (`KerasOptimizerAPI`, a base of `Optimizer`):
`variables` (one Variable per slot, in Keras's order and with Keras's paths), `apply` /
`apply_gradients` (eager), `stateless_apply` (pure, jit-able), `set_weights`, Keras's
saving hooks, the loss scale and `finalize_variable_values`.
"""

from __future__ import annotations

import contextlib
import warnings
from typing import Iterable, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from hoarfrost.optimizers.optimizer_variables import OptimizerVariable, SlotVariable
from hoarfrost.optimizers.slot_store import OptimizerState, SlotStore, _slot_name
from hoarfrost.optimizers.transforms import ACCUMULATOR, AVERAGE
from hoarfrost.variables import StatelessScope, Variable, current_scope, unwrap


class KerasOptimizerAPI(SlotStore):
    """Keras's API over the slot store. `Optimizer` supplies the update
    (`stateless_update`, `_legacy_apply`), the rates (`learning_rate`,
    `multiplier_for`, `lr_multipliers`) and `_slot_groups`.
    """

    # --- Keras's API: variables ------------------------------------------------------
    def _add_global_variable(self, name: str, value, dtype) -> OptimizerVariable:
        """State of the optimizer itself (not of a variable): in `variables`, in the state's
        `extra`, saved, restored and reset with the slots."""
        variable = OptimizerVariable(jnp.asarray(value, dtype), name=f"{self.name}/{name}")
        self._global_variables[name] = variable
        self._global_initial[name] = variable.value
        return variable

    def _slot_views(self, variable: Variable) -> list[SlotVariable]:
        """One Variable per slot of `variable` (cached: the same objects every time)."""
        views = self._views.get(variable)
        if views is None:
            flat, _ = jax.tree_util.tree_flatten_with_path(self.slot_spec(variable))
            prefix = f"{self.name}/{variable.path.replace('/', '_')}"
            views = [SlotVariable(self, variable, i, _slot_name(path), prefix)
                     for i, (path, _) in enumerate(flat)]
            self._views[variable] = views
        return views

    def keras_slot_groups(self) -> list[tuple[str, ...]]:
        """Keras's groups of slot names, in the order of Keras's `variables`: each group
        laid out variable by variable (`add_optimizer_variables`)."""
        groups = [(AVERAGE,)] if self.use_ema else []
        if self.gradient_accumulation_steps:
            groups.append((ACCUMULATOR,))
        return groups + list(self._slot_groups())

    @property
    def variables(self) -> list[Variable]:
        """The optimizer's state as Variables, in Keras's order: the step count, the rate
        (unless a schedule), the optimizer's own state, then the slots of the built
        variables (then of any other variable with slots) in Keras's groups, then the
        slots only hoarfrost keeps (per-variable counts), variable by variable.

        Paths are Keras's (`adam/iteration`, `adam/dense_kernel_momentum`). The
        slot Variables are views: assigning one changes the slot.
        """
        out = [self._iterations]
        if self.learning_rate_schedule is None:
            out.append(self._learning_rate)
        out.extend(self._global_variables.values())
        return out + self._slot_variables()

    @contextlib.contextmanager
    def bound_to(self, variables: Iterable[Variable]):
        """For the duration, Keras's API (`variables`, `apply(grads)`, `stateless_apply`)
        is over `variables` only, as if the optimizer had been built with them.

        A custom `train_step` runs inside it with the variables trainable at that
        step: `optimizer_variables` then hold the step count, the rate and those
        variables' slots, so a frozen variable's slots are not even an input.
        """
        variables = list(variables)
        self._build_slots(variables)
        saved = (self._trainable_variables, self.built, self.__dict__.get("_bound"))
        self._trainable_variables, self.built, self._bound = variables, True, True
        inner = getattr(self, "inner_optimizer", None)
        try:
            with inner.bound_to(variables) if inner is not None else contextlib.nullcontext():
                yield self
        finally:
            self._trainable_variables, self.built, self._bound = saved

    def _slot_variables(self) -> list[SlotVariable]:
        self._build_slots(self._trainable_variables)
        others = [] if self.__dict__.get("_bound") else list(self._slots)
        owners = list(dict.fromkeys([v for v in self._trainable_variables] + others))
        views = {v: self._slot_views(v) for v in owners}
        out, placed = [], set()
        for group in self.keras_slot_groups():
            for variable in owners:
                for name in group:
                    for view in views[variable]:
                        if view.slot_name == name:
                            out.append(view)
                            placed.add(id(view))
        for variable in owners:
            out.extend(view for view in views[variable] if id(view) not in placed)
        return out

    def set_weights(self, weights: Sequence) -> None:
        """Set `variables` (in their order) from arrays."""
        variables = self.variables
        if len(weights) != len(variables):
            raise ValueError(f"{type(self).__name__}.set_weights(): got {len(weights)} arrays "
                             f"for {len(variables)} optimizer variables.")
        for variable, weight in zip(variables, weights):
            if tuple(np.shape(weight)) != tuple(variable.shape):
                raise ValueError(f"Optimizer variable '{variable.path}' has shape "
                                 f"{variable.shape}; got an array of shape {np.shape(weight)}.")
        for variable, weight in zip(variables, weights):
            variable.assign(weight)

    def save_own_variables(self, store) -> None:
        """Keras's hook: `store["0"], store["1"], ...` are `variables` in order."""
        for i, variable in enumerate(self.variables):
            store[str(i)] = variable.numpy()

    def load_own_variables(self, store) -> None:
        """Keras's hook: set `variables` from `store["0"], store["1"], ...`."""
        if len(store.keys()) != len(self.variables):
            raise ValueError(f"{type(self).__name__}.load_own_variables(): the store holds "
                             f"{len(store.keys())} arrays; the optimizer has "
                             f"{len(self.variables)} variables.")
        self.set_weights([store[str(i)] for i in range(len(store.keys()))])

    # --- Keras's API: applying gradients ----------------------------------------------
    def apply_gradients(self, grads_and_vars: Iterable) -> Variable:
        """Apply `(gradient, variable)` pairs (see `apply`); returns `iterations`."""
        grads, variables = zip(*grads_and_vars)
        self.apply(list(grads), list(variables))
        return self._iterations

    def apply(self, grads: Sequence, trainable_variables: Sequence[Variable] | None = None,
              *legacy, **legacy_kwargs):
        """Update `trainable_variables` (default: those the optimizer was built with) with
        `grads`, as Keras's `optimizer.apply`: the Variables and the slots change.

        The first call builds the optimizer. A gradient that is None leaves its
        variable (and its slots) alone; variables' constraints apply after the
        update. Inside a `StatelessScope` (as in `stateless_apply`) the reads
        and writes go to the scope.

        The engine's former pure form `apply(grads, values, slots, learning_rate,
        iterations, multipliers=None) -> (values, slots)` is still accepted
        (see `stateless_update`).
        """
        if legacy or legacy_kwargs:
            return self._legacy_apply(grads, trainable_variables, *legacy, **legacy_kwargs)
        grads = list(grads)
        if not grads:
            return None
        if trainable_variables is None:
            if not self.built:
                raise ValueError(f"{type(self).__name__}.apply(): pass the variables, or "
                                 "build the optimizer first: optimizer.build(variables).")
            variables = list(self._trainable_variables)
        else:
            variables = list(trainable_variables)
            if not self.built:
                self.build(variables)
        if len(grads) != len(variables):
            raise ValueError(f"{type(self).__name__}.apply(): {len(grads)} gradients for "
                             f"{len(variables)} variables.")
        missing = [v.path for g, v in zip(grads, variables) if g is None]
        pairs = [(g, v) for g, v in zip(grads, variables) if g is not None]
        if not pairs:
            raise ValueError("No gradients provided for any variable.")
        if missing:
            warnings.warn(f"Gradients do not exist for variables {missing} when minimizing "
                          "the loss; they are left unchanged.", stacklevel=2)
        grads = [unwrap(g) for g, _ in pairs]
        variables = [v for _, v in pairs]
        state = self._read_state(variables)
        multipliers = (jnp.asarray([self.multiplier_for(v) for v in variables], jnp.float32)
                       if self.lr_multipliers else None)
        if self._compiled_update is None:
            self._compiled_update = jax.jit(self.stateless_update)
        values, state = self._compiled_update(grads, [v.value for v in variables], state,
                                              self._constant_rate(), multipliers)
        for i, variable in enumerate(variables):
            constraint = getattr(variable, "constraint", None)
            variable.assign(values[i] if constraint is None else constraint(values[i]))
        self._write_state(state)
        return None

    def _constant_rate(self):
        """The rate a step reads when it is not a schedule (None when it is)."""
        return None if self.learning_rate_schedule is not None else self.learning_rate.value

    def _read_state(self, variables: list[Variable]) -> OptimizerState:
        """The state of `variables`, read through the active `StatelessScope` if any."""
        if current_scope() is None:
            return self.gather_slots(variables)
        self._build_slots(variables)
        slots = []
        for variable in variables:
            treedef = jax.tree.structure(self._slots[variable])
            slots.append(jax.tree.unflatten(
                treedef, [view.value for view in self._slot_views(variable)]))
        return OptimizerState(variables, slots, self._iterations.value,
                              {k: v.value for k, v in self._global_variables.items()})

    def _write_state(self, state: OptimizerState) -> None:
        """Write a state back, into the active `StatelessScope` if any."""
        if current_scope() is None:
            self.scatter_slots(state)
            return
        for variable, slots in zip(state.variables, state.slots):
            for view, leaf in zip(self._slot_views(variable), jax.tree.leaves(slots)):
                view.assign(leaf)
        self._iterations.assign(state.iterations)
        for name, value in (state.extra or {}).items():
            self._global_variables[name].assign(value)

    def stateless_apply(self, optimizer_variables: Sequence, grads: Sequence,
                        trainable_variables: Sequence) -> tuple[list, list]:
        """`apply` as a pure function of values (Keras's JAX API), for use inside `jax.jit`.

        Args:
            optimizer_variables: values of `optimizer.variables`, in order.
            grads: gradients of the variables the optimizer was built with.
            trainable_variables: values of those variables, in order.

        Returns:
            (new trainable values, new optimizer variable values).

        Example:
            >>> optimizer.build(model.trainable_variables)
            >>> state = [v.value for v in optimizer.variables]
            >>> values, state = jax.jit(optimizer.stateless_apply)(state, grads, values)
        """
        if not self.built:
            raise ValueError(f"To call `stateless_apply`, {type(self).__name__} must be built "
                             "(its variables created): optimizer.build(trainable_variables).")
        references = self.variables
        if len(optimizer_variables) != len(references):
            raise ValueError(
                "Argument `optimizer_variables` must be a list of values corresponding 1:1 to "
                f"{type(self).__name__}().variables: got {len(optimizer_variables)}, expected "
                f"{len(references)}.")
        built = self._trainable_variables
        if len(trainable_variables) != len(built):
            raise ValueError(
                "Argument `trainable_variables` must be a list of values corresponding 1:1 to "
                f"the variables the optimizer was built with: got {len(trainable_variables)}, "
                f"expected {len(built)}.")
        values = [unwrap(v) for v in trainable_variables]
        state = [unwrap(v) for v in optimizer_variables]
        with StatelessScope(list(zip(built, values)) + list(zip(references, state))) as scope:
            self.apply(grads)
        return ([scope.updated_value(v, x) for v, x in zip(built, values)],
                [scope.updated_value(v, x) for v, x in zip(references, state)])

    def scale_loss(self, loss):
        """The loss times `loss_scale_factor` (unchanged without one), before gradients."""
        return loss if self.loss_scale_factor is None else loss * self.loss_scale_factor

    def stateless_scale_loss(self, loss, state: OptimizerState):
        """`scale_loss` inside a step, from the step's optimizer state."""
        return self.scale_loss(loss)

    def finalize_variable_values(self, var_list: Iterable[Variable]) -> None:
        """End of training: with `use_ema`, set each variable of `var_list` that has an
        average to it (Keras calls this at the end of `fit` with the trainable weights;
        a variable frozen then is left as it is)."""
        if not self.use_ema:
            return
        for variable in var_list:
            slots = self._slots.get(variable)
            if slots is not None:
                variable.assign(jnp.array(slots[AVERAGE], copy=True))  # not the slot's buffer
