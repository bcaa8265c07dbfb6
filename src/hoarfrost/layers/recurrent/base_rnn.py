"""`_RNN`: what SimpleRNN, LSTM and GRU share (the fused scan, masking, initial and
stateful states, config), and the arguments their docstrings list."""

from __future__ import annotations

from typing import Any

import jax.numpy as jnp

from hoarfrost import regularizers
from hoarfrost.layers.layer import InputSpec, Layer
from hoarfrost.layers.recurrent.recurrent_weights import _RecurrentWeights
from hoarfrost.layers.recurrent.scan import _run, _standardize_mask
from hoarfrost.layers.recurrent.stateful import _Stateful
from hoarfrost.symbolic import KerasTensor, is_keras_tensor


class _RNN(_Stateful, _RecurrentWeights, Layer):
    """Shared machinery of SimpleRNN, LSTM and GRU: the scan, masking, config."""

    def __init__(self, units: int, activation="tanh", use_bias: bool = True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout: float = 0.0,
                 recurrent_dropout: float = 0.0, return_sequences: bool = False,
                 return_state: bool = False, go_backwards: bool = False, stateful: bool = False,
                 unroll: bool = False, seed: int | None = None,
                 zero_output_for_mask: bool = False, **kwargs):
        # (Positional order as Keras's SimpleRNN; LSTM/GRU take these as keywords.)
        kwargs.pop("implementation", None)  # Keras's kernel-fusion switch; no effect here
        use_cudnn = kwargs.pop("use_cudnn", "auto")
        if use_cudnn not in ("auto", True, False):
            raise ValueError(
                f"{type(self).__name__}: `use_cudnn` must be one of 'auto', True, False. "
                f"Received: use_cudnn={use_cudnn!r}"
            )
        super().__init__(**kwargs)
        self._set_recurrent_arguments(units, activation, use_bias, kernel_initializer,
                                      recurrent_initializer, bias_initializer,
                                      kernel_regularizer, recurrent_regularizer,
                                      bias_regularizer, kernel_constraint, recurrent_constraint,
                                      bias_constraint, dropout, recurrent_dropout, seed)
        self._init_stateful(stateful)
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.unroll = bool(unroll)
        self.zero_output_for_mask = bool(zero_output_for_mask)
        self.use_cudnn = use_cudnn
        self.supports_masking = True
        self.input_spec = InputSpec(ndim=3)

    def build(self, sequences_shape, initial_state_shape=None):
        input_dim = sequences_shape[-1]
        if input_dim is None:
            raise ValueError(
                f'{type(self).__name__} layer "{self.name}": the last axis of the input '
                f"(features) must be known, got input shape {tuple(sequences_shape)}."
            )
        self._build_weights(input_dim)
        self.input_spec = InputSpec(ndim=3, axes={-1: input_dim})
        self._maybe_create_states_at_build(sequences_shape)
        self.built = True

    def get_initial_state(self, batch_size: int) -> list:
        return [jnp.zeros((batch_size, self.units), self.compute_dtype)
                for _ in range(self._num_states)]

    def call(self, sequences, initial_state=None, mask=None, training=None):
        """Run the layer over `sequences` of shape `(batch, timesteps, features)`.

        Args:
            initial_state: a list of `(batch, units)` arrays (LSTM: `[h, c]`);
                zeros (or, when stateful, the stored states) by default.
            mask: `(batch, timesteps)` booleans; False skips a timestep.
            training: applies `dropout` / `recurrent_dropout` when True.

        Returns:
            The last output `(batch, units)`, or every output
            `(batch, timesteps, units)` with `return_sequences` (in processing
            order, so reversed with `go_backwards`, as in Keras); followed by
            the final states with `return_state`.
        """
        if not jnp.issubdtype(sequences.dtype, jnp.floating):
            sequences = sequences.astype(self.compute_dtype)
        batch, timesteps = sequences.shape[0], sequences.shape[1]
        if timesteps == 0:
            raise ValueError(
                f'{type(self).__name__} layer "{self.name}" needs at least one timestep, '
                f"got input shape {tuple(sequences.shape)}."
            )
        shape_only = False
        if self.stateful:
            stored, shape_only = self._stateful_initial_state(sequences)
            initial_state = stored if initial_state is None else initial_state
        states = self._standardize_initial_state(initial_state, batch, sequences.dtype)
        if mask is not None:
            mask = _standardize_mask(self, mask, batch, timesteps)
        params = self._params()
        in_masks, rec_masks = self._dropout_masks(training, batch, sequences.shape[-1],
                                                  sequences.dtype)
        spec = self._spec(self.go_backwards, self.return_sequences, self.zero_output_for_mask,
                          self.unroll)
        output, final_states = _run(spec, params, tuple(states), sequences, mask, in_masks,
                                    rec_masks)
        if self.stateful and not shape_only:
            self._remember_states(final_states)
        result = (output, *final_states) if self.return_state else output
        self._add_activity_loss(result)
        return result

    def _standardize_initial_state(self, initial_state, batch, dtype) -> list:
        if initial_state is None:
            return [s.astype(dtype) for s in self.get_initial_state(batch)]
        if not isinstance(initial_state, (list, tuple)):
            initial_state = [initial_state]
        states = [jnp.asarray(s, dtype) for s in initial_state]
        if len(states) != self._num_states or any(
                s.shape != (batch, self.units) for s in states):
            raise ValueError(
                f'{type(self).__name__} layer "{self.name}" expects initial_state to be '
                f"{self._num_states} array(s) of shape {(batch, self.units)}, got shapes "
                f"{[tuple(s.shape) for s in states]}."
            )
        return states

    def _standardize_mask(self, mask, batch, timesteps):
        return _standardize_mask(self, mask, batch, timesteps)

    def compute_mask(self, inputs, mask=None):
        """The output mask (the Keras rule): the input mask for sequences, else None."""
        if isinstance(mask, (list, tuple)):  # the sequences' mask comes first
            mask = mask[0] if mask else None
        output_mask = mask if self.return_sequences else None
        if self.return_state:
            return [output_mask] + [None] * self._num_states
        return output_mask

    def compute_output_shape(self, sequences_shape, initial_state_shape=None):
        batch, length = sequences_shape[0], sequences_shape[1]
        output = (batch, length, self.units) if self.return_sequences else (batch, self.units)
        if self.return_state:
            return (output,) + tuple((batch, self.units) for _ in range(self._num_states))
        return output

    def compute_output_spec(self, inputs, **kwargs):
        # Direct (no tracing), so sequences of unknown length (None) work too.
        if not is_keras_tensor(inputs):
            return super().compute_output_spec(inputs, **kwargs)
        shapes = self.compute_output_shape((None,) + tuple(inputs.shape[1:]))
        if self.return_state:
            return tuple(KerasTensor(s, self.compute_dtype) for s in shapes)
        return KerasTensor(shapes, self.compute_dtype)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "return_sequences": self.return_sequences,
            "return_state": self.return_state,
            "go_backwards": self.go_backwards,
            "stateful": self.stateful,
            "unroll": self.unroll,
            "zero_output_for_mask": self.zero_output_for_mask,
            **self._weights_config(),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
        }


