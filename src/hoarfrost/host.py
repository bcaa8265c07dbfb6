"""Values on the host, and the process that writes: below `variables`, usable everywhere.

`to_device` puts host values (NumPy arrays) on the device by a plain transfer.
Over several processes (`hoarfrost.distribution`), a value may be spread over
devices of other processes; `to_host` gathers it. Only process 0 prints
progress and writes files, as in Keras.
"""

from __future__ import annotations

import mmap

import jax
import jax.numpy as jnp
import numpy as np

#: XLA:CPU takes a host buffer aligned to this many bytes as the device array itself.
_ALIGNMENT = 64


def to_device(value, dtype=None) -> jax.Array:
    """A NumPy array (or scalar) as a new array on the default device, by a transfer.

    `jnp.asarray` of a NumPy array runs a compiled program (`stage`, or
    `convert_element_type` with a dtype) that each new shape and dtype compiles
    anew in every process, 10-30 ms each on a CPU; a model's weights, data and
    metric states would pay them in the first epoch. This is a transfer, with
    the same result: dtypes become JAX's (float64 -> float32 without x64),
    then `dtype`, and the array never shares memory with `value`. Anything else
    (JAX arrays, tracers, Python numbers) goes to `jnp.asarray` unchanged.
    """
    if not isinstance(value, (np.ndarray, np.generic)):
        return jnp.asarray(value, dtype)
    host = np.asarray(value)
    canonical = jax.dtypes.canonicalize_dtype(host.dtype)
    target = canonical if dtype is None else jax.dtypes.canonicalize_dtype(dtype)
    if host.dtype != canonical and target != canonical:  # round once as JAX would first
        host = host.astype(canonical)
    if jax.default_backend() == "cpu":
        # A private copy (converted on the way), aligned so the device array is that
        # copy (XLA:CPU's own copy of a large array is several times slower than
        # NumPy's); the caller's array may change later, this one never does.
        return jax.device_put(_aligned_copy(host, target))
    return jax.device_put(host if host.dtype == target else host.astype(target))


#: From this size on, a host copy gets its own mapping, backed by huge pages where the
#: system offers them: writing 200 MB into fresh small pages costs ~1.6 s of page faults
#: on a virtual machine (W1's 60,000 images, in its first epoch), ~0.15 s in huge pages.
_MAPPED_BYTES = 1 << 21


def _aligned_copy(host: np.ndarray, dtype) -> np.ndarray:
    """`host` converted to `dtype`, in a new buffer aligned to `_ALIGNMENT` bytes."""
    dtype = np.dtype(dtype)
    nbytes = host.size * dtype.itemsize
    if nbytes >= _MAPPED_BYTES and hasattr(mmap, "MADV_HUGEPAGE"):
        mapping = mmap.mmap(-1, nbytes)  # page-aligned; unmapped with its last view
        try:
            mapping.madvise(mmap.MADV_HUGEPAGE)
        except OSError:  # a kernel without transparent huge pages: small pages then
            pass
        out = np.frombuffer(mapping, dtype, host.size).reshape(host.shape)
    else:
        buffer = np.empty(nbytes + _ALIGNMENT, np.uint8)
        start = -buffer.ctypes.data % _ALIGNMENT
        out = buffer[start:start + nbytes].view(dtype).reshape(host.shape)
    np.copyto(out, host, casting="unsafe")
    return out


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
