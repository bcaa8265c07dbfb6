"""`pad_sequences`: lists of variable-length sequences to one array (Keras's rules)."""

from __future__ import annotations

import numpy as np


def pad_sequences(sequences, maxlen: int | None = None, dtype="int32", padding: str = "pre",
                  truncating: str = "pre", value=0.0) -> np.ndarray:
    """Pad (or cut) every sequence to `maxlen` (default: the longest) as Keras does.

    Args:
        sequences: a list of sequences (lists or arrays; items may be vectors).
        maxlen: the length of the result's second axis.
        dtype: of the result (`"int32"` by default, as Keras).
        padding, truncating: "pre" (default) or "post": where values are added or cut.
        value: the padding value.

    Example:
        >>> pad_sequences([[1, 2, 3], [4]], maxlen=2)
        array([[2, 3],
               [0, 4]], dtype=int32)
    """
    for name, given in (("padding", padding), ("truncating", truncating)):
        if given not in ("pre", "post"):
            raise ValueError(f'pad_sequences: `{name}` must be "pre" or "post"; got {given!r}.')
    if not hasattr(sequences, "__len__"):
        raise ValueError("pad_sequences: `sequences` must be a list of iterables; got "
                         f"{type(sequences).__name__}.")
    rows = [np.asarray(s) for s in sequences]
    lengths = [len(r) for r in rows]
    if maxlen is None:
        maxlen = max(lengths, default=0)
    item_shape = next((r.shape[1:] for r in rows if len(r)), ())
    out = np.full((len(rows), maxlen) + tuple(item_shape), value, dtype=dtype)
    for i, row in enumerate(rows):
        if not len(row) or not maxlen:
            continue
        cut = row[-maxlen:] if truncating == "pre" else row[:maxlen]
        if cut.shape[1:] != tuple(item_shape):
            raise ValueError(f"pad_sequences: item {i} has items of shape {cut.shape[1:]}, "
                             f"expected {tuple(item_shape)} like the others.")
        if padding == "post":
            out[i, :len(cut)] = cut
        else:
            out[i, -len(cut):] = cut
    return out
