"""`keras.ops.nn`: activations, convolutions and pooling, normalizations, losses, attention.

Keras 3's `keras/src/ops/nn.py` as its JAX backend runs it. Image-like ops
take Keras's layouts: inputs `(batch, *spatial, channels)` ("channels_last",
the default) or `(batch, channels, *spatial)`, kernels `(*spatial, in, out)`.
"""

from __future__ import annotations

import math
import warnings

import jax
import jax.numpy as jnp
from jax import lax
from jax import nn as jnn

from hoarfrost.ops._operation import compiled, keras_op, standardize_data_format
from hoarfrost.ops._operation import epsilon as config_epsilon
from hoarfrost.ops._operation import standardize_dtype, tensor

__all__ = [
    "adaptive_average_pool", "adaptive_max_pool", "average_pool", "batch_normalization",
    "binary_crossentropy", "categorical_crossentropy", "celu", "conv", "conv_transpose",
    "ctc_decode", "ctc_loss", "depth_to_space", "depthwise_conv", "dot_product_attention", "elu",
    "fold", "gelu", "glu", "hard_shrink", "hard_sigmoid", "hard_silu", "hard_swish", "hard_tanh",
    "layer_normalization", "leaky_relu", "log_sigmoid", "log_softmax", "max_pool", "moments",
    "multi_hot", "normalize", "one_hot", "polar", "psnr", "relu", "relu6", "rms_normalization",
    "selu", "separable_conv", "sigmoid", "silu", "soft_shrink", "softmax", "softplus",
    "softsign", "space_to_depth", "sparse_categorical_crossentropy", "sparse_plus",
    "sparse_sigmoid", "sparsemax", "squareplus", "swish", "tanh_shrink", "threshold", "unfold",
]


# ---- activations -------------------------------------------------------------------------

@keras_op()
def relu(x):
    """`max(x, 0)`."""
    return jnn.relu(tensor(x))


@keras_op()
def relu6(x):
    """`min(max(x, 0), 6)`."""
    return jnn.relu6(tensor(x))


@keras_op()
def sigmoid(x):
    """`1 / (1 + exp(-x))`."""
    return jnn.sigmoid(tensor(x))


@keras_op()
def sparse_sigmoid(x):
    """0 below -1, 1 above 1, `(x + 1) / 2` between."""
    return jnn.sparse_sigmoid(tensor(x))


@keras_op()
def softplus(x):
    """`log(1 + exp(x))`."""
    return jnn.softplus(tensor(x))


@keras_op()
def softsign(x):
    """`x / (1 + |x|)`."""
    return jnn.soft_sign(tensor(x))


@keras_op()
def soft_shrink(x, threshold=0.5):
    """`x - threshold` above `threshold`, `x + threshold` below `-threshold`, else 0."""
    x = tensor(x)
    return jnp.where(x > threshold, x - threshold, jnp.where(x < -threshold, x + threshold, 0.0))


@keras_op()
def sparse_plus(x):
    """0 below -1, `x` above 1, `(x + 1) ** 2 / 4` between."""
    return jnn.sparse_plus(tensor(x))


@keras_op()
def silu(x):
    """`x * sigmoid(x)` (also called swish)."""
    return jnn.silu(tensor(x))


swish = silu


@keras_op()
def squareplus(x, b=4):
    """`(x + sqrt(x ** 2 + b)) / 2`."""
    return jnn.squareplus(tensor(x), b=b)


@keras_op()
def log_sigmoid(x):
    """`log(sigmoid(x))`, computed stably."""
    return jnn.log_sigmoid(tensor(x))


@keras_op()
def leaky_relu(x, negative_slope=0.2):
    """`x` for positive `x`, else `negative_slope * x`."""
    return jnn.leaky_relu(tensor(x), negative_slope=negative_slope)


@keras_op()
def hard_sigmoid(x):
    """`relu6(x + 3) / 6`."""
    return jnn.hard_sigmoid(tensor(x))


