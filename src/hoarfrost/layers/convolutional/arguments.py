"""The convolution layers' argument checks (Keras's `standardize_tuple`,
`standardize_padding`, ...) and the output length of a convolution along one axis."""

from __future__ import annotations

import numpy as np

from hoarfrost.config import standardize_data_format


def normalize_tuple(value, n: int, name: str, owner: str, allow_zero: bool = False) -> tuple:
    """An int or a sequence of `n` ints as a tuple of `n` ints (Keras's `standardize_tuple`)."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        values = (int(value),) * n
    else:
        try:
            values = tuple(value)
        except TypeError:
            values = None
        if (values is None or len(values) != n
                or not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool)
                           for v in values)):
            raise ValueError(f"{owner}: `{name}` must be an integer or a tuple of {n} "
                             f"integers, got {value!r}.")
        values = tuple(int(v) for v in values)
    lowest = 0 if allow_zero else 1
    if any(v < lowest for v in values):
        raise ValueError(f"{owner}: `{name}` must hold integers >= {lowest}, got {value!r}.")
    return values


def normalize_padding(value, owner: str, allow_causal: bool = False) -> str:
    """`'valid'` or `'same'` (or `'causal'` where allowed), case-insensitive."""
    allowed = ("valid", "same", "causal") if allow_causal else ("valid", "same")
    padding = value.lower() if isinstance(value, str) else value
    if padding not in allowed:
        raise ValueError(f"{owner}: `padding` must be one of {', '.join(map(repr, allowed))}, "
                         f"got {value!r}.")
    return padding


def normalize_data_format(value, owner: str) -> str:
    """`'channels_last'` or `'channels_first'`; None is `config.image_data_format()`."""
    return standardize_data_format(value, owner)


def conv_output_length(length: int | None, kernel_size: int, padding: str, stride: int,
                       dilation: int = 1) -> int | None:
    """Keras's output length of a convolution along one axis (None stays None)."""
    if length is None:
        return None
    extent = (kernel_size - 1) * dilation + 1
    if padding == "valid":
        return (length - extent) // stride + 1
    return (length + stride - 1) // stride  # "same" and "causal" (already padded) alike


def _positive(value, name: str, owner: str) -> int:
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value <= 0:
        raise ValueError(f"{owner}: `{name}` must be a positive integer, got {value!r}.")
    return int(value)
