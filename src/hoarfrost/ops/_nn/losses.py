"""Losses and measures: the crossentropies, CTC loss and decoding, PSNR."""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax import lax
from jax import nn as jnn

from hoarfrost.ops._operation import compiled, keras_op, tensor
from hoarfrost.ops._operation import epsilon as config_epsilon

__all__ = ["binary_crossentropy", "categorical_crossentropy", "ctc_decode", "ctc_loss", "psnr",
    "sparse_categorical_crossentropy"]


@keras_op()
def binary_crossentropy(target, output, from_logits=False):
    """Element-wise binary crossentropy (probabilities clipped to [eps, 1 - eps])."""
    target, output = jnp.array(target), jnp.array(output)
    if target.shape != output.shape:
        raise ValueError("binary_crossentropy: `target` and `output` must have the same shape, "
                         f"got {target.shape} and {output.shape}.")
    if from_logits:
        return -1.0 * target * jnn.log_sigmoid(output) - (1.0 - target) * jnn.log_sigmoid(-output)
    output = jnp.clip(output, config_epsilon(), 1.0 - config_epsilon())
    bce = target * jnp.log(output)
    bce += (1.0 - target) * jnp.log(1.0 - output)
    return -bce


def _log_probabilities(output, from_logits, axis):
    if from_logits:
        return jnn.log_softmax(output, axis=axis)
    output = output / jnp.sum(output, axis, keepdims=True)
    return jnp.log(jnp.clip(output, config_epsilon(), 1.0 - config_epsilon()))


@keras_op()
def categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """Crossentropy between one-hot (or soft) `target` and `output` along `axis`."""
    target, output = jnp.array(target), jnp.array(output)
    if target.shape != output.shape:
        raise ValueError("categorical_crossentropy: `target` and `output` must have the same "
                         f"shape, got {target.shape} and {output.shape}.")
    if target.ndim < 1:
        raise ValueError("categorical_crossentropy: `target` and `output` must be at least "
                         f"rank 1, got {target.shape}.")
    return -jnp.sum(target * _log_probabilities(output, from_logits, axis), axis=axis)


@keras_op()
def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """Crossentropy between integer `target` classes and `output` along `axis`."""
    target, output = jnp.array(target, dtype="int32"), jnp.array(output)
    if target.ndim == output.ndim and target.shape[-1] == 1:
        target = jnp.squeeze(target, axis=-1)
    if output.ndim < 1:
        raise ValueError(f"sparse_categorical_crossentropy: `output` must be at least rank 1, "
                         f"got {output.shape}.")
    if target.shape != output.shape[:-1]:
        raise ValueError("sparse_categorical_crossentropy: `target` and `output` must have the "
                         f"same shape up to the last axis, got {target.shape} and "
                         f"{output.shape}.")
    log_prob = _log_probabilities(output, from_logits, axis)
    target = jnn.one_hot(target, output.shape[axis], axis=axis)
    return -jnp.sum(target * log_prob, axis=axis)


