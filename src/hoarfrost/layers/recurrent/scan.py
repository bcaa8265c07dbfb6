"""The compiled scan over time that every recurrent layer runs (`_run` for the built-in
steps, `_scan_cell` for any cell), with Keras's masking and dropout masks."""

from __future__ import annotations

import functools
from typing import Callable, NamedTuple

import jax
import jax.numpy as jnp


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
