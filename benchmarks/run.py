"""Benchmark: hoarfrost vs hand-written JAX (and Keras 3 / PyTorch when installed).

    python benchmarks/run.py                 # W1 W2 W3, every available system
    python benchmarks/run.py --workloads W1 --epochs 4

Each (system, workload) runs in a fresh subprocess, one after another on the
same machine, so the ratios printed come from one run. Times are seconds per
epoch after the first (min and median); the first epoch is reported apart,
timed from the `fit` call (or, for the hand-written loops, from putting the
data on the device) to its end, so compilation and data setup count; test
accuracy stands next to each time so no speed is bought by computing less.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import statistics
import subprocess
import sys
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent


def available(system: str) -> bool:
    needs = {"hoarfrost": "hoarfrost", "hoarfrost-verbose1": "hoarfrost", "jax": "jax",
             "keras-jax": "keras", "keras-tf": "tensorflow", "torch": "torch"}[system]
    return importlib.util.find_spec(needs) is not None


def run_one(system: str, workload: str, epochs: int) -> dict:
    env = dict(os.environ)
    env["KERAS_BACKEND"] = "tensorflow" if system == "keras-tf" else "jax"
    env["PYTHONPATH"] = str(HERE) + os.pathsep + env.get("PYTHONPATH", "")
    if system == "hoarfrost-verbose1":
        env["TTY_COMPATIBLE"] = "1"  # rich draws the live bar as on a terminal
    code = ("import json, sys; from systems import SYSTEMS; "
            f"print('RESULT' + json.dumps(SYSTEMS[{system!r}]({workload!r}, {epochs})))")
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          cwd=HERE)
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT"):
            return json.loads(line[len("RESULT"):])
    return {"error": (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["failed"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workloads", nargs="+", default=["W1", "W2", "W3"])
    parser.add_argument("--systems", nargs="+",
                        default=["hoarfrost", "hoarfrost-verbose1", "jax", "keras-jax",
                                 "keras-tf", "torch"])
    parser.add_argument("--epochs", type=int, default=4, help="epochs per run (>= 4: first + 3)")
    parser.add_argument("--rounds", type=int, default=1,
                        help="run every system this many times, interleaved (min over all): "
                             "steadier ratios on a machine with noisy neighbours")
    parser.add_argument("--json", type=Path, help="also write the raw results here")
    args = parser.parse_args()
    sys.path.insert(0, str(HERE))
    from workloads import WORKLOADS, load
    source = load(WORKLOADS["W3"]["samples"])[-1]
    systems = [s for s in args.systems if available(s)]
    print(f"# {date.today()} on {platform.machine()}, {os.cpu_count()} cores, "
          f"{platform.python_version()}; data: {source}; systems: {', '.join(systems)}; "
          f"{args.epochs} epochs x {args.rounds} round(s)")
    results: dict = {}
    for workload in args.workloads:
        for round_ in range(args.rounds):
            for system in systems:
                if system == "hoarfrost-verbose1" and workload != "W1":
                    continue  # the progress bar's cost is measured where steps are shortest
                res = run_one(system, workload, args.epochs)
                print(f"  {workload} {system:10s} {_cell(res)}", file=sys.stderr)
                results.setdefault(workload, {})[system] = _merge(
                    results.get(workload, {}).get(system), res)
    print(_table(results, systems, args.workloads))
    print(_ratios(results))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))


def _merge(before: dict | None, res: dict) -> dict:
    """One result from several rounds: every round's steady epochs and first epochs."""
    if before is None or "error" in before or "error" in res:
        if res is not None and "error" not in res:
            res = {**res, "first_epochs": [res["epoch_times"][0]]}
        return res if before is None or "error" in res else before
    return {"epoch_times": before["epoch_times"] + res["epoch_times"][1:],
            "first_epochs": before["first_epochs"] + [res["epoch_times"][0]],
            "accuracy": res["accuracy"]}


def _stats(res: dict):
    """Min and median of the steady epochs, median of the first epochs (one per round)."""
    rest = res["epoch_times"][1:]
    firsts = res.get("first_epochs", res["epoch_times"][:1])
    return min(rest), statistics.median(rest), statistics.median(firsts)


def _cell(res: dict) -> str:
    if "error" in res:
        return "error: " + " ".join(res["error"])[:60]
    best, median, first = _stats(res)
    return f"{best:.2f} / {median:.2f} (first {first:.1f}; acc {res['accuracy']:.3f})"


def _table(results, systems, workloads) -> str:
    lines = ["", "s/epoch min / median (first epoch: from the fit call, compilation included, "
             "median over rounds; test accuracy)", "",
             "| system | " + " | ".join(workloads) + " |",
             "| --- | " + " | ".join("---" for _ in workloads) + " |"]
    for system in systems:
        cells = [_cell(results[w][system]) if system in results.get(w, {}) else "" for w in workloads]
        lines.append(f"| {system} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _ratios(results) -> str:
    def best(w, s):
        res = results.get(w, {}).get(s)
        return None if not res or "error" in res else _stats(res)[0]

    lines = ["", "Ratios (min s/epoch):"]
    for w in results:
        hf = best(w, "hoarfrost")
        for peer in ("jax", "keras-jax", "keras-tf", "torch"):
            other = best(w, peer)
            if hf and other:
                lines.append(f"  {w}: hoarfrost / {peer} = {hf / other:.2f}")
    for w in results:
        hf, keras = results[w].get("hoarfrost"), results[w].get("keras-jax")
        if hf and keras and "error" not in hf and "error" not in keras:
            lines.append(f"  {w}: first epoch hoarfrost / keras-jax = "
                         f"{_stats(hf)[2] / _stats(keras)[2]:.2f}")
    if best("W1", "hoarfrost") and best("W1", "hoarfrost-verbose1"):
        lines.append("  W1: hoarfrost verbose=1 / verbose=0 = "
                     f"{best('W1', 'hoarfrost-verbose1') / best('W1', 'hoarfrost'):.3f}")
    if best("W1", "hoarfrost") and best("W2", "hoarfrost"):
        lines.append(f"  hoarfrost W2 / W1 = {best('W2', 'hoarfrost') / best('W1', 'hoarfrost'):.2f}")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
