"""Progbar: Keras's averaging and its text, line by line."""

import pytest

from hoarfrost import progbar as progbar_module
from hoarfrost.utils import Progbar


@pytest.fixture
def clock(monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(progbar_module.time, "time", lambda: now[0])
    return now


def test_verbose_2_prints_one_averaged_line(clock, capsys):
    bar = Progbar(target=4, verbose=2, stateful_metrics=["acc"])
    for step, (loss, acc) in enumerate([(4.0, 0.1), (2.0, 0.2), (2.0, 0.3), (0.0, 0.5)], 1):
        clock[0] += 0.5
        bar.update(step, values=[("loss", loss), ("acc", acc)])
    # The final update keeps its own loss (as Keras); acc is stateful: shown as given.
    # Time per step leaves the first step out: (2.0 - 0.5) s / 3 steps.
    assert capsys.readouterr().out == "4/4 - 2s - 500ms/step - loss: 0.0000e+00 - acc: 0.5000\n"


def test_stateless_values_are_averaged_over_steps(clock, capsys):
    bar = Progbar(target=10, verbose=2)
    bar.update(2, values=[("loss", 1.0)])  # weighs 2 steps
    bar.update(4, values=[("loss", 4.0)])  # weighs 2 steps
    bar.add(1, values=[("loss", 7.0)])     # weighs 1 step
    assert bar._values["loss"] == [1.0 * 2 + 4.0 * 2 + 7.0, 5]
    assert capsys.readouterr().out == ""  # verbose=2 prints at the end only


def test_verbose_1_redraws_in_place(clock, capsys):
    bar = Progbar(target=3, verbose=1, interval=0)
    clock[0] += 1
    bar.update(1, values=[("loss", 0.5)])
    first = capsys.readouterr().out
    assert first.startswith("\r\x1b[1m1/3\x1b[0m \33[32m" + "━" * 6)
    assert first.endswith(" \x1b[1m2s\x1b[0m 1s/step - loss: 0.5000")  # ETA, time per step
    clock[0] += 1
    bar.update(3, values=[("loss", 0.5)])
    last = capsys.readouterr().out
    assert last.startswith("\b" * len("1/3 " + "━" * 20 + " 2s 1s/step - loss: 0.5000") + "\r")
    assert last.endswith("loss: 0.5000\n")


def test_unknown_target(clock, capsys):
    bar = Progbar(target=None, verbose=1, interval=0)
    bar.update(7)
    assert "      7/Unknown" in capsys.readouterr().out


def test_both_metric_lists_are_refused():
    with pytest.raises(ValueError, match="Only one of"):
        Progbar(3, stateful_metrics=["a"], stateless_metrics=["b"])


def test_output_equals_keras_character_for_character(monkeypatch):
    """The scenario of tools/keras_fixtures/progbar.py, on hoarfrost's Progbar."""
    import contextlib
    import io
    import json
    from pathlib import Path

    expected = json.loads((Path(__file__).parent / "fixtures" / "keras_progbar.json").read_text())
    steps = [(1.5, 0.1), (0.5, 0.01), (0.00001, 0.001), (2.0, 1e-5), (3, 0.5)]
    now = [1000.0]
    monkeypatch.setattr(progbar_module.time, "time", lambda: now[0])
    for verbose in (1, 2):
        for target in (5, None):
            buffer = io.StringIO()
            with contextlib.redirect_stdout(buffer):
                bar = Progbar(target, verbose=verbose, stateful_metrics=["lr"])
                for i, (loss, lr) in enumerate(steps, 1):
                    now[0] += 0.7 * i
                    bar.update(i, values=[("loss", loss), ("lr", lr)])
                if target is None:
                    bar.update(5, finalize=True)
            assert buffer.getvalue() == expected[f"verbose={verbose},target={target}"]
