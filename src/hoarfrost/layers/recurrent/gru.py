"""`GRU` and `GRUCell` (Cho et al. 2014), as Keras 3: gate blocks `z, r, h`,
`reset_after` (default True)."""

from __future__ import annotations

import jax.numpy as jnp

from hoarfrost import activations
from hoarfrost.layers.recurrent.base_cell import _Cell
from hoarfrost.layers.recurrent.base_rnn import _RNN, _RNN_ARGS_DOC
from hoarfrost.layers.recurrent.recurrent_weights import _RecurrentWeights
from hoarfrost.layers.recurrent.scan import _input_matmul, _recurrent_matmul


class _GRUStep(_RecurrentWeights):
    """Keras's GRU step, gate blocks `z, r, h`; `reset_after` as Keras 3 (default True)."""

    _gates = 3
    _num_states = 1

    def _set_gru_arguments(self, recurrent_activation, reset_after) -> None:
        self.recurrent_activation = activations.get(recurrent_activation)
        self.reset_after = bool(reset_after)

    def _bias_shape(self):
        return (2, 3 * self.units) if self.reset_after else (3 * self.units,)

    @staticmethod
    def _project_inputs(spec, sequences, params, in_masks):
        x = _input_matmul(sequences, params["kernel"], in_masks)
        bias = params["bias"]
        if bias is not None:
            x = x + (bias[0] if spec.reset_after else bias)
        return x

    @staticmethod
    def _cell(spec, params, states, x_t, rec_masks):
        h_tm1 = states[0]
        units, kernel, bias = spec.units, params["recurrent_kernel"], params["bias"]
        x_z, x_r, x_h = jnp.split(x_t, 3, axis=-1)
        masks = rec_masks
        if masks is not None and masks.ndim == 2:
            masks = jnp.stack([masks] * 3)
        if spec.reset_after:
            inner = _recurrent_matmul(h_tm1, kernel, masks)
            if bias is not None:
                inner = inner + bias[1]
            r_z, r_r, r_h = jnp.split(inner, 3, axis=-1)
            z = spec.recurrent_activation(x_z + r_z)
            r = spec.recurrent_activation(x_r + r_r)
            hh = spec.activation(x_h + r * r_h)
        else:
            inner = _recurrent_matmul(h_tm1, kernel[:, :2 * units],
                                      None if masks is None else masks[:2])
            r_z, r_r = jnp.split(inner, 2, axis=-1)
            z = spec.recurrent_activation(x_z + r_z)
            r = spec.recurrent_activation(x_r + r_r)
            h_h = h_tm1 if masks is None else h_tm1 * masks[2]
            hh = spec.activation(x_h + jnp.matmul(r * h_h, kernel[:, 2 * units:]))
        h = z * h_tm1 + (1 - z) * hh
        return h, (h,)

    def _extra_config(self):
        return {"recurrent_activation": activations.serialize(self.recurrent_activation),
                "reset_after": self.reset_after}


class GRU(_GRUStep, _RNN):
    """Gated Recurrent Unit (Cho et al. 2014), as Keras 3.

    Weights `kernel` `(features, 3*units)`, `recurrent_kernel`
    `(units, 3*units)`, gate blocks in the order update (z), reset (r),
    candidate (h); `bias` `(2, 3*units)` (input and recurrent biases) with
    `reset_after=True` (the default, cuDNN-compatible), else `(3*units,)`.

    Besides the common arguments (below): `recurrent_activation`, the gates'
    activation (sigmoid); `reset_after`, apply the reset gate after the
    recurrent matmul (Keras 3 default True).

    Example:
        >>> GRU(4, return_sequences=True)(jnp.ones((2, 5, 3))).shape
        (2, 5, 4)
    """

    def __init__(self, units: int, activation="tanh", recurrent_activation="sigmoid",
                 use_bias: bool = True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros",
                 reset_after: bool = True, **kwargs):
        super().__init__(units, activation=activation, use_bias=use_bias,
                         kernel_initializer=kernel_initializer,
                         recurrent_initializer=recurrent_initializer,
                         bias_initializer=bias_initializer, **kwargs)
        self._set_gru_arguments(recurrent_activation, reset_after)


class GRUCell(_GRUStep, _Cell):
    """The step of `GRU`, for `RNN`; `state_size` is `units`.

    Arguments and weights as `GRU` (without the sequence arguments).

    Example:
        >>> RNN(GRUCell(4), return_sequences=True)(jnp.ones((2, 5, 3))).shape
        (2, 5, 4)
    """

    def __init__(self, units: int, activation="tanh", recurrent_activation="sigmoid",
                 use_bias: bool = True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros",
                 kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None,
                 kernel_constraint=None, recurrent_constraint=None, bias_constraint=None,
                 dropout: float = 0.0, recurrent_dropout: float = 0.0, reset_after: bool = True,
                 seed: int | None = None, **kwargs):
        kwargs.pop("implementation", None)
        super().__init__(**kwargs)
        self._init_cell(units, activation, use_bias, kernel_initializer, recurrent_initializer,
                        bias_initializer, kernel_regularizer, recurrent_regularizer,
                        bias_regularizer, kernel_constraint, recurrent_constraint,
                        bias_constraint, dropout, recurrent_dropout, seed)
        self._set_gru_arguments(recurrent_activation, reset_after)


GRU.__doc__ += _RNN_ARGS_DOC
