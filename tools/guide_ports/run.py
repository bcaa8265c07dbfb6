"""Run the guide ports: Keras's reference metrics, or hoarfrost's status against them.

    KERAS_PY=/path/.venv-keras/bin/python python tools/guide_ports/run.py keras [NAME ...] [--seeds 0,1,2] [--small]
    python tools/guide_ports/run.py hoarfrost [NAME ...]
    python tools/guide_ports/run.py verdicts [NAME ...]   # re-judge without rerunning
    python tools/guide_ports/run.py try SRC [NAME ...]    # verdicts on another src/, nothing written

`--small` runs the cut CI runs (PORT_SMALL=1, see tests/programs) and records Keras's figures
for it in `keras_reference/<name>.small.json`; seeds already recorded there are kept.

`keras` runs each Keras port once per seed (PORT_SEED) in a scratch directory and records
its printed `METRICS` line in `keras_reference/<name>.json`: every seed's values and, per float
metric, min / max / mean / std (the noise band). `hoarfrost` runs each hoarfrost twin
(tests/programs/ or tools/guide_ports/hoarfrost/) with PYTHONPATH=src and records in
`hoarfrost_status.json` whether it finished, its metrics, or the last line of its error,
and its verdict against Keras's band; a twin still in tools/guide_ports/hoarfrost/ gets
that verdict as `# ON MAIN TODAY: ...` comment lines at its top.
"""

from __future__ import annotations

import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))
from bands import slack_of  # noqa: E402
from port import FAILING_DIR, KERAS_DIR, strip_failure_header, twin_path  # noqa: E402

REFERENCE_DIR = HERE / "keras_reference"  # one <name>.json per port
STATUS = HERE / "hoarfrost_status.json"


def run_program(python: str, path: Path, seed: int, env_extra: dict, timeout: int = 900):
    """Run one program in a scratch directory; (metrics or None, last error line, seconds)."""
    env = dict(os.environ, PORT_SEED=str(seed), KERAS_BACKEND="jax", **env_extra)
    start = time.time()
    with tempfile.TemporaryDirectory() as scratch:
        try:
            proc = subprocess.run([python, str(path)], cwd=scratch, env=env, capture_output=True,
                                  text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return None, f"timed out after {timeout} s", time.time() - start
    seconds = time.time() - start
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith("METRICS "):
            return json.loads(line[len("METRICS "):]), None, seconds
    return None, last_error(proc.stderr), seconds


def last_error(stderr: str) -> str:
    """The exception line of a traceback (`SomeError: message`), else the last line."""
    lines = [line for line in stderr.splitlines() if line.strip()]
    for at in range(len(lines) - 1, -1, -1):
        if re.match(r"^[A-Za-z_][\w.]*(Error|Exception|Warning|Exit|Interrupt)\b", lines[at]):
            if lines[at] == "AssertionError":  # a bare assert: name the failing line
                code = next((line.strip() for line in reversed(lines[:at])
                             if line.startswith("    ") and set(line.strip()) != {"^"}), "")
                return f"AssertionError at `{code}`"
            return lines[at]
    return lines[-1] if lines else "no output"


def summarise(per_seed: dict) -> dict:
    summary = {}
    for key in next(iter(per_seed.values())):
        values = [m[key] for m in per_seed.values()]
        numbers = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)
        if numbers and (any(isinstance(v, float) for v in values) or len(set(values)) > 1):
            summary[key] = {"min": min(values), "max": max(values),
                            "mean": statistics.fmean(values),
                            "std": statistics.pstdev(values) if len(values) > 1 else 0.0}
        else:
            summary[key] = values[0] if all(v == values[0] for v in values) else values
    return summary


def names_from(args: list[str]) -> list[str]:
    return args or sorted(p.stem for p in KERAS_DIR.glob("[!_]*.py"))


def keras_reference(names: list[str], seeds: list[int], small: bool = False) -> None:
    python = os.environ.get("KERAS_PY", "/work/main/.venv-keras/bin/python")
    env = {"PORT_SMALL": "1"} if small else {}
    REFERENCE_DIR.mkdir(exist_ok=True)
    for name in names:
        path = REFERENCE_DIR / f"{name}{'.small' if small else ''}.json"
        previous = json.loads(path.read_text()) if path.exists() else {}
        per_seed, errors, seconds = dict(previous.get("seeds", {})), {}, previous.get("seconds", [])
        for seed in seeds:
            metrics, error, took = run_program(python, KERAS_DIR / f"{name}.py", seed, env)
            seconds.append(round(took, 1))
            if metrics is None:
                errors[str(seed)] = error
            else:
                per_seed[str(seed)] = metrics
        entry = {"seeds": per_seed, "seconds": seconds}
        if errors:
            entry["errors"] = errors
        if per_seed:
            entry["summary"] = summarise(per_seed)
        print(name, "errors:" if errors else "ok", errors or entry.get("summary"), flush=True)
        path.write_text(
            json.dumps(entry, indent=1, sort_keys=True) + "\n")


