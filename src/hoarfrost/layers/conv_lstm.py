"""Convolutional LSTMs: `ConvLSTM1D`, `ConvLSTM2D`, `ConvLSTM3D` (Shi et al., 2015).

An LSTM whose input and recurrent transformations are convolutions, so its
states keep the inputs' spatial layout: `(batch, time, rows, cols, channels)`
in, `(batch, rows', cols', filters)` (or the whole sequence) out. Each is the
generic `RNN` (its scan, masking, `go_backwards`, `return_state`, stateful
states) running a `ConvLSTMCell`, with Keras's arguments, weights (kernel
`(*kernel_size, channels, 4 * filters)`, recurrent kernel `(*kernel_size,
filters, 4 * filters)`, bias `(4 * filters,)`, gates in the order i, f, c, o)
and config.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from hoarfrost import activations, constraints, initializers, regularizers
from hoarfrost.layers.convolutional import (conv, conv_output_length, normalize_data_format,
                                            normalize_padding, normalize_tuple)
from hoarfrost.layers.layer import InputSpec, Layer
from hoarfrost.layers.recurrent import RNN, _dropout_mask
from hoarfrost.random import draw_key
from hoarfrost.symbolic import KerasTensor, is_keras_tensor

_GATES = 4


class ConvLSTMCell(Layer):
    """One timestep of a convolutional LSTM (used by `ConvLSTM1D/2D/3D`).

    `call(inputs, [h, c], training)` returns `(h, [h, c])`; `inputs` is one
    timestep `(batch, *spatial, channels)` (channels_last). The arguments are
    the `ConvLSTM*D` layers' (without the recurrent-layer ones), plus `rank`.
    """

    def __init__(self, rank: int, filters: int, kernel_size, strides=1, padding="valid",
                 data_format=None, dilation_rate=1, activation="tanh",
                 recurrent_activation="sigmoid", use_bias: bool = True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", unit_forget_bias: bool = True,
                 kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None,
                 kernel_constraint=None, recurrent_constraint=None, bias_constraint=None,
                 dropout: float = 0.0, recurrent_dropout: float = 0.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        owner = f"ConvLSTM{rank}D"
        if rank not in (1, 2, 3):
            raise ValueError(f"ConvLSTMCell: rank {rank} convolutions are not implemented "
                             "(1, 2 or 3).")
        if not isinstance(filters, int) or isinstance(filters, bool) or filters <= 0:
            raise ValueError(f"{owner}: `filters` must be a positive integer, got {filters!r}.")
        self.rank = rank
        self.filters = filters
        self.kernel_size = normalize_tuple(kernel_size, rank, "kernel_size", owner)
        self.strides = normalize_tuple(strides, rank, "strides", owner, allow_zero=True)
        self.padding = normalize_padding(padding, owner)
        self.data_format = normalize_data_format(data_format, owner)
        self.dilation_rate = normalize_tuple(dilation_rate, rank, "dilation_rate", owner)
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(
                f"{owner}: `strides > 1` is not compatible with `dilation_rate > 1`; received "
                f"strides={self.strides} and dilation_rate={self.dilation_rate}.")
        self.activation = activations.get(activation)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.unit_forget_bias = bool(unit_forget_bias)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.recurrent_constraint = constraints.get(recurrent_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.dropout = min(1.0, max(0.0, float(dropout)))
        self.recurrent_dropout = min(1.0, max(0.0, float(recurrent_dropout)))
        self.seed = seed
        self.state_size = -1  # as Keras: the states' shapes come from get_initial_state
        self.spatial_dims = None
        self.kernel = self.recurrent_kernel = self.bias = None
        object.__setattr__(self, "_sequence_masks", None)

    def _channel_axis(self) -> int:
        return 1 if self.data_format == "channels_first" else -1

    def build(self, input_shape):
        input_shape = tuple(input_shape)
        if self.data_format == "channels_first":
            self.spatial_dims = input_shape[2:]
        else:
            self.spatial_dims = input_shape[1:-1]
        if None in self.spatial_dims:
            raise ValueError(
                f'ConvLSTM{self.rank}D layer "{self.name}" only supports static spatial '
                f"dimensions; received input shape {input_shape}.")
        input_dim = input_shape[self._channel_axis()]
        if input_dim is None:
            raise ValueError(
                f'ConvLSTM{self.rank}D layer "{self.name}": the channel dimension of the '
                f"inputs must be known; received input shape {input_shape}.")
        self.input_dim = input_dim
        width = self.filters * _GATES
        self.kernel = self.add_weight(
            shape=self.kernel_size + (input_dim, width), initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer, constraint=self.kernel_constraint,
            name="kernel")
        self.recurrent_kernel = self.add_weight(
            shape=self.kernel_size + (self.filters, width),
            initializer=self.recurrent_initializer, regularizer=self.recurrent_regularizer,
            constraint=self.recurrent_constraint, name="recurrent_kernel")
        if self.use_bias:
            initializer = self.bias_initializer
            if self.unit_forget_bias:
                base, filters = self.bias_initializer, self.filters

                def initializer(shape, dtype="float32"):
                    return jnp.concatenate([jnp.asarray(base((filters,), dtype)),
                                            jnp.ones((filters,), dtype),
                                            jnp.asarray(base((2 * filters,), dtype))])
            self.bias = self.add_weight(
                shape=(width,), initializer=initializer, regularizer=self.bias_regularizer,
                constraint=self.bias_constraint, name="bias")
        self.built = True

    # --- one step -------------------------------------------------------------------------
    def _dropout_masks(self, training, inputs_shape, state_shape, dtype):
        """Four input and four recurrent masks (one per gate), as Keras's cell draws."""
        if not training:
            return None, None
        in_masks = rec_masks = None
        key = None
        if 0.0 < self.dropout < 1.0:
            key = draw_key(self.seed)
            in_masks = _dropout_mask(key, (_GATES,) + tuple(inputs_shape), self.dropout, dtype)
        if 0.0 < self.recurrent_dropout < 1.0:
            key = draw_key(self.seed) if key is None else jax.random.fold_in(key, 1)
            rec_masks = _dropout_mask(key, (_GATES,) + tuple(state_shape),
                                      self.recurrent_dropout, dtype)
        return in_masks, rec_masks

    def _use_sequence_masks(self, masks) -> None:
        object.__setattr__(self, "_sequence_masks", masks)

    def _gate_convs(self, x, kernel, masks, strides, padding, dilation):
        """The four gates' convolutions, `[i, f, c, o]`, as one convolution: of `x` with
        the whole kernel, or, with dropout masks (one per gate), of the four masked
        inputs side by side as four groups (the kernel's layout is already grouped)."""
        axis = self._channel_axis()
        groups = 1
        if masks is not None:
            x = jnp.concatenate([x * m for m in masks], axis=axis)
            groups = _GATES
        out = conv(x, kernel, strides, padding, dilation, groups=groups,
                   data_format=self.data_format)
        return jnp.split(out, _GATES, axis=axis)

    def call(self, inputs, states, training=False):
        h_tm1, c_tm1 = states[0], states[1]
        masks = self._sequence_masks
        if masks is None:
            masks = self._dropout_masks(training, inputs.shape, h_tm1.shape, inputs.dtype)
        in_masks, rec_masks = masks if training else (None, None)
        x = self._gate_convs(inputs, self.kernel.value, in_masks, self.strides, self.padding,
                             self.dilation_rate)
        ones = (1,) * self.rank
        h = self._gate_convs(h_tm1, self.recurrent_kernel.value, rec_masks, ones, "same", ones)
        if self.use_bias:
            shape = ((1, -1) + ones) if self.data_format == "channels_first" else (-1,)
            x = [xi + jnp.reshape(b, shape)
                 for xi, b in zip(x, jnp.split(self.bias.value, _GATES))]
        i = self.recurrent_activation(x[0] + h[0])
        f = self.recurrent_activation(x[1] + h[1])
        c = f * c_tm1 + i * self.activation(x[2] + h[2])
        o = self.recurrent_activation(x[3] + h[3])
        h = o * self.activation(c)
        return h, [h, c]

    # --- shapes -----------------------------------------------------------------------------
    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        spatial = input_shape[2:] if self.data_format == "channels_first" else input_shape[1:-1]
        out = tuple(conv_output_length(n, k, self.padding, s, d) for n, k, s, d in zip(
            spatial, self.kernel_size, self.strides, self.dilation_rate))
        if self.data_format == "channels_first":
            return (input_shape[0], self.filters) + out
        return (input_shape[0],) + out + (self.filters,)

    def get_initial_state(self, batch_size=None) -> list:
        if self.data_format == "channels_first":
            shape = (batch_size, self.input_dim) + tuple(self.spatial_dims)
        else:
            shape = (batch_size,) + tuple(self.spatial_dims) + (self.input_dim,)
        state = self.compute_output_shape(shape)
        return [jnp.zeros(state, self.compute_dtype), jnp.zeros(state, self.compute_dtype)]

    def _cell_config(self) -> dict[str, Any]:
        return {
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
            "activation": activations.serialize(self.activation),
            "recurrent_activation": activations.serialize(self.recurrent_activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "recurrent_initializer": initializers.serialize(self.recurrent_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "unit_forget_bias": self.unit_forget_bias,
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "recurrent_regularizer": regularizers.serialize(self.recurrent_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "recurrent_constraint": constraints.serialize(self.recurrent_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
            "seed": self.seed,
        }

    def get_config(self):
        return {**super().get_config(), "rank": self.rank, **self._cell_config()}


class _ConvLSTM(RNN):
    """The shared body of ConvLSTM1D/2D/3D: `RNN` over a `ConvLSTMCell`."""

    rank = 0

    def __init__(self, filters: int, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, activation="tanh", recurrent_activation="sigmoid",
                 use_bias: bool = True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros",
                 unit_forget_bias: bool = True, kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, recurrent_constraint=None, bias_constraint=None,
                 dropout: float = 0.0, recurrent_dropout: float = 0.0, seed=None,
                 return_sequences: bool = False, return_state: bool = False,
                 go_backwards: bool = False, stateful: bool = False, **kwargs):
        cell = ConvLSTMCell(
            rank=self.rank, filters=filters, kernel_size=kernel_size, strides=strides,
            padding=padding, data_format=data_format, dilation_rate=dilation_rate,
            activation=activation, recurrent_activation=recurrent_activation,
            use_bias=use_bias, kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer, bias_initializer=bias_initializer,
            unit_forget_bias=unit_forget_bias, kernel_regularizer=kernel_regularizer,
            recurrent_regularizer=recurrent_regularizer, bias_regularizer=bias_regularizer,
            kernel_constraint=kernel_constraint, recurrent_constraint=recurrent_constraint,
            bias_constraint=bias_constraint, dropout=dropout,
            recurrent_dropout=recurrent_dropout, seed=seed, dtype=kwargs.get("dtype"))
        super().__init__(cell, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, **kwargs)
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self.input_spec = InputSpec(ndim=self.rank + 3)

    def _run_cell(self, sequences, states, mask, training):
        # The dropout masks are drawn once for the whole sequence (Keras's DropoutRNNCell).
        masks = self.cell._dropout_masks(training, (sequences.shape[0],) + sequences.shape[2:],
                                         states[0].shape, sequences.dtype)
        self.cell._use_sequence_masks(masks)
        try:
            return super()._run_cell(sequences, states, mask, training)
        finally:
            self.cell._use_sequence_masks(None)

    def call(self, sequences, initial_state=None, mask=None, training=False):
        result = super().call(sequences, initial_state=initial_state, mask=mask,
                              training=training)
        self._add_activity_loss(result)
        return result

    def compute_output_shape(self, sequences_shape, initial_state_shape=None):
        batch, steps = sequences_shape[0], sequences_shape[1]
        state = self.cell.compute_output_shape((batch,) + tuple(sequences_shape[2:]))[1:]
        output = (batch, steps) + state if self.return_sequences else (batch,) + state
        if self.return_state:
            return output, (batch,) + state, (batch,) + state
        return output

    def compute_output_spec(self, inputs, **kwargs):
        if not is_keras_tensor(inputs):
            return super().compute_output_spec(inputs, **kwargs)
        shapes = self.compute_output_shape(tuple(inputs.shape))
        if self.return_state:
            return tuple(KerasTensor(s, self.compute_dtype) for s in shapes)
        return KerasTensor(shapes, self.compute_dtype)

    def get_config(self):
        config = super().get_config()
        del config["cell"]
        return {**config, **self.cell._cell_config(),
                "activity_regularizer": regularizers.serialize(self.activity_regularizer)}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        return cls(**config)


_CELL_PROPERTIES = frozenset((
    "filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate", "activation",
    "recurrent_activation", "use_bias", "kernel_initializer", "recurrent_initializer",
    "bias_initializer", "unit_forget_bias", "kernel_regularizer", "recurrent_regularizer",
    "bias_regularizer", "kernel_constraint", "recurrent_constraint", "bias_constraint",
    "dropout", "recurrent_dropout"))

for _name in _CELL_PROPERTIES:  # Keras's read-only properties: the cell's arguments
    setattr(_ConvLSTM, _name, property(lambda self, _n=_name: getattr(self.cell, _n)))

_DOC = """{summary}

    Args:
        filters: the number of output channels (and of each state's channels).
        kernel_size: the convolution window ({rank} int(s)).
        strides: the input convolution's strides (the recurrent one uses 1).
        padding: `"valid"` or `"same"` (the recurrent convolution is always "same").
        data_format: `"channels_last"` (default) or `"channels_first"`.
        dilation_rate: the input convolution's dilation (not with strides > 1).
        activation, recurrent_activation: `tanh` and `sigmoid` by default.
        use_bias, kernel_initializer, recurrent_initializer, bias_initializer,
        unit_forget_bias: as `LSTM` (the forget gate's bias starts at 1).
        kernel_regularizer, recurrent_regularizer, bias_regularizer,
        activity_regularizer, kernel_constraint, recurrent_constraint,
        bias_constraint: penalties and projections, as `LSTM`.
        dropout, recurrent_dropout: the fractions of the inputs / states
            dropped in training, one mask per gate drawn once per sequence
            (Keras's scheme; the random draws differ from Keras's).
        seed: a seed for the dropout masks.
        return_sequences, return_state, go_backwards, stateful: as `RNN`.

    Call arguments: `sequences` `(batch, time, {dims}, channels)`,
    `initial_state` (`[h, c]`), `mask` `(batch, time)`, `training`.

    Example:
        >>> layer = {name}(4, 3, padding="same", return_sequences=True)
        >>> layer(jnp.ones({example})).shape
        {expected}
"""


class ConvLSTM1D(_ConvLSTM):
    rank = 1
    __doc__ = _DOC.format(summary="A 1D convolutional LSTM: sequences of `(steps, channels)`.",
                          rank=1, dims="steps", name="ConvLSTM1D", example="(2, 3, 5, 2)",
                          expected="(2, 3, 5, 4)")


class ConvLSTM2D(_ConvLSTM):
    rank = 2
    __doc__ = _DOC.format(summary="A 2D convolutional LSTM: sequences of images.", rank=2,
                          dims="rows, cols", name="ConvLSTM2D", example="(2, 3, 5, 5, 2)",
                          expected="(2, 3, 5, 5, 4)")


class ConvLSTM3D(_ConvLSTM):
    rank = 3
    __doc__ = _DOC.format(summary="A 3D convolutional LSTM: sequences of volumes.", rank=3,
                          dims="d1, d2, d3", name="ConvLSTM3D", example="(2, 3, 4, 4, 4, 2)",
                          expected="(2, 3, 4, 4, 4, 4)")
