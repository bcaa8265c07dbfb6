"""Recurrent layers: `SimpleRNN`, `LSTM`, `GRU`, the generic `RNN` with its cells
(`SimpleRNNCell`, `LSTMCell`, `GRUCell`, `StackedRNNCells`, or a cell of your own)
and the `Bidirectional` wrapper.

Each layer runs one `jax.lax.scan` over time. `SimpleRNN`, `LSTM` and `GRU`
keep their weights on the layer itself (paths `lstm/kernel`,
`lstm/recurrent_kernel`, `lstm/bias`), in Keras's `get_weights()` order and
layout (gates `i, f, c, o` for LSTM, `z, r, h` for GRU), so Keras weights
load unchanged. The built-in cells hold the same weights and compute the same
step: `RNN(LSTMCell(n))` equals `LSTM(n)` given the same weights, and runs
the same compiled scan. Any other cell (a `Layer` with `state_size` and
`call(inputs, states)`, or a `StackedRNNCells`) runs its `call` once per
timestep inside the scan.

Masking follows Keras on JAX exactly: at a masked timestep every state is
carried over unchanged and the output is the first state (the previous
output for the built-in cells), or zeros with `zero_output_for_mask=True`
(which `Bidirectional` sets when returning sequences). The mask comes from
upstream (an `Embedding(mask_zero=True)` or `Masking` layer) or explicitly as
`layer(x, mask=m)` with `m` of shape `(batch, timesteps)`.

`stateful=True` keeps the final states of each batch as the initial states of
the next (sample `i` of a batch continues sample `i` of the previous one)
until `reset_states()`. The states are non-trainable state variables
(`layer.states`): carried from step to step by `fit` while the layer is
trainable, bit-identical while it is frozen, untouched by `predict` and
`evaluate` (as Keras 3 on JAX); like Keras, they are not among the layer's
`weights`, so `get_weights()` and the parameter counts are Keras's.
"""

from __future__ import annotations

import copy
import functools
import inspect
from typing import Any, Callable, NamedTuple

import jax
import jax.numpy as jnp

from hoarfrost import activations, constraints, initializers, regularizers
from hoarfrost.layers.layer import InputSpec, Layer
from hoarfrost.random import draw_key
from hoarfrost.symbolic import KerasTensor, is_keras_tensor
from hoarfrost.variables import Variable, current_scope


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
    unroll: bool = False


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
                                                        reverse=spec.go_backwards,
                                                        unroll=spec.unroll)
    if not spec.return_sequences:
        return last_output, final_states
    if spec.go_backwards:
        outputs = jnp.flip(outputs, axis=0)
    return jnp.swapaxes(outputs, 0, 1), final_states


def _scan_cell(step, states, sequences, mask, go_backwards: bool, zero_output_for_mask: bool,
               unroll: bool):
    """Keras's JAX `rnn` loop for any cell: `(last_output, outputs, final_states)`.

    `step(x_t, states) -> (output, new_states)`; `states` is any pytree (nested
    lists for stacked cells). At a masked step the states are kept and the
    output is the first state (`states[-1][0]` when nested), or zeros.
    """
    structure = jax.tree.structure(states)

    def body(states, xs):
        x_t, m_t = xs if mask is not None else (xs, None)
        output, new_states = step(x_t, states)
        new_states = jax.tree.unflatten(structure, jax.tree.leaves(new_states))
        if m_t is not None:
            keep = lambda a: m_t.reshape(m_t.shape + (1,) * (a.ndim - 1))  # noqa: E731
            if zero_output_for_mask:
                fallback = jnp.zeros_like(output)
            else:
                fallback = states[0]
                if isinstance(fallback, (list, tuple)):
                    fallback = states[-1][0] if isinstance(states[-1], (list, tuple)) \
                        else states[-1]
            output = jnp.where(keep(output), output, fallback)
            new_states = jax.tree.map(lambda s, n: jnp.where(keep(n), n, s), states, new_states)
        return new_states, output

    xs = jnp.swapaxes(sequences, 0, 1)
    if mask is not None:
        xs = (xs, jnp.swapaxes(mask, 0, 1))
    final_states, outputs = jax.lax.scan(body, states, xs, reverse=go_backwards, unroll=unroll)
    if go_backwards:
        outputs = jnp.flip(outputs, axis=0)
    return outputs[-1], jnp.swapaxes(outputs, 0, 1), final_states


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


def _is_traced(x) -> bool:
    return any(isinstance(leaf, jax.core.Tracer) for leaf in jax.tree.leaves(x))


def _standardize_mask(layer, mask, batch, timesteps):
    if isinstance(mask, (list, tuple)):  # a list of masks: the first is the sequences'
        mask = mask[0]
    mask = jnp.asarray(mask)
    if mask.ndim == 3:  # (batch, time, 1): Keras reduces over the last axis
        mask = jnp.any(mask, axis=-1)
    if tuple(mask.shape) != (batch, timesteps):
        raise ValueError(
            f'{type(layer).__name__} layer "{layer.name}": mask must have shape '
            f"(batch, timesteps) = {(batch, timesteps)}, got {tuple(mask.shape)}."
        )
    return mask.astype(bool)


# --- the weights and arguments shared by the fused layers and the cells ------------------
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


# --- the step of each kind -----------------------------------------------------------------
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


