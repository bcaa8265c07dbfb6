"""XLA options picked per compiled program, for the platform at hand (YNNPACK fusions or not).

XLA:CPU hands row-major matmuls to YNNPACK, fusing their epilogues (bias,
activation) into one library call. That wins for wide matmuls, such as a
convolution's patches times its kernel (the benchmark's CNN step: 6-9% slower
without it), and loses to XLA's own dot for the narrow matmuls of small
batches (its MLP's 32x784 @ 784x300: 1-24% slower with it over five runs;
the whole step 3-15%). So a program is compiled without YNNPACK fusions
when none of its row-major matmuls is wide (`WIDE_OUTPUT` elements or more
per call).
Measurements: benchmarks/matmul_kernels.py, benchmarks/RESULTS.md.

The choice never changes what is computed, only which kernels compute it
(float32 sums may round differently, as between any two compilations).
"""

from __future__ import annotations

from typing import Any, Callable, Iterator

import jax

#: A row-major matmul with at least this many output elements keeps YNNPACK.
WIDE_OUTPUT = 1 << 16

_NO_YNN = {"xla_cpu_experimental_ynn_fusion_type": ""}
_unsupported = False  # set when this jaxlib does not know the option


def _subjaxprs(params: dict) -> Iterator[Any]:
    stack = list(params.values())
    while stack:
        value = stack.pop()
        if isinstance(value, (tuple, list)):
            stack.extend(value)
        elif hasattr(value, "eqns"):  # a Jaxpr
            yield value
        elif hasattr(value, "jaxpr") and hasattr(value.jaxpr, "eqns"):  # a ClosedJaxpr
            yield value.jaxpr


def _dots(jaxpr) -> Iterator[Any]:
    stack = [jaxpr]
    while stack:
        for eqn in stack.pop().eqns:
            if eqn.primitive.name == "dot_general":
                yield eqn
            stack.extend(_subjaxprs(eqn.params))


def _row_major(eqn) -> bool:
    """Contracts the lhs's last dims with the rhs's first non-batch dims (YNNPACK's layout)."""
    (lhs_c, rhs_c), (lhs_b, rhs_b) = eqn.params["dimension_numbers"]
    lhs_rank = len(eqn.invars[0].aval.shape)
    lhs_tail = tuple(range(lhs_rank - len(lhs_c), lhs_rank))
    rhs_head = tuple(range(len(rhs_b), len(rhs_b) + len(rhs_c)))
    return tuple(lhs_c) == lhs_tail and tuple(rhs_c) == rhs_head


def has_wide_matmul(jaxpr) -> bool:
    """Whether any row-major matmul in `jaxpr` (nested ones included) is wide."""
    for eqn in _dots(jaxpr):
        size = 1
        for extent in eqn.outvars[0].aval.shape:
            size *= extent
        if size >= WIDE_OUTPUT and _row_major(eqn):
            return True
    return False


def options_for(jaxpr, backend: str) -> dict:
    """The compiler options for a program of `jaxpr` on `backend` (empty: XLA's defaults)."""
    if backend != "cpu" or _unsupported or has_wide_matmul(jaxpr):
        return {}
    return dict(_NO_YNN)


class PlatformJit:
    """`jax.jit(fun, **jit_kwargs)`, compiled with the options `options_for` picks.

    The choice is made once per value of the static arguments, from the
    program's jaxpr (the trace is jit's own, shared by every variant).
    """

    def __init__(self, fun: Callable, **jit_kwargs):
        self._fun, self._jit_kwargs = fun, jit_kwargs
        self._static = tuple(jit_kwargs.get("static_argnames", ()))
        self._variants: dict = {(): jax.jit(fun, **jit_kwargs)}
        self._chosen: dict = {}

    def trace(self, *args, **kwargs):
        """jit's `trace` (the trace every variant shares)."""
        return self._variants[()].trace(*args, **kwargs)

    def lower(self, *args, **kwargs):
        """jit's `lower`, with XLA's default options."""
        return self._variants[()].lower(*args, **kwargs)

    def _variant(self, options: dict):
        key = tuple(sorted(options.items()))
        if key not in self._variants:
            self._variants[key] = jax.jit(self._fun, compiler_options=options, **self._jit_kwargs)
        return self._variants[key]

    def _choose(self, args, kwargs):
        global _unsupported
        backend = jax.default_backend()
        if backend != "cpu" or _unsupported:
            return self._variants[()]
        try:
            jaxpr = self.trace(*args, **kwargs).jaxpr
        except Exception:  # noqa: BLE001  the default variant's call raises it as always
            return self._variants[()]
        try:
            return self._variant(options_for(jaxpr, backend))
        except TypeError:  # a jax whose `jit` takes no `compiler_options`
            _unsupported = True
            return self._variants[()]

    def _chosen_for(self, args, kwargs):
        key = tuple(kwargs.get(name) for name in self._static)
        fun = self._chosen.get(key)
        if fun is None:
            fun = self._chosen[key] = self._choose(args, kwargs)
        return key, fun

    def prepare(self, *args, **kwargs) -> None:
        """Compile what a call with these arguments (or their `jax.ShapeDtypeStruct`s)
        runs, without running it: the call then finds the program in jit's cache."""
        _, fun = self._chosen_for(args, kwargs)
        fun.trace(*args, **kwargs).lower().compile()

    def __call__(self, *args, **kwargs):
        global _unsupported
        key, fun = self._chosen_for(args, kwargs)
        try:
            return fun(*args, **kwargs)
        except jax.errors.JaxRuntimeError as error:  # compiling fails before donating anything
            if "compile option" not in str(error) or fun is self._variants[()]:
                raise
            _unsupported = True
            fun = self._chosen[key] = self._variants[()]
            return fun(*args, **kwargs)
