"""`_RecurrentWeights`: the arguments, weights, dropout masks and config SimpleRNN, LSTM,
GRU and their cells share."""

from __future__ import annotations

from typing import Any

import jax

from hoarfrost import activations, constraints, initializers, regularizers
from hoarfrost.layers.recurrent.scan import _dropout_mask, _Spec
from hoarfrost.random import draw_key


class _RecurrentWeights:
    """Arguments, weights, dropout masks and config of SimpleRNN/LSTM/GRU and their cells.

    A class using it sets `_gates` (blocks of `units` columns in the kernels)
    and `_num_states`, and implements the static `_project_inputs` and `_cell`.
    """

    _gates = 1
    _num_states = 1

    def _set_recurrent_arguments(self, units, activation, use_bias, kernel_initializer,
                                 recurrent_initializer, bias_initializer, kernel_regularizer,
                                 recurrent_regularizer, bias_regularizer, kernel_constraint,
                                 recurrent_constraint, bias_constraint, dropout,
                                 recurrent_dropout, seed) -> None:
        if not isinstance(units, int) or isinstance(units, bool) or units <= 0:
            raise ValueError(
                f"{type(self).__name__}: `units` must be a positive integer, got {units!r}."
            )
        self.units = units
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.recurrent_constraint = constraints.get(recurrent_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.dropout = min(1.0, max(0.0, float(dropout)))
        self.recurrent_dropout = min(1.0, max(0.0, float(recurrent_dropout)))
        self.seed = seed
        self.kernel = self.recurrent_kernel = self.bias = None

    def _bias_shape(self) -> tuple:
        return (self._gates * self.units,)

    def _bias_initializer(self):
        return self.bias_initializer

    def _build_weights(self, input_dim) -> None:
        if input_dim is None:
            raise ValueError(
                f'{type(self).__name__} layer "{self.name}": the last axis of the input '
                f"(features) must be known."
            )
        width = self._gates * self.units
        self.kernel = self.add_weight(
            shape=(input_dim, width), initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer, constraint=self.kernel_constraint,
            name="kernel")
        self.recurrent_kernel = self.add_weight(
            shape=(self.units, width), initializer=self.recurrent_initializer,
            regularizer=self.recurrent_regularizer, constraint=self.recurrent_constraint,
            name="recurrent_kernel")
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                shape=self._bias_shape(), initializer=self._bias_initializer(),
                regularizer=self.bias_regularizer, constraint=self.bias_constraint,
                name="bias")

    # Static functions of a hashable `_Spec` (not of `self`), so one compiled
    # scan serves every layer with the same configuration.
    @staticmethod
    def _project_inputs(spec, sequences, params, in_masks):
        """The input part of every gate for all timesteps: `(batch, time, gates*units)`."""
        raise NotImplementedError

    @staticmethod
    def _cell(spec, params, states, x_t, rec_masks):
        """One step: `(output, new_states)` from the projected input `x_t`."""
        raise NotImplementedError

    def _spec(self, go_backwards=False, return_sequences=False, zero_output_for_mask=False,
              unroll=False) -> _Spec:
        return _Spec(type(self), self.units, self.activation,
                     getattr(self, "recurrent_activation", None),
                     getattr(self, "reset_after", False), bool(go_backwards),
                     bool(return_sequences), bool(zero_output_for_mask), bool(unroll))

    def _params(self) -> dict:
        return {"kernel": self.kernel.value, "recurrent_kernel": self.recurrent_kernel.value,
                "bias": None if self.bias is None else self.bias.value}

    def _mask_count(self) -> int | None:
        # As Keras: with recurrent dropout, LSTM/GRU switch to one mask per gate.
        return self._gates if self._gates > 1 and self.recurrent_dropout > 0 else None

    def _dropout_masks(self, training, batch, features, dtype):
        """One input and one recurrent dropout mask per sequence (Keras's scheme)."""
        in_masks = rec_masks = None
        if not training:
            return None, None
        count = self._mask_count()
        lead = () if count is None else (count,)
        key = None
        if 0.0 < self.dropout < 1.0:
            key = draw_key(self.seed)
            in_masks = _dropout_mask(key, lead + (batch, features), self.dropout, dtype)
        if 0.0 < self.recurrent_dropout < 1.0:
            key = jax.random.fold_in(key, 1) if key is not None else draw_key(self.seed)
            rec_masks = _dropout_mask(key, lead + (batch, self.units), self.recurrent_dropout,
                                      dtype)
        return in_masks, rec_masks

    def _weights_config(self) -> dict[str, Any]:
        return {
            "units": self.units,
            "activation": activations.serialize(self.activation),
            **self._extra_config(),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "recurrent_initializer": initializers.serialize(self.recurrent_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "recurrent_regularizer": regularizers.serialize(self.recurrent_regularizer),
            "recurrent_constraint": constraints.serialize(self.recurrent_constraint),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "bias_constraint": constraints.serialize(self.bias_constraint),
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
            "seed": self.seed,
        }

    def _extra_config(self) -> dict[str, Any]:
        return {}
