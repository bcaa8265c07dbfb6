"""tools/api_coverage.py: Keras's names per namespace against hoarfrost's, without Keras."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

TOOL = Path(__file__).resolve().parents[2] / "tools" / "api_coverage.py"
spec = importlib.util.spec_from_file_location("api_coverage", TOOL)
api_coverage = sys.modules["api_coverage"] = importlib.util.module_from_spec(spec)
spec.loader.exec_module(api_coverage)

OPS = ("keras.ops", "keras.ops.numpy", "keras.ops.nn", "keras.ops.linalg", "keras.ops.image")


def test_the_ops_namespaces_are_complete():
    names = api_coverage.keras_names()
    rows = api_coverage.coverage({namespace: names[namespace] for namespace in OPS})
    assert {row.namespace: row.missing for row in rows} == {namespace: [] for namespace in OPS}
    assert sum(row.total for row in rows) == 337 + 220 + 55 + 16 + 16


def test_a_missing_name_and_a_missing_namespace_are_reported():
    rows = api_coverage.coverage({"keras.ops": ["add", "no_such_op"],
                                  "keras.no_such_namespace": ["thing"]})
    assert [(r.present, r.missing) for r in rows] == [(["add"], ["no_such_op"]), ([], ["thing"])]
    text = api_coverage.text_report(rows)
    assert "keras.ops" in text and "1 / 2" in text and "missing: no_such_op" in text
    assert "total (without applications): 1 / 3" in text


def test_applications_are_counted_apart():
    rows = api_coverage.coverage({"keras.layers": ["Dense"],
                                  "keras.applications.convnext": ["ConvNeXtTiny"]})
    table = api_coverage.markdown_report(rows)
    assert "| total, without applications | 1 / 1 (100%) | |" in table
    assert "| `keras.applications.*` | 0 / 1 (0%) | |" in table


def test_the_script_runs_without_keras(capsys):
    assert "keras" not in sys.modules
    assert api_coverage.main(["ops", "--no-missing"]) == 0
    out = capsys.readouterr().out
    assert "keras.ops.image" in out and "100.0%" in out and "missing" not in out
