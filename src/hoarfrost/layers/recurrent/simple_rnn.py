"""`SimpleRNN` and `SimpleRNNCell`, as Keras 3: one step
`h_t = activation(x_t @ kernel + bias + h_{t-1} @ recurrent_kernel)`."""

from __future__ import annotations

from hoarfrost.layers.recurrent.base_cell import _Cell
from hoarfrost.layers.recurrent.base_rnn import _RNN, _RNN_ARGS_DOC
from hoarfrost.layers.recurrent.recurrent_weights import _RecurrentWeights
from hoarfrost.layers.recurrent.scan import _input_matmul, _recurrent_matmul


class _SimpleRNNStep(_RecurrentWeights):
    """`h_t = activation(x_t @ kernel + bias + h_{t-1} @ recurrent_kernel)`."""

    _gates = 1
    _num_states = 1

    @staticmethod
    def _project_inputs(spec, sequences, params, in_masks):
        x = _input_matmul(sequences, params["kernel"], in_masks)
        return x if params["bias"] is None else x + params["bias"]

    @staticmethod
    def _cell(spec, params, states, x_t, rec_masks):
        output = spec.activation(
            x_t + _recurrent_matmul(states[0], params["recurrent_kernel"], rec_masks))
        return output, (output,)


class SimpleRNN(_SimpleRNNStep, _RNN):
    """Fully connected RNN: `h_t = activation(x_t @ kernel + bias + h_{t-1} @ recurrent_kernel)`.

    Weights `kernel` `(features, units)`, `recurrent_kernel` `(units, units)`,
    `bias` `(units,)`. The arguments are listed below; as in Keras 3, `seed`
    is not part of the config.

    Example:
        >>> SimpleRNN(4)(jnp.ones((2, 5, 3))).shape
        (2, 4)
    """

    def get_config(self):
        config = super().get_config()
        del config["seed"]  # Keras 3's SimpleRNN leaves it out
        return config


class SimpleRNNCell(_SimpleRNNStep, _Cell):
    """The step of `SimpleRNN`, for `RNN`: `h = activation(x @ kernel + bias + h @ recurrent_kernel)`.

    Arguments and weights as `SimpleRNN` (without the sequence arguments);
    `state_size` is `units`.

    Example:
        >>> RNN(SimpleRNNCell(4))(jnp.ones((2, 5, 3))).shape
        (2, 4)
    """

    def __init__(self, units: int, activation="tanh", use_bias: bool = True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, kernel_constraint=None, recurrent_constraint=None,
                 bias_constraint=None, dropout: float = 0.0, recurrent_dropout: float = 0.0,
                 seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self._init_cell(units, activation, use_bias, kernel_initializer, recurrent_initializer,
                        bias_initializer, kernel_regularizer, recurrent_regularizer,
                        bias_regularizer, kernel_constraint, recurrent_constraint,
                        bias_constraint, dropout, recurrent_dropout, seed)


SimpleRNN.__doc__ += _RNN_ARGS_DOC