@keras_op()
def hard_silu(x):
    """`x * hard_sigmoid(x)` (also called hard swish)."""
    return jnn.hard_silu(tensor(x))


hard_swish = hard_silu


@keras_op()
def elu(x, alpha=1.0):
    """`x` for positive `x`, else `alpha * (exp(x) - 1)`."""
    return jnn.elu(tensor(x), alpha=alpha)


@keras_op()
def selu(x):
    """The scaled ELU of Klambauer et al. (2017)."""
    return jnn.selu(tensor(x))


@keras_op()
def gelu(x, approximate=True):
    """The Gaussian error linear unit (its tanh approximation by default)."""
    return jnn.gelu(tensor(x), approximate)


@keras_op()
def celu(x, alpha=1.0):
    """`max(x, 0) + min(0, alpha * (exp(x / alpha) - 1))`."""
    return jnn.celu(tensor(x), alpha=alpha)


@keras_op()
def glu(x, axis=-1):
    """`a * sigmoid(b)`, `x` split in halves `a`, `b` along `axis`."""
    return jnn.glu(tensor(x), axis=axis)


@keras_op()
def tanh_shrink(x):
    """`x - tanh(x)`."""
    x = tensor(x)
    return x - jnp.tanh(x)


@keras_op()
def hard_tanh(x):
    """`x` clipped to [-1, 1]."""
    return jnn.hard_tanh(tensor(x))


@keras_op()
def hard_shrink(x, threshold=0.5):
    """`x` where `|x| > threshold`, else 0."""
    x = tensor(x)
    return jnp.where(jnp.abs(x) > threshold, x, 0.0)


@keras_op()
def threshold(x, threshold, default_value):
    """`x` where `x > threshold`, else `default_value`."""
    x = tensor(x)
    return jnp.where(x > threshold, x, default_value)


def _over_axes(fn, x, axis):
    """`fn(..., axis=-1)` over several axes at once, as Keras does: moved last, merged."""
    keep = [v for v in range(x.ndim) if v not in axis]
    moved = jnp.transpose(x, (*keep, *axis))
    out = fn(jnp.reshape(moved, (*[x.shape[v] for v in keep], -1)), axis=-1)
    out = jnp.reshape(out, moved.shape)
    order = [*keep, *axis]
    return jnp.transpose(out, sorted(range(len(order)), key=order.__getitem__))


@keras_op()
def softmax(x, axis=-1):
    """`exp(x) / sum(exp(x))` along `axis` (an int or a tuple of ints)."""
    x = tensor(x)
    if isinstance(axis, int) and -x.ndim <= axis < x.ndim and x.shape[axis] == 1:
        warnings.warn(f"You are using a softmax over axis {axis} of a tensor of shape "
                      f"{x.shape}. This axis has size 1. The softmax operation will always "
                      "return the value 1, which is likely not what you intended. Did you mean "
                      "to use a sigmoid instead?", stacklevel=2)
    if isinstance(axis, tuple):
        return _over_axes(jnn.softmax, x, axis)
    return jnn.softmax(x, axis=axis)


@keras_op()
def log_softmax(x, axis=-1):
    """`log(softmax(x))` along `axis`, computed stably."""
    x = tensor(x)
    if isinstance(axis, tuple):
        return _over_axes(jnn.log_softmax, x, axis)
    return jnn.log_softmax(x, axis=axis)


@keras_op()
@compiled
def sparsemax(x, axis=-1):
    """The sparse softmax of Martins & Astudillo (2016): a projection onto the simplex."""
    logits = tensor(x)
    logits_sorted = -1.0 * jnp.sort(logits * -1.0, axis=axis)
    logits_cumsum = jnp.cumsum(logits_sorted, axis=axis)
    r_shape = [1] * logits.ndim
    r_shape[axis] = -1
    r = jnp.arange(1, logits.shape[axis] + 1).reshape(r_shape)
    support = logits_sorted - (logits_cumsum - 1) / r > 0
    k = jnp.sum(support, axis=axis, keepdims=True)
    cumsum_safe = jnp.where(support, logits_cumsum, 0.0)
    tau = (jnp.sum(cumsum_safe, axis=axis, keepdims=True) - 1) / k
    return jnp.maximum(logits - tau, 0.0)


