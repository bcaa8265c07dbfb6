"""XLA:CPU's two matmul kernels side by side: YNNPACK's fusion vs XLA's own dot.

    python benchmarks/matmul_kernels.py            # W1-W3's matmul shapes, M from 16 to 2048

The evidence behind `hoarfrost.engine.xla_options`: each shape runs as a
`fori_loop` of calls whose operand changes every call (no hoisting), compiled
once with XLA's default options and once without YNNPACK fusions; rounds are
interleaved and the minimum per call is printed with the ratio. It also says
which of the two hoarfrost's rule picks for a program made of that one matmul.
"""

from __future__ import annotations

import argparse
import platform
import time

import jax
import jax.numpy as jnp
from jax import lax

from hoarfrost.engine import xla_options

SHAPES = [(k, n) for k, n in ((784, 300), (300, 100), (288, 64), (1600, 10))]
OPTIONS = {"ynnpack": {}, "xla-dot": {"xla_cpu_experimental_ynn_fusion_type": ""}}


def _loop(calls: int):
    def run(a, b):
        def body(_, c):
            return c + lax.dot_general(c, b, (((1,), (0,)), ((), ())))[:, :1] * 1e-30
        return lax.fori_loop(0, calls, body, a)
    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[16, 32, 64, 128, 512, 2048])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    print(f"# {platform.machine()}, jax {jax.__version__}, backend {jax.default_backend()}")
    cases = {}
    for k, n in SHAPES:
        for m in args.rows:
            calls = max(20, int(3e8 / (2 * m * k * n)))
            a, b = jnp.full((m, k), 0.01), jnp.full((k, n), 0.01)
            for name, options in OPTIONS.items():
                fun = jax.jit(_loop(calls), compiler_options=options)
                jax.block_until_ready(fun(a, b))
                cases[(m, k, n, name)] = (fun, a, b, calls)
    times = {key: [] for key in cases}
    for _ in range(args.rounds):
        for key, (fun, a, b, calls) in cases.items():
            start = time.perf_counter()
            jax.block_until_ready(fun(a, b))
            times[key].append((time.perf_counter() - start) / calls * 1e6)
    print(f"{'M x K @ K x N':>22}  {'ynnpack us':>10}  {'xla-dot us':>10}  xla-dot/ynnpack  rule picks")
    for k, n in SHAPES:
        for m in args.rows:
            ynn, dot = (min(times[(m, k, n, name)]) for name in OPTIONS)
            jaxpr = jax.make_jaxpr(lambda a, b: a @ b)(jnp.zeros((m, k)), jnp.zeros((k, n))).jaxpr
            pick = "xla-dot" if xla_options.options_for(jaxpr, "cpu") else "ynnpack"
            print(f"{f'{m}x{k} @ {k}x{n}':>22}  {ynn:10.1f}  {dot:10.1f}  {dot / ynn:15.2f}  {pick}")


if __name__ == "__main__":
    main()
