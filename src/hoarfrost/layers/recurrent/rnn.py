"""`RNN`: the generic recurrent layer around a cell (a built-in cell runs the fused scan,
any other cell its `call` once per timestep)."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from hoarfrost.layers.layer import Layer
from hoarfrost.layers.recurrent.base_cell import _call_cell, _Cell, _check_cell, _output_size
from hoarfrost.layers.recurrent.gru import GRUCell
from hoarfrost.layers.recurrent.lstm import LSTMCell
from hoarfrost.layers.recurrent.nested import _deserialize
from hoarfrost.layers.recurrent.scan import _run, _scan_cell, _standardize_mask
from hoarfrost.layers.recurrent.simple_rnn import SimpleRNNCell
from hoarfrost.layers.recurrent.stacked_rnn_cells import StackedRNNCells
from hoarfrost.layers.recurrent.stateful import _Stateful
from hoarfrost.symbolic import KerasTensor, is_keras_tensor


_BUILT_IN_CELLS = (SimpleRNNCell, LSTMCell, GRUCell)


class RNN(_Stateful, Layer):
    """Runs a cell over the timesteps of a sequence: Keras 3's `RNN` layer.

    The cell is a layer (or any object) with a `state_size` (an int, or a
    list with one entry per state) and `call(inputs, states[, training])`
    returning `(output, new_states)`; optionally `output_size` and
    `get_initial_state(batch_size)`. A list of cells is stacked
    (`StackedRNNCells`). The built-in `SimpleRNNCell`, `LSTMCell` and
    `GRUCell` run the compiled scan of `SimpleRNN`, `LSTM` and `GRU`; other
    cells are called once per timestep inside a `lax.scan`.

    Args:
        cell: the cell, or a list of cells.
        return_sequences: return every output, not only the last.
        return_state: also return the final states (nested as the cell's
            `state_size`).
        go_backwards: process the sequence in reverse (outputs in processing
            order, as in Keras).
        stateful: keep each batch's final states for the next batch (see the
            module docstring); `reset_states()` clears them.
        unroll: unroll the scan over time (the same results).
        zero_output_for_mask: masked timesteps output zeros instead of the
            first state.
        **kwargs: `name`, `trainable`, `input_shape`, `dtype`.

    Call arguments: `sequences` `(batch, timesteps, ...)`,
    `initial_state=None` (as `get_initial_state` returns them), `mask=None`,
    `training=None` (passed to the cell).

    Weights: the cell's (`lstm_cell/kernel`, ...), in Keras's order.

    Example:
        >>> class MinimalCell(Layer):
        ...     def __init__(self, units, **kwargs):
        ...         super().__init__(**kwargs)
        ...         self.units = self.state_size = units
        ...     def build(self, input_shape):
        ...         self.kernel = self.add_weight(shape=(input_shape[-1], self.units), name="kernel")
        ...     def call(self, inputs, states):
        ...         output = inputs @ self.kernel + states[0]
        ...         return output, [output]
        >>> RNN(MinimalCell(4))(jnp.ones((2, 5, 3))).shape
        (2, 4)
    """

    def __init__(self, cell, return_sequences: bool = False, return_state: bool = False,
                 go_backwards: bool = False, stateful: bool = False, unroll: bool = False,
                 zero_output_for_mask: bool = False, **kwargs):
        if isinstance(cell, (list, tuple)):
            cell = StackedRNNCells(cell)
        _check_cell(cell)
        state_size = cell.state_size
        if not isinstance(state_size, (list, tuple, int)):
            raise ValueError(
                "RNN: the cell's `state_size` must be an integer, or a list/tuple of integers "
                f"(one for each state); received {state_size!r}.")
        super().__init__(**kwargs)
        self.cell = cell
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.unroll = bool(unroll)
        self.zero_output_for_mask = bool(zero_output_for_mask)
        self._init_stateful(stateful)
        self.supports_masking = True
        self.single_state = isinstance(state_size, int)

    @property
    def state_size(self) -> list:
        size = self.cell.state_size
        return [size] if isinstance(size, int) else list(size)

    @property
    def _num_states(self) -> int:
        """The number of state arrays `return_state` gives (nested ones flattened)."""
        return len(jax.tree.leaves(self.state_size))

    def build(self, sequences_shape, initial_state_shape=None):
        if len(sequences_shape) < 3:
            raise ValueError(
                f'RNN layer "{self.name}": expected sequences of rank >= 3 (batch, timesteps, '
                f"features), got input shape {tuple(sequences_shape)}.")
        step_shape = (sequences_shape[0],) + tuple(sequences_shape[2:])
        if isinstance(self.cell, Layer):
            self.cell._maybe_build(step_shape)
        self._maybe_create_states_at_build(sequences_shape)
        self.built = True

    def get_initial_state(self, batch_size: int) -> list:
        get_initial_state = getattr(self.cell, "get_initial_state", None)
        if get_initial_state is not None:
            states = get_initial_state(batch_size=batch_size)
            return list(states) if isinstance(states, (list, tuple)) else [states]
        return [jnp.zeros((batch_size, d), self.compute_dtype) for d in self.state_size]

    def call(self, sequences, initial_state=None, mask=None, training=False):
        if not jnp.issubdtype(sequences.dtype, jnp.floating):
            sequences = sequences.astype(self.compute_dtype)
        batch, timesteps = sequences.shape[0], sequences.shape[1]
        if timesteps == 0:
            raise ValueError(f'RNN layer "{self.name}" needs at least one timestep, got input '
                             f"shape {tuple(sequences.shape)}.")
        shape_only = False
        if self.stateful:
            stored, shape_only = self._stateful_initial_state(sequences)
            initial_state = stored if initial_state is None else initial_state
        if initial_state is None:
            initial_state = self.get_initial_state(batch)
        states = self._standardize_initial_state(initial_state, batch)
        if mask is not None:
            mask = _standardize_mask(self, mask, batch, timesteps)
        if type(self.cell) in _BUILT_IN_CELLS:
            output, states = self._run_built_in(sequences, states, mask, training)
        else:
            output, states = self._run_cell(sequences, states, mask, training)
        if self.stateful and not shape_only:
            self._remember_states(states)
        return (output, *states) if self.return_state else output

    def _standardize_initial_state(self, initial_state, batch) -> list:
        reference = self.get_initial_state(batch)
        if not isinstance(initial_state, (list, tuple)):
            initial_state = [initial_state]
        leaves = jax.tree.leaves(initial_state)
        wanted = jax.tree.leaves(reference)
        if len(leaves) != len(wanted) or any(
                tuple(jnp.shape(a)) != tuple(jnp.shape(b)) for a, b in zip(leaves, wanted)):
            raise ValueError(
                f'RNN layer "{self.name}" expects initial_state of shapes '
                f"{[tuple(jnp.shape(s)) for s in wanted]} (the cell's state_size "
                f"{self.cell.state_size} at batch {batch}), got shapes "
                f"{[tuple(jnp.shape(s)) for s in leaves]}.")
        # Flat or nested as the cell's: the cell sees its own structure.
        leaves = [jnp.asarray(a, jnp.result_type(b)) for a, b in zip(leaves, wanted)]
        return list(jax.tree.unflatten(jax.tree.structure(reference), leaves))

    def _run_built_in(self, sequences, states, mask, training):
        """A built-in cell runs the compiled scan of its fused layer."""
        cell = self.cell
        in_masks, rec_masks = cell._dropout_masks(training, sequences.shape[0],
                                                  sequences.shape[-1], sequences.dtype)
        spec = cell._spec(self.go_backwards, self.return_sequences, self.zero_output_for_mask,
                          self.unroll)
        output, final = _run(spec, cell._params(), tuple(states), sequences, mask, in_masks,
                             rec_masks)
        return output, list(final)

    def _run_cell(self, sequences, states, mask, training):
        batch, dtype = sequences.shape[0], sequences.dtype
        with _sequence_dropout(self.cell, training, batch, sequences.shape[-1], dtype):
            def step(x_t, step_states):
                output, new_states = _call_cell(self.cell, x_t, step_states, training)
                if not isinstance(new_states, (list, tuple)):
                    new_states = [new_states]
                return output, new_states

            last, outputs, final = _scan_cell(step, states, sequences, mask, self.go_backwards,
                                              self.zero_output_for_mask, self.unroll)
        return (outputs if self.return_sequences else last), list(final)

    def compute_mask(self, inputs, mask=None):
        if isinstance(mask, (list, tuple)):
            mask = mask[0] if mask else None
        output_mask = mask if self.return_sequences else None
        if self.return_state:
            return [output_mask] + [None] * len(self.state_size)
        return output_mask

    def compute_output_shape(self, sequences_shape, initial_state_shape=None):
        batch, length = sequences_shape[0], sequences_shape[1]
        size = _output_size(self.cell)
        output = (batch, length, size) if self.return_sequences else (batch, size)
        if not self.return_state:
            return output
        states = []
        for s in self.state_size:
            states.append((batch, s) if isinstance(s, int) else [(batch, d) for d in s])
        return (output, *states)

    def compute_output_spec(self, inputs, **kwargs):
        if not is_keras_tensor(inputs) or len(inputs.shape) != 3:
            return super().compute_output_spec(inputs, **kwargs)
        shapes = self.compute_output_shape((None,) + tuple(inputs.shape[1:]))
        if not self.return_state:
            return KerasTensor(shapes, self.compute_dtype)
        return tuple(KerasTensor(s, self.compute_dtype) if isinstance(s, tuple)
                     else [KerasTensor(d, self.compute_dtype) for d in s] for s in shapes)

    def get_config(self):
        from hoarfrost.saving.serialization import serialize_layer
        return {
            **super().get_config(),
            "return_sequences": self.return_sequences,
            "return_state": self.return_state,
            "go_backwards": self.go_backwards,
            "stateful": self.stateful,
            "unroll": self.unroll,
            "zero_output_for_mask": self.zero_output_for_mask,
            "cell": serialize_layer(self.cell),
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        cell = _deserialize(config.pop("cell"), custom_objects)
        return cls(cell, **config)


class _sequence_dropout:
    """Draw the built-in cells' dropout masks once for a sequence (Keras's DropoutRNNCell)."""

    def __init__(self, cell, training, batch, features, dtype):
        self.cells = []
        for c in cell.cells if isinstance(cell, StackedRNNCells) else [cell]:
            if isinstance(c, _Cell):
                self.cells.append((c, c._dropout_masks(training, batch, features, dtype)))
            features = _output_size(c)

    def __enter__(self):
        for cell, masks in self.cells:
            cell._use_sequence_masks(masks)

    def __exit__(self, *exc):
        for cell, _ in self.cells:
            cell._use_sequence_masks(None)