# ---- pooling -----------------------------------------------------------------------------

def _spatial(value, num_spatial_dims: int) -> tuple:
    return (value,) * num_spatial_dims if isinstance(value, int) else tuple(value)


def _with_batch_and_channels(value: tuple, data_format: str) -> tuple:
    return (1,) + value + (1,) if data_format == "channels_last" else (1, 1) + value


def _windows(inputs, pool_size, strides, padding, data_format):
    """Keras's pooling arguments as `lax.reduce_window`'s window, strides and padding."""
    padding = padding.lower()
    if padding not in ("same", "valid"):
        raise ValueError(f"Invalid padding {padding!r}, must be 'same' or 'valid'.")
    n = inputs.ndim - 2
    window = _with_batch_and_channels(_spatial(pool_size, n), data_format)
    if strides is not None:
        strides = _with_batch_and_channels(_spatial(strides, n), data_format)
    return window, window if strides is None else strides, padding.upper()


@keras_op()
def max_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    """The maximum of each `pool_size` window, every `strides` (`pool_size` by default)."""
    inputs = tensor(inputs)
    window, strides, padding = _windows(inputs, pool_size, strides, padding,
                                        standardize_data_format(data_format))
    return lax.reduce_window(inputs, -jnp.inf, lax.max, window, strides, padding)


@keras_op()
def average_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    """The mean of each `pool_size` window ("same" padding averages the valid entries only)."""
    inputs = tensor(inputs)
    window, strides, padding = _windows(inputs, pool_size, strides, padding,
                                        standardize_data_format(data_format))
    pooled = lax.reduce_window(inputs, 0.0, lax.add, window, strides, padding)
    if padding == "VALID":
        return pooled / math.prod(window)
    shape = [(a if b != 1 else 1) for a, b in zip(inputs.shape, window)]
    counts = lax.reduce_window(jnp.ones(shape, inputs.dtype), 0.0, lax.add, window, strides,
                               padding)
    return pooled / counts


def _adaptive_pool(inputs, output_size, data_format, initial, reduce_fn, average: bool):
    """Keras's two-pool gather: per spatial axis, windows of two sizes, gathered in order."""
    data_format = standardize_data_format(data_format)
    inputs = tensor(inputs)
    n = inputs.ndim - 2
    if n not in (1, 2, 3):
        raise ValueError(f"adaptive pooling supports 1D/2D/3D inputs, got rank {inputs.ndim}.")
    output_size = _spatial(output_size, n)
    x = jnp.moveaxis(inputs, 1, -1) if data_format == "channels_first" else inputs
    for i, out in enumerate(output_size):
        axis, length = i + 1, x.shape[i + 1]
        small = math.ceil(length / out)
        big = small + 1
        starts = jnp.floor(jnp.arange(out) * length / out).astype(jnp.int32)
        ends = jnp.ceil(jnp.arange(1, out + 1) * length / out).astype(jnp.int32)
        gather = jnp.where(ends - starts == big, starts + length - small + 1, starts)
        pools = []
        for size in (small, big):
            window = [1] * x.ndim
            window[axis] = size
            pooled = lax.reduce_window(x, initial, reduce_fn, window, (1,) * x.ndim, "valid")
            pools.append(pooled / size if average else pooled)
        x = jnp.take(jnp.concatenate(pools, axis=axis), gather.astype(jnp.int32), axis=axis)
    return jnp.moveaxis(x, -1, 1) if data_format == "channels_first" else x


@keras_op()
@compiled
def adaptive_average_pool(inputs, output_size, data_format=None):
    """Average pooling to a fixed `output_size`, whatever the input's spatial size."""
    return _adaptive_pool(inputs, output_size, data_format, 0.0, lax.add, average=True)


