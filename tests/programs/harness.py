"""Run a ported Keras program in-process and compare its metrics with Keras's.

Each `tests/programs/<name>.py` is a Keras 3 guide or keras-io example whose import lines
(only) were changed to hoarfrost's; its Keras twin is `tools/guide_ports/keras/<name>.py`.
A program ends with a `metrics` dict. `run_program` executes it with `runpy` in a scratch
directory (the guides write `.keras` files into the current directory); `assert_like_keras`
checks each metric against what Keras 3.15 (JAX backend) reported for the same program:
counts, shapes and names exactly, trained values inside the noise band of Keras's seeds.
"""

from __future__ import annotations

import math
import runpy
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Band:
    """Keras's range of a trained value over seeds (`low`..`high`), widened by `slack`.

    hoarfrost draws different random numbers than Keras, so its run is one more draw
    from the same distribution: it must land where Keras's own seeds land, give or take
    `slack` (set per metric from Keras's spread, see tools/guide_ports/bands.py).
    """

    low: float
    high: float
    slack: float

    def __contains__(self, value) -> bool:
        return (isinstance(value, (int, float)) and math.isfinite(value)
                and self.low - self.slack <= value <= self.high + self.slack)

    def __repr__(self) -> str:
        return f"Keras {self.low:.4g}..{self.high:.4g} (+-{self.slack:.3g})"


def run_program(name: str, tmp_path: Path, monkeypatch) -> dict:
    """Execute tests/programs/<name>.py as `__main__` in `tmp_path`; return its metrics.

    With PORT_SMALL=1: the program's cut for CI (fewer samples or epochs, in both twins),
    whose Keras figures are recorded separately (`run.py keras NAME --small`).
    """
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PORT_SEED", "0")
    monkeypatch.setenv("PORT_SMALL", "1")
    namespace = runpy.run_path(str(HERE / f"{name}.py"), run_name="__main__")
    return namespace["metrics"]


def assert_like_keras(metrics: dict, keras: dict) -> None:
    """Every metric Keras recorded: inside its Band, or equal to Keras's value."""
    problems = []
    for key, expected in keras.items():
        if key not in metrics:
            problems.append(f"{key}: missing")
        elif isinstance(expected, Band):
            if metrics[key] not in expected:
                problems.append(f"{key}: {metrics[key]!r} outside {expected!r}")
        elif metrics[key] != expected:
            problems.append(f"{key}: {metrics[key]!r}, Keras {expected!r}")
    assert not problems, "differs from Keras:\n  " + "\n  ".join(problems)
