"""Benchmark: mixed precision ("mixed_bfloat16") against float32 on W1 and W3.

    python benchmarks/precision.py                          # hoarfrost, W1 W3, 4 epochs
    python benchmarks/precision.py --rounds 3 --workloads W3
    python benchmarks/precision.py --keras-python ~/.venv-keras/bin/python  # + Keras 3 on JAX

Each (system, workload, policy) trains in a fresh process, the policies of one
system and workload back to back, so the bf16 / f32 ratio of a row comes from
neighbouring runs. The policy is set with `mixed_precision.set_global_policy`
before the model is built (the workloads' models are unchanged: their softmax
computes in bfloat16 too). Times are seconds per epoch after the first (min and
median over rounds); the first epoch, timed from the `fit` call, includes
compilation; test accuracy stands beside each time.

On CPU, bfloat16 is not expected to be faster: XLA:CPU has no bfloat16 matmul
or convolution units on most machines and converts around them. The number to
watch there is that mixed precision costs little and keeps the accuracy; the
speed-up belongs to accelerators (`--device gpu` in run.py).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent
POLICIES = ("float32", "mixed_bfloat16")
CHILD = """
import json, sys
system, workload, epochs, policy = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
lib = __import__("hoarfrost" if system == "hoarfrost" else "keras")
lib.mixed_precision.set_global_policy(policy)
from systems import SYSTEMS
result = SYSTEMS["hoarfrost" if system == "hoarfrost" else "keras-jax"](workload, epochs)
result["policy"] = lib.mixed_precision.global_policy().name
print("RESULT" + json.dumps(result))
"""


def run_one(python: str, system: str, workload: str, epochs: int, policy: str) -> dict:
    env = dict(os.environ)
    env["KERAS_BACKEND"] = "jax"
    env["PYTHONPATH"] = str(HERE) + os.pathsep + env.get("PYTHONPATH", "")
    proc = subprocess.run([python, "-c", CHILD, system, workload, str(epochs), policy],
                          env=env, capture_output=True, text=True, cwd=HERE)
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT"):
            return json.loads(line[len("RESULT"):])
    return {"error": (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["failed"]}


def merge(before: dict | None, res: dict) -> dict:
    """Rounds together: every steady epoch, one first epoch per round."""
    if "error" in res:
        return res
    res = {**res, "first_epochs": [res["epoch_times"][0]], "steady": res["epoch_times"][1:]}
    if before is None or "error" in before:
        return res
    return {**res, "first_epochs": before["first_epochs"] + res["first_epochs"],
            "steady": before["steady"] + res["steady"]}


def cell(res: dict | None) -> str:
    if res is None:
        return ""
    if "error" in res:
        return "error: " + " ".join(res["error"])[:60]
    return (f"{min(res['steady']):.2f} / {statistics.median(res['steady']):.2f} "
            f"(first {statistics.median(res['first_epochs']):.1f}; acc {res['accuracy']:.3f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workloads", nargs="+", default=["W1", "W3"])
    parser.add_argument("--epochs", type=int, default=4, help="epochs per run (>= 2)")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--keras-python", help="a Python with Keras 3 and JAX: also run Keras")
    parser.add_argument("--json", type=Path, help="also write the raw results here")
    args = parser.parse_args()
    if args.epochs < 2:
        parser.error("--epochs must be at least 2 (the first epoch is reported apart)")
    systems = [("hoarfrost", sys.executable)]
    if args.keras_python:
        systems.append(("keras-jax", args.keras_python))
    print(f"# {date.today()} on {platform.machine()}, {os.cpu_count()} cores, "
          f"{platform.python_version()}; {args.epochs} epochs x {args.rounds} round(s)")
    results: dict = {}
    for workload in args.workloads:
        for _ in range(args.rounds):
            for system, python in systems:
                for policy in POLICIES:
                    res = run_one(python, system, workload, args.epochs, policy)
                    key = (workload, system, policy)
                    results[key] = merge(results.get(key), res)
                    print(f"  {workload} {system} {policy}: {cell(results[key])}", file=sys.stderr)
    print("\ns/epoch min / median (first epoch from the fit call, compilation included; "
          "test accuracy)\n")
    print("| workload | system | " + " | ".join(POLICIES) + " | bf16 / f32 (min) |")
    print("| --- | --- | " + " | ".join("---" for _ in POLICIES) + " | --- |")
    for workload in args.workloads:
        for system, _ in systems:
            row = [results.get((workload, system, p)) for p in POLICIES]
            ratio = ""
            if all(r is not None and "error" not in r for r in row):
                ratio = f"{min(row[1]['steady']) / min(row[0]['steady']):.2f}"
            print(f"| {workload} | {system} | " + " | ".join(cell(r) for r in row)
                  + f" | {ratio} |")
    if args.json:
        args.json.write_text(json.dumps({" ".join(k): v for k, v in results.items()}, indent=1))


if __name__ == "__main__":
    main()
