"""Benchmark: hoarfrost vs hand-written JAX (and Keras 3 / PyTorch when installed).

    python benchmarks/run.py                 # W1 W2 W3, every available system
    python benchmarks/run.py --workloads W1 --epochs 4
    python benchmarks/run.py --workloads W4 W5 W6 W7      # the real-model workloads
    python benchmarks/run.py --workloads W8 --epochs 3    # DCGAN: large convolutions
    python benchmarks/run.py --workloads W1 W3 --cache    # + first epoch, cold/warm cache
    python benchmarks/run.py --device gpu    # W1, W3-W7 on an NVIDIA GPU (jax[cuda12])
    python benchmarks/run.py --quick ...     # 1/8 of the samples: checks that all runs

Workloads: benchmarks/workloads.py. The plain `hoarfrost` system runs with
its persistent compilation cache off (`HOARFROST_COMPILE_CACHE=0`), so its
first epoch always includes compiling; `--cache` adds `hoarfrost-cold` (cache
on, empty directory) and `hoarfrost-warm` (the same directory, filled by the
cold run just before): fresh processes both.

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
import shutil
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent


DEFAULT_WORKLOADS = {"cpu": ["W1", "W2", "W3"], "gpu": ["W1", "W3", "W4", "W5", "W6", "W7"]}
DEFAULT_SYSTEMS = {"cpu": ["hoarfrost", "hoarfrost-verbose1", "jax", "keras-jax", "keras-tf",
                           "torch"],
                   "gpu": ["hoarfrost", "jax", "keras-jax"]}  # tensorflow-cpu has no GPU


PEERS = ("keras-jax", "keras-tf", "torch")  # run by --peer-python when given


def available(system: str, peer_python: str | None = None) -> bool:
    needs = {"hoarfrost": "hoarfrost", "hoarfrost-verbose1": "hoarfrost",
             "hoarfrost-cold": "hoarfrost", "hoarfrost-warm": "hoarfrost", "jax": "jax",
             "keras-jax": "keras", "keras-tf": "tensorflow", "torch": "torch"}[system]
    if peer_python and system in PEERS:
        code = f"import importlib.util, sys; sys.exit(importlib.util.find_spec({needs!r}) is None)"
        return subprocess.run([peer_python, "-c", code], capture_output=True).returncode == 0
    return importlib.util.find_spec(needs) is not None


def run_one(system: str, workload: str, epochs: int, device: str = "cpu",
            precision: str = "float32", home: str | None = None,
            peer_python: str | None = None) -> dict:
    """One (system, workload) in a fresh process; `home`: the cold/warm runs' HOARFROST_HOME."""
    env = dict(os.environ)
    env["KERAS_BACKEND"] = "tensorflow" if system == "keras-tf" else "jax"
    paths = [str(Path(p).resolve()) for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    env["PYTHONPATH"] = os.pathsep.join([str(HERE), *paths])  # absolute: the run is in HERE
    python = peer_python if peer_python and system in PEERS else sys.executable
    env["BENCH_PRECISION"] = precision
    if device == "gpu":
        env["JAX_PLATFORMS"] = "cuda"  # fail rather than fall back to the CPU
    if system.startswith("hoarfrost"):
        system_env = {"hoarfrost-cold": "1", "hoarfrost-warm": "1"}.get(system, "0")
        env["HOARFROST_COMPILE_CACHE"] = system_env
        if home is not None:
            env["HOARFROST_HOME"] = home
    if system == "hoarfrost-verbose1":
        env["TTY_COMPATIBLE"] = "1"  # rich draws the live bar as on a terminal
    system = {"hoarfrost-cold": "hoarfrost", "hoarfrost-warm": "hoarfrost"}.get(system, system)
    code = ("import json, sys; from systems import SYSTEMS; "
            f"print('RESULT' + json.dumps(SYSTEMS[{system!r}]({workload!r}, {epochs})))")
    proc = subprocess.run([python, "-c", code], env=env, capture_output=True, text=True,
                          cwd=HERE)
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT"):
            return json.loads(line[len("RESULT"):])
    return {"error": (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["failed"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workloads", nargs="+",
                        help="default: W1 W2 W3 on cpu; W1 W3 W4 W5 W6 W7 on gpu")
    parser.add_argument("--systems", nargs="+",
                        help="default: every installed system (on gpu: the JAX-based ones)")
    parser.add_argument("--device", choices=["cpu", "gpu"], default="cpu",
                        help="gpu: JAX on an NVIDIA GPU (JAX_PLATFORMS=cuda)")
    parser.add_argument("--precision", choices=["float32", "mixed_bfloat16"], default="float32",
                        help="the global dtype policy every system trains under")
    parser.add_argument("--cache", action="store_true",
                        help="add hoarfrost's first epoch with a cold and a warm persistent "
                             "compilation cache (fresh processes)")
    parser.add_argument("--peer-python", metavar="PATH",
                        help="the Python that runs keras-jax, keras-tf and torch (a venv with "
                             "Keras, TensorFlow, PyTorch); default: this one")
    parser.add_argument("--quick", action="store_true",
                        help="1/8 of the samples (at least 2 batches): checks that all runs")
    parser.add_argument("--epochs", type=int, default=4, help="epochs per run (>= 4: first + 3)")
    parser.add_argument("--rounds", type=int, default=1,
                        help="run every system this many times, interleaved (min over all): "
                             "steadier ratios on a machine with noisy neighbours")
    parser.add_argument("--json", type=Path, help="also write the raw results here")
    args = parser.parse_args()
    if args.quick:
        os.environ["BENCH_QUICK"] = "1"
    sys.path.insert(0, str(HERE))
    from workloads import load_workload
    workloads = args.workloads or DEFAULT_WORKLOADS[args.device]
    systems = args.systems or DEFAULT_SYSTEMS[args.device]
    if args.cache:
        at = systems.index("hoarfrost") + 1 if "hoarfrost" in systems else 0
        systems = systems[:at] + ["hoarfrost-cold", "hoarfrost-warm"] + systems[at:]
    systems = [s for s in systems if available(s, args.peer_python)]
    if args.device == "gpu":
        _check_gpu()
    sources = sorted({load_workload(w)[-1] for w in workloads})
    print(f"# {date.today()} on {platform.machine()}, {os.cpu_count()} cores, "
          f"{platform.python_version()}, device {_device_name(args.device)}, {args.precision}; "
          f"data: {'; '.join(sources)}; systems: {', '.join(systems)}; "
          f"{args.epochs} epochs x {args.rounds} round(s){' (quick)' if args.quick else ''}")
    results: dict = {}
    for workload in workloads:
        for round_ in range(args.rounds):
            home = _bench_home()  # the cold cache, then warm
            for system in systems:
                if system == "hoarfrost-verbose1" and workload != "W1":
                    continue  # the progress bar's cost is measured where steps are shortest
                res = run_one(system, workload, args.epochs, args.device, args.precision, home,
                              args.peer_python)
                more = res.pop("more", {}) if "error" not in res else {}
                for name, one in [(workload, res), *more.items()]:
                    print(f"  {name} {system:10s} {_cell(one)}", file=sys.stderr)
                    results.setdefault(name, {})[system] = _merge(
                        results.get(name, {}).get(system), one)
            shutil.rmtree(home, ignore_errors=True)
    print(_table(results, systems, list(results)))
    print(_ratios(results))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))


def _bench_home() -> str:
    """A fresh HOARFROST_HOME (an empty compilation cache) that sees the user's datasets."""
    home = tempfile.mkdtemp(prefix="hoarfrost-bench-")
    datasets = Path(os.environ.get("HOARFROST_HOME") or "~/.hoarfrost").expanduser() / "datasets"
    if datasets.is_dir():
        os.symlink(datasets, Path(home) / "datasets")
    return home


def _check_gpu() -> None:
    code = "import jax; print(jax.default_backend())"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**os.environ, "JAX_PLATFORMS": "cuda"})
    if proc.stdout.strip() != "gpu":
        lines = [ln for ln in proc.stderr.strip().splitlines() if "Error" in ln] or [""]
        sys.exit("--device gpu: JAX sees no CUDA GPU here (pip install -U 'jax[cuda12]'); "
                 + lines[-1][:300])