_RNN_ARGS_DOC = """
    Args:
        units: the size of the output and of each state.
        activation: the output activation (tanh).
        use_bias: whether the layer has a bias.
        kernel_initializer, recurrent_initializer, bias_initializer: Keras
            defaults `glorot_uniform`, `orthogonal`, `zeros`.
        kernel_regularizer, recurrent_regularizer, bias_regularizer,
            activity_regularizer: penalties added to the loss.
        kernel_constraint, recurrent_constraint, bias_constraint: projections
            applied after each update.
        dropout, recurrent_dropout: fractions of the inputs / of the recurrent
            state dropped in training, with one mask per sequence (Keras's
            scheme; the random draws differ from Keras's).
        seed: a seed for the dropout masks.
        return_sequences: return every output, not only the last.
        return_state: also return the final states.
        go_backwards: process the sequence in reverse (and return the
            reversed sequence of outputs).
        stateful: keep each batch's final states as the next batch's initial
            states (see the module docstring; `reset_states()` clears them).
            Needs a fixed batch size.
        unroll: unroll the scan over time (`lax.scan(unroll=True)`): the same
            results, a larger program that may run faster for short sequences.
        zero_output_for_mask: masked timesteps output zeros instead of the
            previous output.
        **kwargs: `name`, `trainable`, `input_shape`, `dtype`; Keras's
            `implementation` and `use_cudnn` are accepted and ignored.

    Call arguments: `sequences` `(batch, timesteps, features)`,
    `initial_state=None`, `mask=None` (`(batch, timesteps)`, False skips a
    step), `training=None`.
"""
