"""`stateful=True` for a recurrent layer: its states as non-trainable state variables,
carried from batch to batch until `reset_states()`."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from hoarfrost.layers.recurrent.scan import _is_traced
from hoarfrost.variables import Variable, current_scope


class _Stateful:
    """`stateful=True` for a recurrent layer: its states as non-trainable state variables.

    They are kept out of `weights` (as Keras: `get_weights` and the counts are
    the parameters'), but the training step sees them as the layer's state
    (`Layer._hidden_state_variables`), so the trainability contract holds.
    """

    def _init_stateful(self, stateful: bool) -> None:
        self.stateful = bool(stateful)
        object.__setattr__(self, "states", None)
        object.__setattr__(self, "_state_structure", None)
        object.__setattr__(self, "_hidden_state_variables", [])

    def _create_state_variables(self, batch_size: int) -> None:
        initial = self.get_initial_state(batch_size)
        leaves, structure = jax.tree.flatten(initial)
        variables = []
        for i, value in enumerate(leaves):
            with jax.ensure_compile_time_eval():
                value = jnp.zeros(jnp.shape(value), self.variable_dtype)
            short = "rnn_state" if i == 0 else f"rnn_state_{i}"
            variable = Variable(value, name=short, trainable=False,
                                path=f"{self.name}/{short}")
            variables.append(variable)
        object.__setattr__(self, "_hidden_state_variables", variables)
        object.__setattr__(self, "_state_structure", structure)
        object.__setattr__(self, "states", jax.tree.unflatten(structure, variables))

    def _maybe_create_states_at_build(self, sequences_shape) -> None:
        if self.stateful and self.states is None and sequences_shape[0] is not None:
            self._create_state_variables(int(sequences_shape[0]))

    def _stateful_initial_state(self, sequences):
        """The stored states for this call, or None where no variables may be touched.

        Returns `(states, shape_only)`: `shape_only` is True when the call is
        traced outside any step (shape inference, e.g. `fit` checking its
        data): the states are read but never written then.
        """
        batch = sequences.shape[0]
        traced = _is_traced(sequences)
        scope = current_scope()
        shape_only = traced and (scope is None or scope.symbolic)
        if self.states is None:
            if traced:
                raise ValueError(
                    f'{type(self).__name__} layer "{self.name}": stateful=True needs a fixed '
                    "batch size before the layer is compiled. Give the model's input one "
                    "(`Input(shape, batch_size=32)` or `batch_input_shape=`), or call the "
                    "layer once on a batch.")
            self._create_state_variables(batch)
        expected = self._hidden_state_variables[0].shape[0]
        if batch != expected:
            if shape_only:
                return jax.tree.unflatten(self._state_structure, [
                    jnp.zeros((batch,) + v.shape[1:], v.dtype)
                    for v in self._hidden_state_variables]), True
            raise ValueError(
                f'{type(self).__name__} layer "{self.name}" is stateful: the batch size of '
                f"the input sequences must be the one of its states. Expected batch size: "
                f"{expected}; received: {batch} (input shape {tuple(sequences.shape)}).")
        values = [v.value for v in self._hidden_state_variables]
        return jax.tree.unflatten(self._state_structure, values), shape_only

    def _remember_states(self, final_states) -> None:
        for variable, value in zip(self._hidden_state_variables, jax.tree.leaves(final_states)):
            variable.assign(value)

    def reset_states(self, states=None) -> None:
        """Set the stored states to zeros (or to `states`, one array per state)."""
        if not self.stateful:
            raise AttributeError(
                f'{type(self).__name__} layer "{self.name}" is not stateful; only a layer '
                "created with stateful=True keeps states to reset.")
        if self.states is None:
            if states is None:
                return  # nothing stored yet: the first batch starts from zeros anyway
            self._create_state_variables(int(jnp.shape(jax.tree.leaves(states)[0])[0]))
        variables = self._hidden_state_variables
        values = [None] * len(variables) if states is None else jax.tree.leaves(states)
        if len(values) != len(variables):
            raise ValueError(
                f'{type(self).__name__} layer "{self.name}": reset_states expects '
                f"{len(variables)} state array(s), received {len(values)}.")
        for variable, value in zip(variables, values):
            variable.assign(jnp.zeros(variable.shape, variable.dtype) if value is None
                            else jnp.asarray(value, variable.dtype))

    def reset_state(self) -> None:
        """Keras 3's name for `reset_states()`."""
        self.reset_states()