def _device_name(device: str) -> str:
    if device == "cpu":
        return "cpu"
    code = "import jax; print(jax.devices()[0].device_kind)"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**os.environ, "JAX_PLATFORMS": "cuda"})
    return proc.stdout.strip() or "gpu"


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
    for system in ("hoarfrost", "jax", "keras-jax", "keras-tf"):
        frozen, tuned = results.get("W7", {}).get(system), results.get("W7-finetune", {}).get(system)
        if frozen and tuned and "error" not in frozen and "error" not in tuned:
            (f_best, _, f_first), (t_best, _, t_first) = _stats(frozen), _stats(tuned)
            lines.append(f"  W7 {system}: frozen / fine-tune epoch = {f_best / t_best:.2f}; "
                         f"compile + setup per phase (first - min) = {f_first - f_best:.1f} s, "
                         f"{t_first - t_best:.1f} s")
    for w in results:
        cold, warm = results[w].get("hoarfrost-cold"), results[w].get("hoarfrost-warm")
        keras = results[w].get("keras-jax")
        if cold and warm and "error" not in cold and "error" not in warm:
            lines.append(f"  {w}: warm-cache first epoch / steady epoch = "
                         f"{_stats(warm)[2] / _stats(warm)[0]:.2f}; cold / warm first epoch = "
                         f"{_stats(cold)[2] / _stats(warm)[2]:.2f}")
            if keras and "error" not in keras:
                lines.append(f"  {w}: cold-cache first epoch hoarfrost / keras-jax = "
                             f"{_stats(cold)[2] / _stats(keras)[2]:.2f}")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