@keras_op()
@compiled
def adaptive_max_pool(inputs, output_size, data_format=None):
    """Max pooling to a fixed `output_size`, whatever the input's spatial size."""
    return _adaptive_pool(inputs, output_size, data_format, -jnp.inf, lax.max, average=False)


# ---- convolutions ------------------------------------------------------------------------

def _dimension_numbers(num_spatial_dims: int, data_format: str):
    num_dims = num_spatial_dims + 2
    if data_format == "channels_last":
        inputs_spec = (0, num_dims - 1) + tuple(range(1, num_dims - 1))
    else:
        inputs_spec = (0, 1) + tuple(range(2, num_dims))
    kernel_spec = (num_dims - 1, num_dims - 2) + tuple(range(num_dims - 2))
    return lax.ConvDimensionNumbers(lhs_spec=inputs_spec, rhs_spec=kernel_spec,
                                    out_spec=inputs_spec)


def _channels(inputs, data_format: str) -> int:
    return inputs.shape[-1] if data_format == "channels_last" else inputs.shape[1]


def _check_padding(padding: str) -> str:
    padding = padding.lower()
    if padding not in ("valid", "same"):
        raise ValueError(f"`padding` must be 'valid' or 'same', got {padding!r}.")
    return padding


@keras_op()
def conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    """N-D convolution; a kernel `(*spatial, in / groups, out)` convolves channel groups."""
    data_format = standardize_data_format(data_format)
    padding = _check_padding(padding)
    kernel = tensor(kernel)
    inputs = tensor(inputs, dtype=kernel.dtype)
    n = inputs.ndim - 2
    channels, kernel_in = _channels(inputs, data_format), kernel.shape[-2]
    if channels % kernel_in:
        raise ValueError("conv: the number of input channels must be divisible by the kernel's "
                         f"in_channels, got {channels} and {kernel_in}.")
    result = lax.conv_general_dilated(
        inputs, kernel, _spatial(strides, n), padding.upper(),
        rhs_dilation=_spatial(dilation_rate, n),
        dimension_numbers=_dimension_numbers(n, data_format),
        feature_group_count=channels // kernel_in)
    if result.size == 0 and inputs.size != 0:
        raise ValueError("conv: the convolution's output is empty: the input is too small for "
                         "the kernel size, strides, dilation rate and padding.")
    return result


def _check_in_channels(inputs, kernel, data_format, kernel_axis):
    channels, kernel_in = _channels(inputs, data_format), kernel.shape[kernel_axis]
    if channels != kernel_in:
        raise ValueError("The number of input channels must match the kernel's input channels, "
                         f"got input channels={channels}, kernel input channels={kernel_in}, "
                         f"data_format={data_format!r}.")


@keras_op()
def depthwise_conv(inputs, kernel, strides=1, padding="valid", data_format=None,
                   dilation_rate=1):
    """Depthwise convolution: a kernel `(*spatial, in, multiplier)` per input channel."""
    data_format = standardize_data_format(data_format)
    padding = _check_padding(padding)
    inputs, kernel = tensor(inputs), tensor(kernel)
    _check_in_channels(inputs, kernel, data_format, -2)
    n = inputs.ndim - 2
    groups = _channels(inputs, data_format)
    kernel = jnp.reshape(kernel, kernel.shape[:-2] + (1, groups * kernel.shape[-1]))
    return lax.conv_general_dilated(
        inputs, kernel, _spatial(strides, n), padding.upper(),
        rhs_dilation=_spatial(dilation_rate, n),
        dimension_numbers=_dimension_numbers(n, data_format), feature_group_count=groups)


@keras_op()
def separable_conv(inputs, depthwise_kernel, pointwise_kernel, strides=1, padding="valid",
                   data_format=None, dilation_rate=1):
    """A depthwise convolution followed by a 1x1 (pointwise) convolution."""
    data_format = standardize_data_format(data_format)
    inputs, depthwise_kernel = tensor(inputs), tensor(depthwise_kernel)
    _check_in_channels(inputs, depthwise_kernel, data_format, -2)
    hidden = depthwise_conv(inputs, depthwise_kernel, strides, padding, data_format,
                            dilation_rate)
    return conv(hidden, pointwise_kernel, strides=1, padding="valid", data_format=data_format,
                dilation_rate=dilation_rate)


def _transpose_padding(kernel_size, stride, dilation_rate, padding, output_padding):
    """Keras's conv-transpose padding, as JAX's (left, right) pads of the dilated input."""
    kernel_size = (kernel_size - 1) * dilation_rate + 1
    if padding == "valid":
        if output_padding is None:
            output_padding = max(kernel_size, stride) - kernel_size
        return kernel_size - 1, kernel_size - 1 + output_padding
    if output_padding is None:
        pad_len = stride + kernel_size - 2
    else:
        pad_len = kernel_size + kernel_size % 2 - 2 + output_padding
    left = min(pad_len // 2 + pad_len % 2, kernel_size - 1)
    return left, pad_len - left


@keras_op()
def conv_transpose(inputs, kernel, strides=1, padding="valid", output_padding=None,
                   data_format=None, dilation_rate=1):
    """Transposed convolution; kernel `(*spatial, out, in)`, output sized as Keras's layers."""
    data_format = standardize_data_format(data_format)
    padding = _check_padding(padding)
    inputs, kernel = tensor(inputs), tensor(kernel)
    _check_in_channels(inputs, kernel, data_format, -1)
    n = inputs.ndim - 2

    def per_axis(value, i):
        return value if value is None or isinstance(value, int) else value[i]

    pads = [_transpose_padding(kernel.shape[i], per_axis(strides, i), per_axis(dilation_rate, i),
                               padding, per_axis(output_padding, i)) for i in range(n)]
    return lax.conv_transpose(inputs, kernel, _spatial(strides, n), padding=pads,
                              rhs_dilation=_spatial(dilation_rate, n),
                              dimension_numbers=_dimension_numbers(n, data_format),
                              transpose_kernel=True)


# ---- encodings ---------------------------------------------------------------------------

@keras_op()
def one_hot(x, num_classes, axis=-1, dtype=None, sparse=False):
    """One-hot vectors of `num_classes` along `axis` (negative indices: all zeros)."""
    if sparse:
        raise ValueError("one_hot: `sparse=True` is not supported: hoarfrost's tensors are dense.")
    return jnn.one_hot(tensor(x), num_classes, axis=axis, dtype=standardize_dtype(dtype))


@keras_op()
def multi_hot(inputs, num_classes=None, axis=-1, dtype=None, sparse=False, **kwargs):
    """Multi-hot vectors: 1 for each class present in a row of `inputs`."""
    if num_classes is None and "num_tokens" in kwargs:
        num_classes = kwargs.pop("num_tokens")
    if kwargs:
        raise TypeError(f"multi_hot: unexpected arguments {sorted(kwargs)}.")
    if num_classes is None:
        raise ValueError("multi_hot: argument `num_classes` must be specified.")
    if sparse:
        raise ValueError("multi_hot: `sparse=True` is not supported: hoarfrost's tensors are "
                         "dense.")
    x = tensor(inputs)
    reduction_axis = 1 if x.ndim > 1 else 0
    encoded = jnn.one_hot(x.astype("int32"), num_classes, axis=axis,
                          dtype=standardize_dtype(dtype))
    return jnp.max(encoded, axis=reduction_axis)


# ---- losses ------------------------------------------------------------------------------

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


# ---- normalization -----------------------------------------------------------------------

@keras_op()
def moments(x, axes, keepdims=False, synchronized=False):
    """The mean and variance of `x` over `axes` (float16 computed in float32)."""
    if synchronized:
        raise NotImplementedError("moments: `synchronized=True` is not supported with JAX (as "
                                  "in Keras).")
    x = tensor(x)
    original = standardize_dtype(x.dtype)
    low_precision = original in ("float16", "bfloat16")
    if low_precision:
        x = x.astype("float32")
    mean = jnp.mean(x, axes, keepdims=True)
    variance = jnp.var(x, axis=axes, keepdims=True)
    if not keepdims:
        mean, variance = jnp.squeeze(mean, axes), jnp.squeeze(variance, axes)
    if low_precision:
        low, high = jnp.finfo(jnp.float16).min, jnp.finfo(jnp.float16).max
        mean = jnp.clip(mean, low, high).astype(original)
        variance = jnp.clip(variance, low, high).astype(original)
    return mean, variance


@keras_op()
def batch_normalization(x, mean, variance, axis, offset=None, scale=None, epsilon=1e-3):
    """`(x - mean) / sqrt(variance + epsilon) * scale + offset`, statistics along `axis`."""
    x, mean, variance = tensor(x), tensor(mean), tensor(variance)
    shape = [1] * x.ndim
    shape[axis] = mean.shape[0]
    mean, variance = jnp.reshape(mean, shape), jnp.reshape(variance, shape)
    inv = lax.rsqrt(variance + epsilon)
    if scale is not None:
        inv = inv * jnp.reshape(tensor(scale), shape)
    res = -mean * inv
    if offset is not None:
        res = res + jnp.reshape(tensor(offset), shape)
    return jnp.add(x * inv, res)


@keras_op()
def normalize(x, axis=-1, order=2, epsilon=None):
    """`x` divided by its `order`-norm along `axis` (at least `epsilon`)."""
    if not isinstance(order, int) or not order >= 1:
        raise ValueError(f"normalize: `order` must be an int >= 1, got {order!r}.")
    x = tensor(x)
    if x.ndim == 0:
        x = jnp.expand_dims(x, axis=0)
    epsilon = config_epsilon() if epsilon is None else epsilon
    if order == 2:
        square_sum = jnp.sum(jnp.square(x), axis=axis, keepdims=True)
        return x * jnp.minimum(lax.rsqrt(square_sum), 1.0 / epsilon)
    norm = jnp.linalg.norm(x, ord=order, axis=axis, keepdims=True)
    return jnp.divide(x, jnp.maximum(norm, epsilon))


@keras_op()
@compiled
def rms_normalization(x, scale=None, axis=-1, epsilon=None):
    """`x / sqrt(mean(x ** 2) + epsilon) * scale` along `axis`, computed in float32 or wider."""
    epsilon = config_epsilon() if epsilon is None else epsilon
    x = tensor(x)
    original = x.dtype
    x = x.astype(jnp.result_type(x.dtype, "float32"))
    if isinstance(axis, (tuple, list)):
        axis = tuple(sorted(axis))
    if x.ndim == 0:
        x = jnp.expand_dims(x, axis=0)
    outputs = x * lax.rsqrt(jnp.mean(jnp.square(x), axis=axis, keepdims=True) + epsilon)
    if scale is not None:
        outputs = outputs * tensor(scale, x.dtype)
    return outputs.astype(original)


@keras_op()
@compiled
def layer_normalization(x, gamma=None, beta=None, axis=-1, epsilon=None, **kwargs):
    """`(x - mean) / sqrt(var + epsilon) * gamma + beta`, statistics along `axis`."""
    rms_scaling = kwargs.pop("rms_scaling", False)
    if kwargs:
        raise TypeError(f"layer_normalization: unexpected arguments {sorted(kwargs)}.")
    if rms_scaling:
        warnings.warn("You passed `rms_scaling=True`, which is deprecated. This argument "
                      "incorrectly scales the input by the variance, not the root mean square. "
                      "To correctly use RMS Normalization, please use "
                      "`hoarfrost.ops.rms_normalization` instead.", stacklevel=2)
    epsilon = config_epsilon() if epsilon is None else epsilon
    x = tensor(x)
    original = x.dtype
    x = x.astype(jnp.result_type(x.dtype, "float32"))
    gamma = None if gamma is None else tensor(gamma, x.dtype)
    beta = None if beta is None else tensor(beta, x.dtype)
    axis = sorted([axis] if isinstance(axis, int) else axis)
    broadcast_shape = [1] * x.ndim
    for dim in axis:
        broadcast_shape[dim] = x.shape[dim]

    def broadcast(v):
        if v is not None and v.ndim != x.ndim and axis != [x.ndim - 1]:
            return jnp.reshape(v, broadcast_shape)
        return v

    if rms_scaling:
        outputs = x * lax.rsqrt(jnp.var(x, axis=axis, keepdims=True) + epsilon)
        if gamma is not None:
            outputs = outputs * broadcast(gamma).astype(x.dtype)
    else:
        mean, variance = moments(x, axes=axis, keepdims=True)
        gamma, beta = broadcast(gamma), broadcast(beta)
        inv = lax.rsqrt(variance + epsilon)
        if gamma is not None:
            inv = inv * gamma
        res = -mean * inv
        if beta is not None:
            res = res + beta
        outputs = x * inv + res
    return outputs.astype(original)


# ---- other -------------------------------------------------------------------------------

@keras_op()
def polar(abs_, angle):
    """The complex number `abs_ * (cos(angle) + i sin(angle))`."""
    abs_, angle = tensor(abs_), tensor(angle)
    real, imaginary = abs_ * jnp.cos(angle), abs_ * jnp.sin(angle)
    if real.shape != imaginary.shape:
        raise ValueError(f"polar: the parts have different shapes, {real.shape} and "
                         f"{imaginary.shape}.")
    if not jnp.issubdtype(real.dtype, jnp.floating):
        raise ValueError(f"polar: expected float inputs, got {real.dtype}.")
    return lax.complex(real, imaginary)


@keras_op()
def psnr(x1, x2, max_val):
    """The peak signal-to-noise ratio, in dB, of `x2` against `x1`."""
    x1, x2 = tensor(x1), tensor(x2)
    if x1.shape != x2.shape:
        raise ValueError(f"psnr: input shapes {x1.shape} and {x2.shape} must match.")
    max_val = tensor(max_val, dtype=x2.dtype)
    mse = jnp.mean(jnp.square(x1 - x2))
    return 20 * jnp.log10(max_val) - 10 * jnp.log10(mse)


@keras_op()
@compiled
def dot_product_attention(query, key, value, bias=None, mask=None, scale=None, is_causal=False,
                          flash_attention=None, attn_logits_soft_cap=None):
    """`softmax(query @ key^T * scale + bias, masked) @ value`, inputs `(batch, time, heads, dim)`.

    Args:
        mask: a boolean mask broadcastable to `(batch, heads, query time, key time)`;
            False entries are left out.
        scale: the logits' scale (`1 / sqrt(dim)` by default).
        is_causal: also mask every key after its query.
        flash_attention: None (XLA's attention), True (cuDNN's fused attention, on a
            GPU that has it, else an error), or False.
        attn_logits_soft_cap: only on TPU in Keras; an error here.
    """
    if attn_logits_soft_cap is not None:
        raise ValueError("attn_logits_soft_cap is only supported for JAX on TPU. Set "
                         "attn_logits_soft_cap=None when not using JAX on TPU.")
    query, key, value = tensor(query), tensor(key), tensor(value)
    if query.ndim != 4 or key.ndim != 4 or value.ndim != 4:
        raise ValueError("dot_product_attention only supports 4D inputs, got "
                         f"query.shape={query.shape}, key.shape={key.shape}, "
                         f"value.shape={value.shape}.")
    compute_dtype = jnp.result_type(query.dtype, key.dtype, value.dtype)
    query, key, value = (t.astype(compute_dtype) for t in (query, key, value))
    if bias is not None:
        bias = tensor(bias, dtype=compute_dtype)
    implementation = "cudnn" if flash_attention else "xla"
    return jnn.dot_product_attention(query, key, value, bias=bias, mask=mask, scale=scale,
                                     is_causal=is_causal, implementation=implementation)


def _pair_of(value):
    return (value, value) if isinstance(value, int) else tuple(value)


@keras_op()
@compiled
def unfold(x, kernel_size, dilation=1, padding=0, stride=1):
    """The sliding blocks of a `(N, C, H, W)` tensor as columns `(N, C * kh * kw, L)` (im2col)."""
    x = tensor(x)
    if x.ndim != 4:
        raise ValueError(f"unfold: input must be a 4D tensor, got shape {x.shape}.")
    kernel, dilation, pad, stride = (_pair_of(v) for v in (kernel_size, dilation, padding,
                                                            stride))
    if any(p > 0 for p in pad):
        x = jnp.pad(x, ((0, 0), (0, 0), (pad[0], pad[0]), (pad[1], pad[1])))
    patches = lax.conv_general_dilated_patches(x, filter_shape=kernel, window_strides=stride,
                                               padding="VALID", rhs_dilation=dilation,
                                               dimension_numbers=("NCHW", "OIHW", "NCHW"))
    n, ckk, out_h, out_w = patches.shape
    return patches.reshape(n, ckk, out_h * out_w)


@keras_op()
@compiled
def fold(x, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """The inverse of `unfold` (col2im): columns summed back into `(N, C, H, W)`."""
    x = tensor(x)
    if x.ndim != 3:
        raise ValueError(f"fold: input must be a 3D tensor, got shape {x.shape}.")
    (out_h, out_w), (kh, kw), (dh, dw), (ph, pw), (sh, sw) = (
        _pair_of(v) for v in (output_size, kernel_size, dilation, padding, stride))
    n, ckk, _ = x.shape
    channels = ckk // (kh * kw)
    blocks_h = (out_h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    blocks_w = (out_w + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    x = jnp.reshape(x, (n, ckk, blocks_h, blocks_w))
    kernel = jnp.eye(ckk, dtype=x.dtype).reshape(ckk, channels, kh, kw).transpose(2, 3, 0, 1)
    kernel = jnp.flip(kernel, axis=(0, 1))  # conv_transpose flips it back
    output = lax.conv_transpose(x, kernel, strides=(sh, sw), padding="VALID",
                                rhs_dilation=(dh, dw), dimension_numbers=("NCHW", "HWIO", "NCHW"))
    if ph > 0 or pw > 0:
        output = output[:, :, ph:out_h + ph, pw:out_w + pw]
    return output


@keras_op()
def depth_to_space(x, block_size, data_format="channels_last"):
    """Move channel blocks into `block_size` x `block_size` spatial blocks (pixel shuffle)."""
    data_format = standardize_data_format(data_format)
    if block_size < 2:
        raise ValueError(f"depth_to_space: `block_size` must be at least 2, got {block_size}.")
    x = tensor(x)
    b = block_size
    if data_format == "channels_last":
        n, h, w, c = x.shape
        x = jnp.reshape(x, (n, h, w, b, b, c // b ** 2)).transpose(0, 1, 3, 2, 4, 5)
        return jnp.reshape(x, (n, h * b, w * b, c // b ** 2))
    n, c, h, w = x.shape
    x = jnp.reshape(x, (n, c // b ** 2, b, b, h, w)).transpose(0, 1, 4, 2, 5, 3)
    return jnp.reshape(x, (n, c // b ** 2, h * b, w * b))


@keras_op()
def space_to_depth(x, block_size, data_format="channels_last"):
    """Move `block_size` x `block_size` spatial blocks into channels (pixel unshuffle)."""
    data_format = standardize_data_format(data_format)
    if block_size < 2:
        raise ValueError(f"space_to_depth: `block_size` must be at least 2, got {block_size}.")
    x = tensor(x)
    b = block_size
    if data_format == "channels_last":
        n, h, w, c = x.shape
        x = jnp.reshape(x, (n, h // b, b, w // b, b, c)).transpose(0, 1, 3, 2, 4, 5)
        return jnp.reshape(x, (n, h // b, w // b, c * b ** 2))
    n, c, h, w = x.shape
    x = jnp.reshape(x, (n, c, h // b, b, w // b, b)).transpose(0, 1, 3, 5, 2, 4)
    return jnp.reshape(x, (n, c * b ** 2, h // b, w // b))

