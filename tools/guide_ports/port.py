"""Make (or check) the hoarfrost twin of a Keras guide port by rewriting its import lines only.

A port lives as `tools/guide_ports/keras/<name>.py` (Keras 3, JAX backend). Its hoarfrost
twin is the same text with each top-level import of `keras` (and the offline-data helper)
rewritten; nothing else may differ. The twin lives in `tests/programs/<name>.py` once it
runs on hoarfrost with metrics within Keras's noise, else in `tools/guide_ports/hoarfrost/`.

    python tools/guide_ports/port.py NAME [NAME ...]   # (re)write NAME's twin where it lives
    python tools/guide_ports/port.py --check           # every twin equals its rewrite
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
KERAS_DIR = ROOT / "tools" / "guide_ports" / "keras"
FAILING_DIR = ROOT / "tools" / "guide_ports" / "hoarfrost"
PASSING_DIR = ROOT / "tests" / "programs"

_RULES = [
    (re.compile(r"^import keras$"), "import hoarfrost as keras"),
    (re.compile(r"^import keras as (\w+)$"), r"import hoarfrost as \1"),
    (re.compile(r"^from keras import "), "from hoarfrost import "),
    (re.compile(r"^from keras\.([\w.]+) import "), r"from hoarfrost.\1 import "),
    (re.compile(r"^from _data import mnist_sample$"),
     "from hoarfrost.datasets.mnist import load_sample as mnist_sample"),
    (re.compile(r"^import tensorflow as tf  # tf\.data only$"),
     "import hoarfrost as tf  # tf.data only"),
    (re.compile(r"^from tensorflow import data as tf_data$"),
     "from hoarfrost import data as tf_data"),
]


def rewrite_line(line: str) -> str:
    """The hoarfrost form of one line: only top-level import lines change."""
    for pattern, replacement in _RULES:
        if pattern.match(line):
            return pattern.sub(replacement, line)
    return line


def hoarfrost_text(keras_text: str) -> str:
    return "\n".join(rewrite_line(line) for line in keras_text.split("\n"))


def twin_path(name: str) -> Path | None:
    for folder in (PASSING_DIR, FAILING_DIR):
        if (folder / f"{name}.py").is_file():
            return folder / f"{name}.py"
    return None


def strip_failure_header(text: str) -> str:
    """A failing twin starts with `# ON MAIN TODAY: ...` comment lines; drop them to compare."""
    lines = text.split("\n")
    while lines and lines[0].startswith("# ON MAIN TODAY"):
        lines.pop(0)
        while lines and lines[0].startswith("#   "):
            lines.pop(0)
    return "\n".join(lines)


def check() -> list[str]:
    problems = []
    for keras_file in sorted(KERAS_DIR.glob("[!_]*.py")):
        twin = twin_path(keras_file.stem)
        if twin is None:
            problems.append(f"{keras_file.stem}: no hoarfrost twin")
            continue
        if strip_failure_header(twin.read_text()) != hoarfrost_text(keras_file.read_text()):
            problems.append(f"{keras_file.stem}: {twin} differs from its Keras twin beyond imports")
    return problems


def main(argv: list[str]) -> int:
    if argv == ["--check"]:
        problems = check()
        print("\n".join(problems) or "every twin differs from its Keras port in imports only")
        return 1 if problems else 0
    for name in argv:
        text = hoarfrost_text((KERAS_DIR / f"{name}.py").read_text())
        path = twin_path(name) or FAILING_DIR / f"{name}.py"
        path.write_text(text)
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
