"""`_Cell`: one timestep of a built-in recurrent layer, for `RNN`; and the checks and
call of any cell (built-in, stacked or your own)."""

from __future__ import annotations

import inspect

import jax.numpy as jnp

from hoarfrost.layers.layer import Layer
from hoarfrost.layers.recurrent.recurrent_weights import _RecurrentWeights


class _Cell(_RecurrentWeights, Layer):
    """One timestep of a built-in recurrent layer, for `RNN` (not exported).

    `call(inputs, states, training=False)` returns `(output, new_states)`.
    Inside an `RNN` the dropout masks are drawn once per sequence (Keras's
    `DropoutRNNCell`); a cell called on its own draws them per call.
    """

    def _init_cell(self, units, activation, use_bias, kernel_initializer, recurrent_initializer,
                   bias_initializer, kernel_regularizer, recurrent_regularizer, bias_regularizer,
                   kernel_constraint, recurrent_constraint, bias_constraint, dropout,
                   recurrent_dropout, seed) -> None:
        self._set_recurrent_arguments(units, activation, use_bias, kernel_initializer,
                                      recurrent_initializer, bias_initializer,
                                      kernel_regularizer, recurrent_regularizer,
                                      bias_regularizer, kernel_constraint, recurrent_constraint,
                                      bias_constraint, dropout, recurrent_dropout, seed)
        object.__setattr__(self, "_sequence_masks", None)

    def _use_sequence_masks(self, masks) -> None:
        """Dropout masks drawn once for a whole sequence (None: draw per call)."""
        object.__setattr__(self, "_sequence_masks", masks)

    @property
    def state_size(self):
        return [self.units] * self._num_states if self._num_states > 1 else self.units

    @property
    def output_size(self) -> int:
        return self.units

    def build(self, input_shape):
        self._build_weights(input_shape[-1])
        self.built = True

    def get_initial_state(self, batch_size=None) -> list:
        return [jnp.zeros((batch_size, self.units), self.compute_dtype)
                for _ in range(self._num_states)]

    def call(self, inputs, states, training=False):
        nested = isinstance(states, (list, tuple))
        states = tuple(states) if nested else (states,)
        if not jnp.issubdtype(inputs.dtype, jnp.floating):
            inputs = inputs.astype(self.compute_dtype)
        masks = self._sequence_masks
        if masks is None:
            masks = self._dropout_masks(training, inputs.shape[0], inputs.shape[-1], inputs.dtype)
        in_masks, rec_masks = masks if training else (None, None)
        spec, params = self._spec(), self._params()
        x = self._project_inputs(spec, inputs[:, None, :], params, in_masks)[:, 0]
        output, new_states = self._cell(spec, params, states, x, rec_masks)
        new_states = list(new_states)
        return output, (new_states if nested or len(new_states) > 1 else new_states[0])

    def get_config(self):
        return {**super().get_config(), **self._weights_config()}


def _check_cell(cell, what: str = "cell") -> None:
    if not callable(getattr(cell, "call", None)):
        raise ValueError(f"Argument `{what}` should have a `call` method. Received: {cell!r}")
    if getattr(cell, "state_size", None) is None:
        raise ValueError(
            f"The RNN {what} should have a `state_size` attribute (an integer or a list of "
            f"integers, one per state). Received: {cell!r}")


def _output_size(cell) -> int:
    size = getattr(cell, "output_size", None)
    if size is not None:
        return size
    state_size = cell.state_size
    return state_size[0] if isinstance(state_size, (list, tuple)) else state_size


def _call_cell(cell, inputs, states, training):
    """`cell(inputs, states)` with `training` if its call takes it (Keras's rule)."""
    if isinstance(cell, Layer):  # Layer.__call__ passes training where call accepts it
        return cell(inputs, states, training=training)
    if "training" in inspect.signature(cell.call).parameters:
        return cell.call(inputs, states, training=training)
    return cell.call(inputs, states)
