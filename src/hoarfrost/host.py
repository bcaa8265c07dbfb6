"""Values on the host, and the process that writes: below `variables`, usable everywhere.

Over several processes (`hoarfrost.distribution`), a value may be spread over
devices of other processes; `to_host` gathers it. Only process 0 prints
progress and writes files, as in Keras.
"""

from __future__ import annotations

import jax
import numpy as np


def to_host(value) -> np.ndarray:
    """`value` as a NumPy array, gathered first if other processes hold parts of it.

    A gather is a collective: over several processes, every process must
    make the same call (as `get_weights` or `save` in the same program do).
    """
    if (not isinstance(value, jax.Array) or value.is_fully_addressable
            or value.is_fully_replicated):
        return np.asarray(value)
    from jax.experimental import multihost_utils  # only multi-process runs need it
    return np.asarray(multihost_utils.process_allgather(value, tiled=True))


def is_writer() -> bool:
    """True on the process that prints progress and writes files: process 0 (or the only one)."""
    return jax.process_index() == 0


def print_msg(message: str) -> None:
    """Print on process 0 only (the others of a multi-process run stay quiet, as in Keras)."""
    if is_writer():
        print(message, flush=True)
