"""How much of Keras 3's public API hoarfrost has, per namespace.

    PYTHONPATH=src python tools/api_coverage.py               # every namespace, missing names
    PYTHONPATH=src python tools/api_coverage.py ops layers    # namespaces starting so
    PYTHONPATH=src python tools/api_coverage.py --markdown    # the README's table

Keras's names come from tests/fixtures/keras_api_names.json (written by
tools/keras_api_names.py from an installed Keras), so this runs without Keras.
`keras.X.Y` is looked up as `hoarfrost.X.Y`; a name is present when that module
has the attribute. `keras.applications.*` is counted apart from the rest (its own
issue).
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from dataclasses import dataclass
from pathlib import Path

FIXTURE = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "keras_api_names.json"
SEPARATE = ("keras.applications",)


@dataclass
class Coverage:
    namespace: str  # Keras's, e.g. "keras.ops.nn"
    present: list[str]
    missing: list[str]

    @property
    def total(self) -> int:
        return len(self.present) + len(self.missing)


def keras_names(fixture: Path = FIXTURE) -> dict[str, list[str]]:
    return json.loads(fixture.read_text())["namespaces"]


def hoarfrost_module(namespace: str):
    """The hoarfrost module standing for Keras's `namespace`, or None if there is none."""
    name = "hoarfrost" + namespace[len("keras"):]
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def coverage(namespaces: dict[str, list[str]]) -> list[Coverage]:
    rows = []
    for namespace, names in namespaces.items():
        module = hoarfrost_module(namespace)
        present = [n for n in names if module is not None and hasattr(module, n)]
        rows.append(Coverage(namespace, present, [n for n in names if n not in present]))
    return rows


def _totals(rows: list[Coverage]) -> tuple[int, int]:
    return sum(len(r.present) for r in rows), sum(r.total for r in rows)


def _split(rows: list[Coverage]) -> tuple[list[Coverage], list[Coverage]]:
    apart = [r for r in rows if r.namespace.startswith(SEPARATE)]
    return [r for r in rows if r not in apart], apart


def text_report(rows: list[Coverage], show_missing: bool = True) -> str:
    main, apart = _split(rows)
    width = max(len(r.namespace) for r in rows)
    lines = []
    for row in main + apart:
        if row.total == 0:
            continue
        percent = 100 * len(row.present) / row.total
        lines.append(f"{row.namespace:<{width}}  {len(row.present):>4} / {row.total:<4} "
                     f"{percent:5.1f}%")
        if show_missing and row.missing:
            lines.append(f"{'':<{width}}  missing: {', '.join(row.missing)}")
    for label, group in (("total (without applications)", main), ("applications", apart)):
        present, total = _totals(group)
        if total:
            lines.append(f"{label}: {present} / {total} ({100 * present / total:.1f}%)")
    return "\n".join(lines)


def markdown_report(rows: list[Coverage]) -> str:
    main, apart = _split(rows)
    lines = ["| Keras namespace | hoarfrost has | missing |", "| --- | --- | --- |"]
    for row in main:
        if row.total:
            missing = ", ".join(f"`{n}`" for n in row.missing[:8])
            more = len(row.missing) - 8
            missing += f" and {more} more" if more > 0 else ""
            lines.append(f"| `{row.namespace}` | {len(row.present)} / {row.total} | "
                         f"{missing or '-'} |")
    for label, group in (("total, without applications", main), ("`keras.applications.*`", apart)):
        present, total = _totals(group)
        if total:
            lines.append(f"| {label} | {present} / {total} ({100 * present / total:.0f}%) | |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("prefixes", nargs="*", help="namespaces to show, e.g. ops layers")
    parser.add_argument("--markdown", action="store_true", help="a Markdown table")
    parser.add_argument("--no-missing", action="store_true", help="counts only")
    args = parser.parse_args(argv)
    namespaces = keras_names()
    if args.prefixes:
        wanted = tuple("keras." + p.removeprefix("keras.") for p in args.prefixes)
        namespaces = {k: v for k, v in namespaces.items()
                      if k.startswith(wanted) or k in wanted}
    rows = coverage(namespaces)
    print(markdown_report(rows) if args.markdown else text_report(rows, not args.no_missing))
    return 0


if __name__ == "__main__":
    sys.exit(main())
