"""Compiling a program the epoch runs later while the device runs the current one.

An epoch whose last batch is smaller than the others (10,000 samples in
batches of 128 end with one of 16) runs a second compiled loop, for that
batch's shapes. Its trace, lowering and compilation (0.3 s with a warm
compilation cache, 1-2 s without, on a CPU) would stall the end of the first
epoch. Started on a thread right after the first chunk is dispatched, they
overlap the chunks before it: the last chunk's call finds the program
compiled (jit's own cache) and runs it. Nothing is run ahead, only compiled,
so what is computed is unchanged.
"""

from __future__ import annotations

import threading
from typing import Iterable

import jax
import numpy as np


def specs(tree):
    """The arguments' shapes and dtypes (`jax.ShapeDtypeStruct`s), what compiling needs;
    taken before a call donates the arrays themselves."""
    def spec(leaf):
        if isinstance(leaf, (jax.Array, np.ndarray, np.generic)):
            return jax.ShapeDtypeStruct(leaf.shape, leaf.dtype,
                                        weak_type=bool(getattr(leaf, "weak_type", False)))
        return leaf  # Python numbers stay as they are (weakly typed, as in the call)

    return jax.tree.map(spec, tree)


class Ahead:
    """Compiles `fun` (a `PlatformJit`) for `args` (specs) and each static `batch_size`
    in `sizes`, on a thread; `wait()` before calling `fun` with one of those sizes."""

    def __init__(self, fun, args, sizes: Iterable[int]):
        self.sizes = frozenset(sizes)
        self._thread = threading.Thread(target=self._compile, args=(fun, args),
                                        name="hoarfrost-compile-ahead", daemon=True)
        self._thread.start()

    def _compile(self, fun, args) -> None:
        for size in sorted(self.sizes):
            try:
                fun.prepare(*args, batch_size=size)
            except Exception:  # noqa: BLE001  the call compiles again and raises it there
                return

    def wait(self) -> None:
        self._thread.join()


def later_batch_sizes(adapter) -> tuple[int, ...]:
    """Batch sizes an array adapter's epoch runs after its first chunk's (a ragged last
    batch); () for iterables, whose batches are not known ahead."""
    plan = getattr(adapter, "plan", None)
    if not plan:
        return ()
    first = plan[0][2]
    return tuple(sorted({size for _, _, size in plan} - {first}))