@keras_op()
@compiled
def ctc_loss(target, output, target_length, output_length, mask_index=0):
    """The CTC loss per sequence: integer `target` labels, `output` logits `(batch, time, classes)`.

    Keras's JAX implementation (after Optax's `ctc_loss_with_forward_probs`).
    """
    target = tensor(target, dtype="int32")
    output = tensor(output)
    target_length = tensor(target_length, "int32")
    output_length = tensor(output_length, "int32")
    batch_size, max_input_length, num_classes = output.shape
    _, max_label_length = target.shape
    log_epsilon = -1e5
    output = output.astype(jnp.result_type(output.dtype, "float32"))

    def paddings(lengths, max_length):
        indices = jnp.arange(max_length).reshape((1,) * lengths.ndim + (max_length,))
        return jnp.logical_not(indices < jnp.expand_dims(lengths, -1)).astype(output.dtype)

    target_paddings = paddings(target_length, max_label_length)
    output_paddings = paddings(output_length, max_input_length)
    logprobs = jnn.log_softmax(output)
    label_lengths = max_label_length - jnp.sum(target_paddings, axis=1).astype(jnp.int32)
    repeat = (target[:, :-1] == target[:, 1:]).astype(jnp.float32)
    repeat = jnp.pad(repeat, ((0, 0), (0, 1)))
    logprobs_phi = jnp.transpose(logprobs[:, :, mask_index:mask_index + 1], (1, 0, 2))
    one_hot_labels = jnn.one_hot(target, num_classes=num_classes, dtype=logprobs.dtype)
    logprobs_emit = jnp.transpose(jnp.einsum("btk,bnk->btn", logprobs, one_hot_labels), (1, 0, 2))
    logalpha_phi_init = jnp.ones((batch_size, max_label_length + 1), output.dtype) * log_epsilon
    logalpha_phi_init = logalpha_phi_init.at[:, 0].set(0.0)
    logalpha_emit_init = jnp.ones((batch_size, max_label_length), output.dtype) * log_epsilon

    def update_phi_score(phi, added_score):
        return jnp.concatenate([phi[:, :1], jnp.logaddexp(phi[:, 1:], added_score)], axis=-1)

    def loop_body(prev, step):
        prev_phi, prev_emit = prev
        prev_phi_orig = prev_phi
        prev_phi = update_phi_score(prev_phi, prev_emit + log_epsilon * repeat)
        logprob_emit, logprob_phi, pad = step
        next_emit = jnp.logaddexp(prev_phi[:, :-1] + logprob_emit, prev_emit + logprob_emit)
        next_phi = prev_phi + logprob_phi
        next_phi = update_phi_score(next_phi,
                                    prev_emit + logprob_phi + log_epsilon * (1.0 - repeat))
        pad = pad.reshape((batch_size, 1))
        next_emit = pad * prev_emit + (1.0 - pad) * next_emit
        next_phi = pad * prev_phi_orig + (1.0 - pad) * next_phi
        return (next_phi, next_emit), (next_phi, next_emit)

    steps = (logprobs_emit, logprobs_phi, output_paddings.transpose((1, 0)))
    _, (logalpha_phi, logalpha_emit) = lax.scan(loop_body,
                                                (logalpha_phi_init, logalpha_emit_init), steps)
    logalpha_phi_last = update_phi_score(logalpha_phi[-1], logalpha_emit[-1])
    one_hot_lengths = jnn.one_hot(label_lengths, num_classes=max_label_length + 1,
                                  dtype=logalpha_phi_last.dtype)
    return -jnp.einsum("bn,bn->b", logalpha_phi_last, one_hot_lengths)


def _ctc_greedy_decode(inputs, sequence_lengths, merge_repeated, mask_index):
    sequence_lengths = tensor(sequence_lengths, dtype="int32")
    batch_size, max_length, num_classes = inputs.shape
    if mask_index is None:
        mask_index = num_classes - 1
    indices = jnp.argmax(inputs, axis=-1)
    scores = jnp.max(inputs, axis=-1)
    beyond = jnp.arange(max_length)[None, :] >= sequence_lengths[:, None]
    indices = jnp.where(beyond, mask_index, indices)
    scores = jnp.where(beyond, 0.0, scores)
    if merge_repeated:
        repeated = jnp.pad(indices[:, 1:] == indices[:, :-1], ((0, 0), (1, 0)))
        indices = jnp.where(repeated, mask_index, indices)
    blank = indices == mask_index
    indices = jnp.where(blank, -1, indices)
    order = jnp.tile(jnp.expand_dims(jnp.arange(max_length), axis=0), (batch_size, 1))
    order = jnp.argsort(jnp.where(blank, max_length, order), axis=-1)
    indices = jnp.take_along_axis(indices, order, axis=-1)
    scores = -jnp.sum(scores, axis=1)[:, None]
    return jnp.expand_dims(indices, axis=0), scores