# --- stateful=True ---------------------------------------------------------------------------
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
                value = jnp.zeros(jnp.shape(value), self.dtype)
            variable = Variable(value, name="rnn_state" if i == 0 else f"rnn_state_{i}",
                                trainable=False)
            variable._path = f"{self.name}/{variable._short_name}"
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


# --- the fused layers ------------------------------------------------------------------------
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
        return [jnp.zeros((batch_size, self.units), self.dtype)
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
            sequences = sequences.astype(self.dtype)
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
        if self.activity_regularizer is not None:
            for value in jax.tree.leaves(result):
                self.add_loss(self.activity_regularizer(value) / value.shape[0])
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
            return tuple(KerasTensor(s, self.dtype) for s in shapes)
        return KerasTensor(shapes, self.dtype)

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


for _cls in (SimpleRNN, LSTM, GRU):
    _cls.__doc__ += _RNN_ARGS_DOC
del _cls


# --- cells ---------------------------------------------------------------------------------
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
        return [jnp.zeros((batch_size, self.units), self.dtype) for _ in range(self._num_states)]

    def call(self, inputs, states, training=False):
        nested = isinstance(states, (list, tuple))
        states = tuple(states) if nested else (states,)
        if not jnp.issubdtype(inputs.dtype, jnp.floating):
            inputs = inputs.astype(self.dtype)
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


class StackedRNNCells(Layer):
    """Cells applied one after the other at each timestep, as one cell (Keras 3's).

    The output of each cell is the input of the next; the states are one entry
    per cell (a list where a cell has several states). `RNN([cell1, cell2])`
    makes one. Weights: the cells', in order.

    Args:
        cells: a list of cells (built-in or your own).
        **kwargs: `name`, `trainable`, `dtype`.

    Example:
        >>> cells = StackedRNNCells([SimpleRNNCell(4), LSTMCell(3)])
        >>> RNN(cells)(jnp.ones((2, 5, 3))).shape
        (2, 3)
    """

    def __init__(self, cells, **kwargs):
        super().__init__(**kwargs)
        cells = list(cells)
        if not cells:
            raise ValueError("StackedRNNCells: `cells` must hold at least one cell.")
        for cell in cells:
            _check_cell(cell, "cells")
        self.cells = cells

    @property
    def state_size(self):
        return [cell.state_size for cell in self.cells]

    @property
    def output_size(self) -> int:
        return _output_size(self.cells[-1])

    def get_initial_state(self, batch_size=None) -> list:
        states = []
        for cell in self.cells:
            get_initial_state = getattr(cell, "get_initial_state", None)
            if get_initial_state is not None:
                states.append(get_initial_state(batch_size=batch_size))
            elif isinstance(cell.state_size, int):
                states.append(jnp.zeros((batch_size, cell.state_size), self.dtype))
            else:
                states.append([jnp.zeros((batch_size, d), self.dtype) for d in cell.state_size])
        return states

    def build(self, input_shape):
        for cell in self.cells:
            if isinstance(cell, Layer):
                cell._maybe_build(tuple(input_shape))
            input_shape = (input_shape[0], _output_size(cell))
        self.built = True

    def call(self, inputs, states, training=False):
        new_states = []
        for cell, cell_states in zip(self.cells, states):
            is_list = isinstance(cell_states, (list, tuple))
            cell_states = list(cell_states) if is_list else [cell_states]
            inputs, cell_states = _call_cell(cell, inputs, cell_states, training)
            if not isinstance(cell_states, (list, tuple)):
                cell_states = [cell_states]
            cell_states = list(cell_states)
            new_states.append(cell_states[0] if len(cell_states) == 1 and not is_list
                              else cell_states)
        return inputs, (new_states[0] if len(new_states) == 1 else new_states)

    def get_config(self):
        from hoarfrost.saving.serialization import serialize_layer
        return {**super().get_config(), "cells": [serialize_layer(c) for c in self.cells]}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        cells = [_deserialize(c, custom_objects) for c in config.pop("cells")]
        return cls(cells, **config)


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
        return [jnp.zeros((batch_size, d), self.dtype) for d in self.state_size]

    def call(self, sequences, initial_state=None, mask=None, training=False):
        if not jnp.issubdtype(sequences.dtype, jnp.floating):
            sequences = sequences.astype(self.dtype)
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
            return KerasTensor(shapes, self.dtype)
        return tuple(KerasTensor(s, self.dtype) if isinstance(s, tuple)
                     else [KerasTensor(d, self.dtype) for d in s] for s in shapes)

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
            object.__setattr__(cell, "_sequence_masks", masks)

    def __exit__(self, *exc):
        for cell, _ in self.cells:
            object.__setattr__(cell, "_sequence_masks", None)


_MERGE_MODES = ("sum", "mul", "ave", "concat", None)


def _recurrent_classes() -> dict[str, type]:
    return {cls.__name__: cls for cls in (SimpleRNN, LSTM, GRU, RNN, SimpleRNNCell, LSTMCell,
                                          GRUCell, StackedRNNCells)}


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

    def reset_states(self, states=None) -> None:
        """Reset both directions' stored states (stateful layers only)."""
        if states is not None:
            half = len(states) // 2
            self.forward_layer.reset_states(states[:half])
            self.backward_layer.reset_states(states[half:])
            return
        self.forward_layer.reset_states()
        self.backward_layer.reset_states()

    def reset_state(self) -> None:
        """Keras 3's name for `reset_states()`."""
        self.reset_states()

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
