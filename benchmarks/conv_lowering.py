"""Benchmark (issue 17, item 0): W8's DCGAN generator step under three convolution-lowering rules.

    python benchmarks/conv_lowering.py                 # batch 16, 3 interleaved rounds
    python benchmarks/conv_lowering.py --batch 8 --rounds 5

One process, one model (W8's, benchmarks/models.py), the rule swapped between
interleaved rounds (a fresh compile per rule, timed apart), so the ratios do
not depend on the machine's drift between processes:

- "tiled" (hoarfrost's rule, `layers/conv_lowering.choose`): im2col at every
  size, tiled over the batch or output rows above `PATCH_BUDGET`; XLA's
  convolution for fewer than 8 filters;
- "cap" (the rule before): im2col up to 2**26 patch elements, XLA's
  convolution above;
- "xla": XLA's convolution everywhere (what Keras 3 on JAX runs).

Printed: seconds per training step (min and median over rounds, each round
`--steps` steps in one `fit` call) and the ratio to "tiled".
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))


def _rules(conv_lowering):
    original = conv_lowering.choose

    def cap(x_shape, kernel_shape, strides, padding, dilation, lhs_dilation=None, **kwargs):
        if conv_lowering.patch_elements(x_shape, kernel_shape, strides, padding, dilation,
                                        lhs_dilation) <= 1 << 26:
            return conv_lowering.Lowering("im2col")
        return conv_lowering.Lowering("xla")

    return {"tiled": original, "cap": cap,
            "xla": lambda *a, **k: conv_lowering.Lowering("xla")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--steps", type=int, default=2, help="training steps per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--rules", nargs="+", default=["tiled", "cap", "xla"])
    args = parser.parse_args()

    import hoarfrost
    import models
    from hoarfrost.layers import conv_lowering
    rules = _rules(conv_lowering)
    z = np.random.default_rng(0).normal(size=(args.batch * args.steps, 100)).astype("float32")
    ones = np.ones((len(z), 1), "float32")
    compiled, times = {}, {rule: [] for rule in args.rules}
    for round_ in range(args.rounds + 1):
        for rule in args.rules:
            conv_lowering.choose = rules[rule]
            if rule not in compiled:  # one model per rule, so each keeps its compiled step
                hoarfrost.utils.set_random_seed(0)
                compiled[rule] = models.dcgan(hoarfrost)[0]
                compiled[rule].compile(
                    optimizer="adam", loss=hoarfrost.losses.BinaryCrossentropy(from_logits=True))
            start = time.perf_counter()
            compiled[rule].fit(z, ones, batch_size=args.batch, epochs=1, verbose=0,
                               shuffle=False)
            seconds = (time.perf_counter() - start) / args.steps
            if round_ == 0:
                print(f"  {rule}: first call (compile included) {seconds * args.steps:.1f} s",
                      flush=True)
            else:
                times[rule].append(seconds)
                print(f"  round {round_} {rule}: {seconds:.2f} s/step", flush=True)
    conv_lowering.choose = rules["tiled"]
    print(f"\nDCGAN generator step (W8), batch {args.batch}, s/step min / median over "
          f"{args.rounds} rounds:")
    base = min(times[args.rules[0]])
    for rule in args.rules:
        print(f"  {rule:6s} {min(times[rule]):7.2f} / {statistics.median(times[rule]):7.2f}"
              f"   x{min(times[rule]) / base:.2f}")


if __name__ == "__main__":
    main()
