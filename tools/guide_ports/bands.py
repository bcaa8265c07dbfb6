"""Print the `KERAS = {...}` literal a tests/programs test records, from Keras's runs.

    python tools/guide_ports/bands.py NAME [--small]

Reads tools/guide_ports/keras_reference/NAME.json (written by run.py keras), or with
--small NAME.small.json (run.py keras NAME --small: the cut CI runs). A float
metric becomes `Band(min, max, slack)` with slack = max(max - min, 3 * std,
5% of max(1, |mean|)): hoarfrost's run is one more random draw, so it must land within
Keras's spread over seeds widened by as much again. Anything else is kept exactly.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

REFERENCE_DIR = Path(__file__).resolve().parent / "keras_reference"


def slack_of(summary: dict) -> float:
    spread = summary["max"] - summary["min"]
    return max(spread, 3 * summary["std"], 0.05 * max(1.0, abs(summary["mean"])))


def band_literal(summary: dict) -> str:
    return f"Band({summary['min']:.4f}, {summary['max']:.4f}, {slack_of(summary):.4f})"


def keras_literal(name: str, small: bool = False) -> str:
    file_name = f"{name}{'.small' if small else ''}.json"
    entry = json.loads((REFERENCE_DIR / file_name).read_text())
    seeds = sorted(entry["seeds"], key=int)
    lines = [f"# Keras 3.15, JAX backend{', PORT_SMALL=1' if small else ''}, seeds {', '.join(seeds)}",
             f"# (tools/guide_ports/keras_reference/{file_name})", "KERAS = {"]
    for key, value in entry["summary"].items():
        if isinstance(value, dict) and set(value) == {"min", "max", "mean", "std"}:
            lines.append(f"    {key!r}: {band_literal(value)},")
        else:
            lines.append(f"    {key!r}: {value!r},")
    lines.append("}")
    return "\n".join(lines)


if __name__ == "__main__":
    small = "--small" in sys.argv
    for name in sys.argv[1:]:
        if name != "--small":
            print(keras_literal(name, small))
