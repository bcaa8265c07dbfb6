"""Proof at run time that frozen weights stayed frozen.

`weight_changes(model, fn)` runs `fn` and reports, for every weight, whether
it changed by a single bit and by how much: the check both founding reports
wrote by hand, as a table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np


@dataclass(frozen=True)
class WeightChange:
    """One weight's fate: `changed` is bitwise, `max_abs_change` its size."""

    index: int
    path: str
    trainable: bool
    changed: bool
    max_abs_change: float


class WeightChanges(list):
    """A list of `WeightChange` that prints as a table."""

    @property
    def changed(self) -> list[str]:
        return [c.path for c in self if c.changed]

    @property
    def unchanged(self) -> list[str]:
        return [c.path for c in self if not c.changed]

    def __str__(self) -> str:
        from io import StringIO

        from rich.console import Console
        from rich.table import Table

        table = Table(title="Weight changes")
        for column in ("#", "weight", "trainable", "changed", "max |change|"):
            table.add_column(column, justify="right" if column in ("#", "max |change|") else "left")
        for c in self:
            table.add_row(str(c.index), c.path, "Y" if c.trainable else "N",
                          "updated" if c.changed else "not updated", f"{c.max_abs_change:.3e}")
        buffer = StringIO()
        Console(file=buffer, width=100, color_system=None).print(table)
        return buffer.getvalue().rstrip("\n")


def weight_changes(model, fn: Callable[[], object]) -> WeightChanges:
    """Run `fn()` and report which of `model.weights` it changed (bitwise).

    Example:
        >>> report = weight_changes(model, lambda: model.fit(x, y, verbose=0))
        >>> print(report)          # a table, one row per weight
        >>> report.unchanged       # paths that did not move by a single bit
    """
    trainable = {id(v) for v in model.trainable_weights}
    before = [(v, v.numpy()) for v in model.weights]
    fn()
    report = WeightChanges()
    for index, (variable, old) in enumerate(before):
        new = variable.numpy()
        changed = old.shape != new.shape or not np.array_equal(old, new)
        delta = float(np.max(np.abs(new.astype(np.float64) - old))) if (
            changed and old.shape == new.shape and old.size) else 0.0
        report.append(WeightChange(index, variable.path, id(variable) in trainable, changed, delta))
    return report
