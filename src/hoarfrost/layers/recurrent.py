"""Recurrent layers: `SimpleRNN`, `LSTM`, `GRU` and the `Bidirectional` wrapper.

Each layer runs one `jax.lax.scan` over time. The weights live on the layer
itself (paths `lstm/kernel`, `lstm/recurrent_kernel`, `lstm/bias`), in Keras's
`get_weights()` order and layout (gates `i, f, c, o` for LSTM, `z, r, h` for
GRU), so Keras weights load unchanged.

Masking follows Keras on JAX exactly: at a masked timestep every state is
carried over unchanged and the output is the previous output (the first
state), or zeros with `zero_output_for_mask=True` (which `Bidirectional` sets
when returning sequences). The mask comes from upstream (an
`Embedding(mask_zero=True)` or `Masking` layer) or explicitly as
`layer(x, mask=m)` with `m` of shape `(batch, timesteps)`.
"""

from __future__ import annotations

import copy
import functools
from typing import Any, Callable, NamedTuple

import jax
import jax.numpy as jnp

from hoarfrost import activations, initializers, regularizers
from hoarfrost.layers.layer import InputSpec, Layer
from hoarfrost.random import draw_key
from hoarfrost.symbolic import KerasTensor, is_keras_tensor


def _dropout_mask(key, shape, rate, dtype):
    keep = jax.random.bernoulli(key, 1.0 - rate, shape)
    return jnp.where(keep, jnp.asarray(1.0 / (1.0 - rate), dtype), jnp.zeros((), dtype))


class _Spec(NamedTuple):
    """What the compiled scan depends on besides arrays (hashable, static under jit)."""

    cls: type
    units: int
    activation: Callable
    recurrent_activation: Callable | None
    reset_after: bool
    go_backwards: bool
    return_sequences: bool
    zero_output_for_mask: bool


@functools.partial(jax.jit, static_argnums=0)
def _run(spec: _Spec, params, states, sequences, mask, in_masks, rec_masks):
    """The scan over time, with Keras's masking rule; `(output, final_states)`."""
    projected = jnp.swapaxes(spec.cls._project_inputs(spec, sequences, params, in_masks), 0, 1)

    def step(carry, xs):
        states, _ = carry
        x_t, m_t = xs if mask is not None else (xs, None)
        output, new_states = spec.cls._cell(spec, params, states, x_t, rec_masks)
        if m_t is not None:
            keep = m_t[:, None]
            fallback = jnp.zeros_like(output) if spec.zero_output_for_mask else states[0]
            output = jnp.where(keep, output, fallback)
            new_states = tuple(jnp.where(keep, n, s) for n, s in zip(new_states, states))
        return (new_states, output), (output if spec.return_sequences else None)

    xs = projected if mask is None else (projected, jnp.swapaxes(mask, 0, 1))
    init = (tuple(states), jnp.zeros((sequences.shape[0], spec.units), sequences.dtype))
    (final_states, last_output), outputs = jax.lax.scan(step, init, xs,
                                                        reverse=spec.go_backwards)
    if not spec.return_sequences:
        return last_output, final_states
    if spec.go_backwards:
        outputs = jnp.flip(outputs, axis=0)
    return jnp.swapaxes(outputs, 0, 1), final_states


def _input_matmul(sequences, kernel, in_masks):
    if in_masks is None:
        return jnp.matmul(sequences, kernel)
    if in_masks.ndim == 2:  # one mask shared by all gates
        return jnp.matmul(sequences * in_masks[:, None, :], kernel)
    blocks = jnp.split(kernel, in_masks.shape[0], axis=1)
    return jnp.concatenate(
        [jnp.matmul(sequences * m[:, None, :], k) for m, k in zip(in_masks, blocks)], axis=-1)


def _recurrent_matmul(h, kernel, rec_masks):
    """`h @ kernel`, with one recurrent-dropout mask per gate block if given."""
    if rec_masks is None:
        return jnp.matmul(h, kernel)
    if rec_masks.ndim == 2:
        return jnp.matmul(h * rec_masks, kernel)
    blocks = jnp.split(kernel, rec_masks.shape[0], axis=1)
    return jnp.concatenate([jnp.matmul(h * m, k) for m, k in zip(rec_masks, blocks)], axis=-1)


