"""`LSTM` and `LSTMCell` (Hochreiter 1997), as Keras 3: gate blocks `i, f, c, o`,
states `[h, c]`."""

from __future__ import annotations

import jax.numpy as jnp

from hoarfrost import activations
from hoarfrost.layers.recurrent.base_cell import _Cell
from hoarfrost.layers.recurrent.base_rnn import _RNN, _RNN_ARGS_DOC
from hoarfrost.layers.recurrent.recurrent_weights import _RecurrentWeights
from hoarfrost.layers.recurrent.scan import _input_matmul, _recurrent_matmul


class _LSTMStep(_RecurrentWeights):
    """Keras's LSTM step, gate blocks `i, f, c, o`; states `[h, c]`."""

    _gates = 4
    _num_states = 2

    def _set_lstm_arguments(self, recurrent_activation, unit_forget_bias) -> None:
        self.recurrent_activation = activations.get(recurrent_activation)
        self.unit_forget_bias = bool(unit_forget_bias)

    def _bias_initializer(self):
        if not self.unit_forget_bias:
            return self.bias_initializer
        units, init = self.units, self.bias_initializer

        def bias_initializer(shape, dtype="float32"):
            return jnp.concatenate([jnp.asarray(init((units,), dtype)),
                                    jnp.ones((units,), dtype),
                                    jnp.asarray(init((units * 2,), dtype))])
        return bias_initializer

    @staticmethod
    def _project_inputs(spec, sequences, params, in_masks):
        return _input_matmul(sequences, params["kernel"], in_masks)

    @staticmethod
    def _cell(spec, params, states, x_t, rec_masks):
        h_tm1, c_tm1 = states
        z = x_t + _recurrent_matmul(h_tm1, params["recurrent_kernel"], rec_masks)
        if params["bias"] is not None:
            z = z + params["bias"]
        z0, z1, z2, z3 = jnp.split(z, 4, axis=-1)
        i = spec.recurrent_activation(z0)
        f = spec.recurrent_activation(z1)
        c = f * c_tm1 + i * spec.activation(z2)
        o = spec.recurrent_activation(z3)
        h = o * spec.activation(c)
        return h, (h, c)

    def _extra_config(self):
        return {"recurrent_activation": activations.serialize(self.recurrent_activation),
                "unit_forget_bias": self.unit_forget_bias}


class LSTM(_LSTMStep, _RNN):
    """Long Short-Term Memory layer (Hochreiter 1997), as Keras 3.

    Weights `kernel` `(features, 4*units)`, `recurrent_kernel`
    `(units, 4*units)`, `bias` `(4*units,)`, gate blocks in the order input,
    forget, cell, output. States `[h, c]`.

    Besides the common arguments (below): `recurrent_activation`, the gates'
    activation (sigmoid); `unit_forget_bias`, add 1 to the forget gate's bias
    at initialization (True).

    Example:
        >>> out, h, c = LSTM(4, return_sequences=True, return_state=True)(jnp.ones((2, 5, 3)))
        >>> out.shape, h.shape, c.shape
        ((2, 5, 4), (2, 4), (2, 4))
    """

    def __init__(self, units: int, activation="tanh", recurrent_activation="sigmoid",
                 use_bias: bool = True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros",
                 unit_forget_bias: bool = True, **kwargs):
        super().__init__(units, activation=activation, use_bias=use_bias,
                         kernel_initializer=kernel_initializer,
                         recurrent_initializer=recurrent_initializer,
                         bias_initializer=bias_initializer, **kwargs)
        self._set_lstm_arguments(recurrent_activation, unit_forget_bias)


class LSTMCell(_LSTMStep, _Cell):
    """The step of `LSTM`, for `RNN`; states `[h, c]` (`state_size` `[units, units]`).

    Arguments and weights as `LSTM` (without the sequence arguments).

    Example:
        >>> RNN(LSTMCell(4), return_state=True)(jnp.ones((2, 5, 3)))[2].shape
        (2, 4)
    """

    def __init__(self, units: int, activation="tanh", recurrent_activation="sigmoid",
                 use_bias: bool = True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros",
                 unit_forget_bias: bool = True, kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout: float = 0.0,
                 recurrent_dropout: float = 0.0, seed: int | None = None, **kwargs):
        kwargs.pop("implementation", None)  # Keras's kernel-fusion switch; no effect here
        super().__init__(**kwargs)
        self._init_cell(units, activation, use_bias, kernel_initializer, recurrent_initializer,
                        bias_initializer, kernel_regularizer, recurrent_regularizer,
                        bias_regularizer, kernel_constraint, recurrent_constraint,
                        bias_constraint, dropout, recurrent_dropout, seed)
        self._set_lstm_arguments(recurrent_activation, unit_forget_bias)


LSTM.__doc__ += _RNN_ARGS_DOC