def _ctc_beam_search_decode(inputs, sequence_lengths, beam_width, top_paths, mask_index):
    sequence_lengths = tensor(sequence_lengths)
    batch_size, max_seq_len, num_classes = inputs.shape
    inputs = jnn.log_softmax(inputs)
    seqlen_mask = jnp.arange(max_seq_len)[None, :] >= sequence_lengths[:, None]
    if mask_index is None:
        mask_index = num_classes - 1
    # Classes flipped so that ties break as TensorFlow's decoder does (Keras's workaround).
    inputs = jnp.flip(inputs, axis=2)
    mask_index = num_classes - mask_index - 1
    pad = -1

    init_paths = jnp.full((batch_size, 2 * beam_width, max_seq_len), pad, dtype=jnp.int32)
    num_init_paths = min(num_classes, beam_width)
    max_classes = jnp.argsort(inputs[:, 0], axis=1)[:, -num_init_paths:]
    init_classes = jnp.where(max_classes == mask_index, pad, max_classes)
    init_paths = init_paths.at[:, :num_init_paths, 0].set(init_classes)
    init_scores = (jnp.full((batch_size, 2 * beam_width), -jnp.inf, dtype=inputs.dtype)
                   .at[:, :num_init_paths]
                   .set(jnp.take_along_axis(inputs[:, 0], max_classes, axis=1)))
    init_masked = init_paths[:, :, 0] == pad

    def extend_paths(paths, scores, masked, x):
        paths = jnp.repeat(paths, num_classes, axis=0)
        scores = jnp.repeat(scores, num_classes)
        masked = jnp.repeat(masked, num_classes)
        path_tail_index = jnp.argmax(paths == pad, axis=1)
        paths_arange = jnp.arange(2 * beam_width * num_classes)
        path_tails = paths[paths_arange, path_tail_index - 1]
        path_tails = jnp.where(path_tail_index == 0, pad, path_tails)
        classes = jnp.arange(num_classes).at[mask_index].set(pad)
        classes = jnp.tile(classes, 2 * beam_width)
        prev_masked = masked
        masked = classes == pad
        masked_repeat = ~prev_masked & (path_tails == classes)
        classes = jnp.where(masked_repeat, pad, classes)
        paths = paths.at[paths_arange, path_tail_index].set(classes)
        return paths, scores + jnp.tile(x, 2 * beam_width), masked

    def merge_scores(unique_inverse, scores):
        scores_max = jnp.max(scores)
        scores_exp = jnp.exp(scores - scores_max)
        scores = jnp.zeros_like(scores).at[unique_inverse].add(scores_exp)
        return jnp.log(scores) + scores_max

    def unique_paths(paths):
        paths, unique_inverse = jnp.unique(paths, return_inverse=True,
                                           size=2 * num_classes * beam_width, axis=0,
                                           fill_value=pad)
        if unique_inverse.ndim >= 2:
            unique_inverse = jnp.squeeze(unique_inverse, axis=1)
        return paths, unique_inverse

    def prune_paths(paths, scores, masked):
        paths, unique_inverse = unique_paths(paths)
        emit_scores = merge_scores(unique_inverse, jnp.where(masked, -jnp.inf, scores))
        mask_scores = merge_scores(unique_inverse, jnp.where(masked, scores, -jnp.inf))
        total_scores = jnp.logaddexp(emit_scores, mask_scores)
        top_indices = jnp.argsort(total_scores)[-beam_width:]
        paths = jnp.tile(paths[top_indices], (2, 1))
        scores = jnp.concatenate([emit_scores[top_indices], mask_scores[top_indices]])
        masked = jnp.concatenate([jnp.zeros(beam_width, bool), jnp.ones(beam_width, bool)])
        return paths, scores, masked

    def decode_step(paths, scores, masked, x):
        return prune_paths(*extend_paths(paths, scores, masked, x))

    def step(prev, x):
        paths, scores, masked = prev
        x, beyond = x
        paths, scores, masked = lax.cond(beyond, lambda p, s, m, x: (p, s, m), decode_step,
                                         paths, scores, masked, x)
        return (paths, scores, masked), None

    def decode_batch(init_paths, init_scores, init_masked, inputs, seqlen_mask):
        (paths, scores, masked), _ = lax.scan(step, (init_paths, init_scores, init_masked),
                                              (inputs[1:], seqlen_mask[1:]))
        paths, unique_inverse = unique_paths(paths)
        scores = merge_scores(unique_inverse, scores)
        top_indices = jnp.argsort(scores)[-top_paths:][::-1]
        return paths[top_indices], scores[top_indices]

    paths, scores = jax.vmap(decode_batch)(init_paths, init_scores, init_masked, inputs,
                                           seqlen_mask)
    paths = jnp.where(paths == pad, pad, num_classes - paths - 1)
    return jnp.transpose(paths, [1, 0, 2]), scores


@keras_op()
@compiled
def ctc_decode(inputs, sequence_lengths, strategy="greedy", beam_width=100, top_paths=1,
               merge_repeated=True, mask_index=0):
    """Decode CTC outputs `(batch, time, classes)`: ("greedy" or "beam_search") paths, scores.

    Returns:
        `(paths, scores)`: paths `(top_paths, batch, time)` padded with -1, and the
        negative sum of greedy scores `(batch, 1)` or the beam log-probabilities
        `(batch, top_paths)`.
    """
    inputs = tensor(inputs)
    inputs = inputs.astype(jnp.result_type(inputs.dtype, "float32"))
    if strategy == "greedy":
        return _ctc_greedy_decode(inputs, sequence_lengths, merge_repeated, mask_index)
    if strategy == "beam_search":
        return _ctc_beam_search_decode(inputs, sequence_lengths, beam_width, top_paths,
                                       mask_index)
    raise ValueError(f"ctc_decode: invalid strategy {strategy!r} (expected 'greedy' or "
                     "'beam_search').")


@keras_op()
def psnr(x1, x2, max_val):
    """The peak signal-to-noise ratio, in dB, of `x2` against `x1`."""
    x1, x2 = tensor(x1), tensor(x2)
    if x1.shape != x2.shape:
        raise ValueError(f"psnr: input shapes {x1.shape} and {x2.shape} must match.")
    max_val = tensor(max_val, dtype=x2.dtype)
    mse = jnp.mean(jnp.square(x1 - x2))
    return 20 * jnp.log10(max_val) - 10 * jnp.log10(mse)