class _RNN(Layer):
    """Shared machinery: arguments, weights, the scan, masking, config.

    A subclass sets `_gates` (blocks of `units` columns in the kernels),
    `_num_states`, and implements `_project_inputs` and `_cell`.
    """

    _gates = 1
    _num_states = 1

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
        if not isinstance(units, int) or isinstance(units, bool) or units <= 0:
            raise ValueError(
                f"{type(self).__name__}: `units` must be a positive integer, got {units!r}."
            )
        if stateful:
            raise NotImplementedError(
                f'{type(self).__name__} "{self.name}": stateful=True is not supported by '
                "hoarfrost; pass the state explicitly with `initial_state=` and "
                "`return_state=True` instead."
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
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self.kernel_constraint = kernel_constraint
        self.recurrent_constraint = recurrent_constraint
        self.bias_constraint = bias_constraint
        self.dropout = min(1.0, max(0.0, float(dropout)))
        self.recurrent_dropout = min(1.0, max(0.0, float(recurrent_dropout)))
        self.seed = seed
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.stateful = False
        self.unroll = bool(unroll)
        self.zero_output_for_mask = bool(zero_output_for_mask)
        self.use_cudnn = use_cudnn
        self.supports_masking = True
        self.input_spec = InputSpec(ndim=3)

    # --- weights -----------------------------------------------------------
    def _bias_shape(self) -> tuple:
        return (self._gates * self.units,)

    def _bias_initializer(self):
        return self.bias_initializer

    def build(self, sequences_shape, initial_state_shape=None):
        input_dim = sequences_shape[-1]
        if input_dim is None:
            raise ValueError(
                f'{type(self).__name__} layer "{self.name}": the last axis of the input '
                f"(features) must be known, got input shape {tuple(sequences_shape)}."
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
        self.input_spec = InputSpec(ndim=3, axes={-1: input_dim})
        self.built = True

    # --- the cell (per subclass) -------------------------------------------
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

    def _spec(self) -> _Spec:
        return _Spec(type(self), self.units, self.activation,
                     getattr(self, "recurrent_activation", None),
                     getattr(self, "reset_after", False), self.go_backwards,
                     self.return_sequences, self.zero_output_for_mask)

    # --- dropout -------------------------------------------------------------
    def _mask_count(self) -> int | None:
        # As Keras: with recurrent dropout, LSTM/GRU switch to one mask per gate.
        return self._gates if self._gates > 1 and self.recurrent_dropout > 0 else None

    def _dropout_masks(self, training, batch, features, dtype):
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

    # --- calling -----------------------------------------------------------
    def _params(self) -> dict:
        return {"kernel": self.kernel.value, "recurrent_kernel": self.recurrent_kernel.value,
                "bias": None if self.bias is None else self.bias.value}

    def get_initial_state(self, batch_size: int) -> list:
        return [jnp.zeros((batch_size, self.units), self.dtype)
                for _ in range(self._num_states)]

    def call(self, sequences, initial_state=None, mask=None, training=None):
        """Run the layer over `sequences` of shape `(batch, timesteps, features)`.

        Args:
            initial_state: a list of `(batch, units)` arrays (LSTM: `[h, c]`);
                zeros by default.
            mask: `(batch, timesteps)` booleans; False skips a timestep.
            training: applies `dropout` / `recurrent_dropout` when True.

        Returns:
            The last output `(batch, units)`, or every output
            `(batch, timesteps, units)` with `return_sequences` (in processing
            order, so reversed with `go_backwards`, as in Keras); followed by
            the final states with `return_state`.
        """
        if not jnp.issubdtype(sequences.dtype, jnp.floating):
            sequences = sequences.astype(self.dtype)
        batch, timesteps = sequences.shape[0], sequences.shape[1]
        if timesteps == 0:
            raise ValueError(
                f'{type(self).__name__} layer "{self.name}" needs at least one timestep, '
                f"got input shape {tuple(sequences.shape)}."
            )
        states = self._standardize_initial_state(initial_state, batch, sequences.dtype)
        if mask is not None:
            mask = self._standardize_mask(mask, batch, timesteps)
        params = self._params()
        in_masks, rec_masks = self._dropout_masks(training, batch, sequences.shape[-1],
                                                  sequences.dtype)
        output, final_states = _run(self._spec(), params, tuple(states), sequences, mask,
                                    in_masks, rec_masks)
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
        if isinstance(mask, (list, tuple)):  # a list of masks: the first is the sequences'
            mask = mask[0]
        mask = jnp.asarray(mask)
        if mask.ndim == 3:  # (batch, time, 1): Keras reduces over the last axis
            mask = jnp.any(mask, axis=-1)
        if tuple(mask.shape) != (batch, timesteps):
            raise ValueError(
                f'{type(self).__name__} layer "{self.name}": mask must have shape '
                f"(batch, timesteps) = {(batch, timesteps)}, got {tuple(mask.shape)}."
            )
        return mask.astype(bool)

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
            return tuple(KerasTensor(s, self.dtype) for s in shapes)
        return KerasTensor(shapes, self.dtype)

    # --- config --------------------------------------------------------------
    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "return_sequences": self.return_sequences,
            "return_state": self.return_state,
            "go_backwards": self.go_backwards,
            "stateful": self.stateful,
            "unroll": self.unroll,
            "zero_output_for_mask": self.zero_output_for_mask,
            "units": self.units,
            "activation": activations.serialize(self.activation),
            **self._extra_config(),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "recurrent_initializer": initializers.serialize(self.recurrent_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "recurrent_regularizer": regularizers.serialize(self.recurrent_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
            "seed": self.seed,
        }

    def _extra_config(self) -> dict[str, Any]:
        return {}


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
        stateful: not supported (raises NotImplementedError if True).
        unroll: accepted and ignored: hoarfrost always uses `lax.scan`, which
            gives the same results.
        zero_output_for_mask: masked timesteps output zeros instead of the
            previous output.
        **kwargs: `name`, `trainable`, `input_shape`, `dtype`; Keras's
            `implementation` and `use_cudnn` are accepted and ignored.

    Call arguments: `sequences` `(batch, timesteps, features)`,
    `initial_state=None`, `mask=None` (`(batch, timesteps)`, False skips a
    step), `training=None`.
"""


class SimpleRNN(_RNN):
    """Fully connected RNN: `h_t = activation(x_t @ kernel + bias + h_{t-1} @ recurrent_kernel)`.

    Weights `kernel` `(features, units)`, `recurrent_kernel` `(units, units)`,
    `bias` `(units,)`. The arguments are listed below.

    Example:
        >>> SimpleRNN(4)(jnp.ones((2, 5, 3))).shape
        (2, 4)
    """

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


class LSTM(_RNN):
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

    _gates = 4
    _num_states = 2

    def __init__(self, units: int, activation="tanh", recurrent_activation="sigmoid",
                 use_bias: bool = True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros",
                 unit_forget_bias: bool = True, **kwargs):
        super().__init__(units, activation=activation, use_bias=use_bias,
                         kernel_initializer=kernel_initializer,
                         recurrent_initializer=recurrent_initializer,
                         bias_initializer=bias_initializer, **kwargs)
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


class GRU(_RNN):
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

    _gates = 3
    _num_states = 1

    def __init__(self, units: int, activation="tanh", recurrent_activation="sigmoid",
                 use_bias: bool = True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros",
                 reset_after: bool = True, **kwargs):
        super().__init__(units, activation=activation, use_bias=use_bias,
                         kernel_initializer=kernel_initializer,
                         recurrent_initializer=recurrent_initializer,
                         bias_initializer=bias_initializer, **kwargs)
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


for _cls in (SimpleRNN, LSTM, GRU):
    _cls.__doc__ += _RNN_ARGS_DOC
del _cls

_MERGE_MODES = ("sum", "mul", "ave", "concat", None)


def _recurrent_classes() -> dict[str, type]:
    return {"SimpleRNN": SimpleRNN, "LSTM": LSTM, "GRU": GRU}


class Bidirectional(Layer):
    """Runs a recurrent layer forwards and a copy backwards, and merges them.

    As Keras: the forward layer is a fresh copy of `layer` (from its config,
    named `forward_<name>`), the backward one a copy with `go_backwards=True`
    (`backward_<name>`) unless `backward_layer` is given. Weights are the
    forward layer's, then the backward layer's. With `return_sequences` the
    backward outputs are flipped back into input order before merging, and
    masked timesteps output zeros in both directions.

    Args:
        layer: a `SimpleRNN`, `LSTM` or `GRU` (or any layer with the same
            `go_backwards` / `return_sequences` / `return_state` interface).
        merge_mode: `"concat"` (default), `"sum"`, `"mul"`, `"ave"`, or None
            (return the two outputs as a tuple).
        backward_layer: an optional layer for the backward direction.
        weights: optional initial weights (forward then backward), set on build.
        **kwargs: `name`, `trainable`, `input_shape`, `dtype`.

    Call arguments: as the wrapped layer; `initial_state` is the forward
    states followed by the backward states.

    Example:
        >>> Bidirectional(LSTM(4))(jnp.ones((2, 5, 3))).shape
        (2, 8)
    """

    def __init__(self, layer, merge_mode="concat", weights=None, backward_layer=None, **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError(
                "Please initialize `Bidirectional` layer with a `hoarfrost.layers.Layer` "
                f"instance. Received: {layer!r}"
            )
        if backward_layer is not None and not isinstance(backward_layer, Layer):
            raise ValueError(
                f"`backward_layer` needs to be a `Layer` instance. Received: {backward_layer!r}"
            )
        if merge_mode not in _MERGE_MODES:
            raise ValueError(
                f"Invalid merge mode. Received: {merge_mode!r}. Merge mode should be one of "
                '{"sum", "mul", "ave", "concat", None}'
            )
        super().__init__(**kwargs)
        if self._batch_input_shape is None:  # Bidirectional(LSTM(4, input_shape=(5, 3)))
            self._batch_input_shape = getattr(layer, "_batch_input_shape", None)
        self.forward_layer = _copy_layer(
            layer, name=f"forward_{_removeprefix(layer.name, 'forward_')}")
        if backward_layer is None:
            backward_layer = _copy_layer(
                layer, name=f"backward_{_removeprefix(layer.name, 'backward_')}",
                go_backwards=True)
        self.backward_layer = backward_layer
        self._verify_layer_config()
        for sub in (self.forward_layer, self.backward_layer):
            if getattr(sub, "zero_output_for_mask", None) is not None:
                sub.zero_output_for_mask = sub.return_sequences
        self.merge_mode = merge_mode
        self._initial_weights = None if weights is None else list(weights)
        self.stateful = getattr(layer, "stateful", False)
        self.return_sequences = layer.return_sequences
        self.return_state = layer.return_state
        self.supports_masking = True
        self.input_spec = layer.input_spec

    def _verify_layer_config(self):
        forward, backward = self.forward_layer, self.backward_layer
        if forward.go_backwards == backward.go_backwards:
            raise ValueError(
                "Forward layer and backward layer should have different `go_backwards` value. "
                f"Received: forward_layer.go_backwards={forward.go_backwards}, "
                f"backward_layer.go_backwards={backward.go_backwards}"
            )
        for attribute in ("stateful", "return_sequences", "return_state"):
            f, b = getattr(forward, attribute, None), getattr(backward, attribute, None)
            if f != b:
                raise ValueError(
                    "Forward layer and backward layer are expected to have the same value for "
                    f'attribute "{attribute}", got "{f}" for forward layer and "{b}" for '
                    "backward layer"
                )

    def build(self, sequences_shape, initial_state_shape=None):
        self.forward_layer._maybe_build(sequences_shape)
        self.backward_layer._maybe_build(sequences_shape)
        self.input_spec = self.forward_layer.input_spec
        self.built = True
        if self._initial_weights is not None:
            weights, self._initial_weights = self._initial_weights, None
            self.set_weights(weights)

    def call(self, sequences, initial_state=None, mask=None, training=None):
        kwargs = {"training": training}
        if mask is not None:
            kwargs["mask"] = mask
        forward_state = backward_state = None
        if initial_state is not None:
            half = len(initial_state) // 2
            forward_state, backward_state = list(initial_state[:half]), list(initial_state[half:])
        y = self.forward_layer(sequences, initial_state=forward_state, **kwargs)
        y_rev = self.backward_layer(sequences, initial_state=backward_state, **kwargs)
        states = ()
        if self.return_state:
            states = tuple(y[1:]) + tuple(y_rev[1:])
            y, y_rev = y[0], y_rev[0]
        if self.return_sequences:
            y_rev = jnp.flip(y_rev, axis=1)
        output = self._merge(y, y_rev)
        if self.return_state:
            return (output + states) if self.merge_mode is None else (output,) + states
        return output

    def _merge(self, y, y_rev):
        if self.merge_mode == "concat":
            return jnp.concatenate([y, y_rev], axis=-1)
        if self.merge_mode == "sum":
            return y + y_rev
        if self.merge_mode == "ave":
            return (y + y_rev) / 2
        if self.merge_mode == "mul":
            return y * y_rev
        return (y, y_rev)

    def compute_mask(self, inputs, mask=None):
        if isinstance(mask, list):
            mask = mask[0]
        if self.return_sequences:
            output_mask = (mask, mask) if not self.merge_mode else mask
        else:
            output_mask = (None, None) if not self.merge_mode else None
        if self.return_state:
            num_states = getattr(self.forward_layer, "_num_states", 1)
            state_masks = (None,) * (2 * num_states)
            if isinstance(output_mask, tuple):
                return output_mask + state_masks
            return (output_mask,) + state_masks
        return output_mask

    def compute_output_spec(self, inputs, **kwargs):
        if not is_keras_tensor(inputs):
            return super().compute_output_spec(inputs, **kwargs)
        spec = self.forward_layer.compute_output_spec(inputs)
        states = ()
        if self.return_state:
            spec, states = spec[0], tuple(spec[1:])
        if self.merge_mode == "concat":
            output = KerasTensor(spec.shape[:-1] + (spec.shape[-1] * 2,), spec.dtype)
        elif self.merge_mode is None:
            output = (spec, KerasTensor(spec.shape, spec.dtype))
        else:
            output = spec
        if self.return_state:
            states = states + tuple(KerasTensor(s.shape, s.dtype) for s in states)
            return (output + states) if self.merge_mode is None else (output,) + states
        return output

    def compute_output_shape(self, sequences_shape, initial_state_shape=None):
        spec = self.compute_output_spec(KerasTensor(tuple(sequences_shape)))
        return jax.tree.map(lambda s: s.shape, spec, is_leaf=is_keras_tensor)

    def get_config(self):
        from hoarfrost.saving.serialization import serialize_layer
        return {
            **super().get_config(),
            "merge_mode": self.merge_mode,
            "layer": serialize_layer(self.forward_layer),
            "backward_layer": serialize_layer(self.backward_layer),
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = copy.deepcopy(config)
        config["layer"] = _deserialize(config["layer"], custom_objects)
        backward = config.pop("backward_layer", None)
        if backward is not None:
            config["backward_layer"] = _deserialize(backward, custom_objects)
        return cls(**config)


def _removeprefix(text: str, prefix: str) -> str:
    return text[len(prefix):] if text.startswith(prefix) else text


def _copy_layer(layer: Layer, name: str, **overrides) -> Layer:
    """A fresh, unbuilt layer from `layer`'s config (Keras's Bidirectional does the same)."""
    config = {**layer.get_config(), "name": name, **overrides}
    return type(layer).from_config(config)


def _deserialize(config, custom_objects=None):
    from hoarfrost.saving.serialization import deserialize_layer
    objects = dict(custom_objects or {})
    if not config.get("registered_name"):
        for name, cls in _recurrent_classes().items():
            objects.setdefault(name, cls)
    return deserialize_layer(config, objects)