def differences_from_keras(name: str, metrics: dict, seed: int = 0) -> list[str] | None:
    """Metrics outside Keras's band (floats) or unequal to Keras's (the rest); None: no reference.

    A non-float metric that differs between Keras's seeds (values drawn from the seeded
    NumPy generator) is compared with Keras's value for the seed hoarfrost ran (`seed`)."""
    path = REFERENCE_DIR / f"{name}.json"
    if not path.exists() or "summary" not in json.loads(path.read_text()):
        return None
    reference = json.loads(path.read_text())
    differences = []
    for key, expected in reference["summary"].items():
        value = metrics.get(key)
        per_seed = [m.get(key) for m in reference["seeds"].values()]
        if any(v != per_seed[0] for v in per_seed) and str(seed) in reference["seeds"] \
                and not (isinstance(expected, dict) and "min" in expected):
            expected = reference["seeds"][str(seed)].get(key)
        if isinstance(expected, dict) and set(expected) == {"min", "max", "mean", "std"}:
            slack = slack_of(expected)
            if not (isinstance(value, (int, float))
                    and expected["min"] - slack <= value <= expected["max"] + slack):
                differences.append(f"{key} = {value!r}, Keras {expected['min']:.4g}.."
                                   f"{expected['max']:.4g} (+-{slack:.3g})")
        elif value != expected:
            differences.append(f"{key} = {value!r}, Keras {expected!r}")
    return differences


def verdict(name: str, entry: dict) -> str:
    if "error" in entry:
        return f"FAILS: {entry['error']}"
    differences = differences_from_keras(name, entry["metrics"])
    if differences is None:
        return "finishes (no Keras reference yet)"
    if differences:
        return "finishes, differs from Keras: " + "; ".join(differences)
    return "PASS: finishes, metrics within Keras's band"


def annotate(name: str, entry: dict) -> None:
    """Put today's verdict at the top of a failing twin (tools/guide_ports/hoarfrost/)."""
    path = FAILING_DIR / f"{name}.py"
    if not path.exists():
        return
    words, lines, line = verdict(name, entry).split(" "), [], "# ON MAIN TODAY:"
    for word in words:
        if len(line) + 1 + len(word) > 96 and line.strip("# "):
            lines.append(line)
            line = "#  "
        line += " " + word
    lines.append(line)
    body = strip_failure_header(path.read_text())
    path.write_text("\n".join(lines) + "\n" + body)


def hoarfrost_status(names: list[str], rerun: bool = True) -> None:
    status = json.loads(STATUS.read_text()) if STATUS.exists() else {}
    env = {"PYTHONPATH": str(ROOT / "src")}
    for name in names:
        path = twin_path(name)
        if path is None:
            print(name, "no hoarfrost twin")
            continue
        if rerun or name not in status:
            metrics, error, took = run_program(sys.executable, path, 0, env)
            status[name] = {"where": str(path.relative_to(ROOT)), "seconds": round(took, 1),
                            **({"metrics": metrics} if metrics is not None else {"error": error})}
        status[name]["where"] = str(path.relative_to(ROOT))
        status[name]["verdict"] = verdict(name, status[name])
        annotate(name, status[name])
        print(name, status[name]["verdict"], f"({status[name]['seconds']:.0f} s)", flush=True)
        STATUS.write_text(json.dumps(status, indent=1, sort_keys=True) + "\n")


def try_source(source: Path, names: list[str]) -> None:
    """Run the twins against another checkout's `src/` (a branch's worktree) and print the
    verdicts; neither hoarfrost_status.json nor the twins' headers change."""
    env = {"PYTHONPATH": str(source.resolve())}
    for name in names:
        path = twin_path(name)
        if path is None:
            print(name, "no hoarfrost twin")
            continue
        metrics, error, took = run_program(sys.executable, path, 0, env)
        entry = {"metrics": metrics} if metrics is not None else {"error": error}
        print(name, verdict(name, entry), f"({took:.0f} s)", flush=True)


def main(argv: list[str]) -> None:
    mode, rest = argv[0], argv[1:]
    seeds = [0, 1, 2]
    small = "--small" in rest
    if small:
        rest.remove("--small")
    if "--seeds" in rest:
        at = rest.index("--seeds")
        seeds = [int(s) for s in rest[at + 1].split(",")]
        del rest[at:at + 2]
    if mode == "try":
        try_source(Path(rest[0]), names_from(rest[1:]))
    elif mode == "keras":
        keras_reference(names_from(rest), seeds, small)
    elif mode == "verdicts":  # re-judge the last hoarfrost runs against new references
        hoarfrost_status(names_from(rest), rerun=False)
    else:
        hoarfrost_status(names_from(rest))


if __name__ == "__main__":
    main(sys.argv[1:])
