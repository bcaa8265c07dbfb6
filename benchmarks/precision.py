"""Benchmark: mixed precision ("mixed_bfloat16") against float32 on W1 and W3.

    python benchmarks/precision.py                          # hoarfrost, W1 W3, 4 epochs
    python benchmarks/precision.py --rounds 3 --workloads W3
    python benchmarks/precision.py --keras-python ~/.venv-keras/bin/python  # + Keras 3 on JAX

Each (system, workload) runs in one fresh process that builds the model twice,
once under each policy (`mixed_precision.set_global_policy` before the build;
the workloads' models are unchanged: their softmax computes in bfloat16 too),
and trains them epoch by epoch in turn (one `fit(epochs=1)` call each), so the
bf16 / f32 ratio of a row compares neighbouring epochs: on a shared machine
whose speed drifts by tens of percent within minutes, separate processes gave
ratios that moved more than the effect measured. Times are seconds per epoch
after the first (min and median over rounds), each `fit` call's data setup
included; the first epoch includes compilation; test accuracy stands beside
each time.

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
import json, sys, time
system, workload, epochs = sys.argv[1], sys.argv[2], int(sys.argv[3])
lib = __import__("hoarfrost" if system == "hoarfrost" else "keras")
from systems import WORKLOADS, _keras_like_model, load
spec = WORKLOADS[workload]
x, y, xt, yt, _ = load(spec["samples"])
models, times = {}, {}
for policy in sys.argv[4:]:
    lib.mixed_precision.set_global_policy(policy)
    lib.utils.set_random_seed(0)
    models[policy] = _keras_like_model(lib, lib.layers, spec)
    models[policy].compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                           metrics=["accuracy"])
    times[policy] = []
for epoch in range(epochs):
    for policy, model in models.items():
        start = time.perf_counter()
        model.fit(x, y, batch_size=spec["batch_size"], epochs=1, verbose=0)
        times[policy].append(time.perf_counter() - start)
result = {}
for policy, model in models.items():
    _, acc = model.evaluate(xt, yt, verbose=0)
    result[policy] = {"epoch_times": times[policy], "accuracy": float(acc),
                      "compute_dtype": model.layers[-1].compute_dtype}
print("RESULT" + json.dumps(result))
"""


def run_one(python: str, system: str, workload: str, epochs: int) -> dict:
    """{policy: result} for both policies, trained in turn in one fresh process."""
    env = dict(os.environ)
    env["KERAS_BACKEND"] = "jax"
    env["PYTHONPATH"] = str(HERE) + os.pathsep + env.get("PYTHONPATH", "")
    proc = subprocess.run([python, "-c", CHILD, system, workload, str(epochs), *POLICIES],
                          env=env, capture_output=True, text=True, cwd=HERE)
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT"):
            return json.loads(line[len("RESULT"):])
    error = {"error": (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["failed"]}
    return {policy: error for policy in POLICIES}


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
                both = run_one(python, system, workload, args.epochs)
                for policy in POLICIES:
                    res = both[policy]
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
