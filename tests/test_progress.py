"""What `fit` prints: Keras 3's layout for verbose 1 and 2, nothing for 0."""

import io
import re

import numpy as np
from rich.console import Console

from hoarfrost import Sequential, layers
from hoarfrost.callbacks import CallbackList, ProgbarLogger
from hoarfrost.progress import format_value


def trained(verbose, capsys, progbar=None):
    model = Sequential([layers.Dense(1, input_dim=2)])
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    x = np.ones((64, 2), np.float32)
    model.fit(x, x[:, :1], epochs=2, batch_size=16, verbose=verbose,
              callbacks=[progbar] if progbar else None)
    return capsys.readouterr().out


def test_verbose_2_prints_one_keras_line_per_epoch(capsys):
    out = trained(2, capsys).splitlines()
    assert out[0] == "Epoch 1/2" and out[2] == "Epoch 2/2"
    pattern = r"^4/4 - \d+s - \d+(ms|us|s)/step - loss: \d+\.\d{4}(e-\d+)? - mae: \d+\.\d{4}(e-\d+)?$"
    assert re.match(pattern, out[1]), out[1]
    assert re.match(pattern, out[3]), out[3]
    assert len(out) == 4


def test_verbose_0_is_silent(capsys):
    assert trained(0, capsys) == ""


def test_verbose_1_final_line_has_the_bar(capsys):
    buffer = io.StringIO()
    console = Console(file=buffer, width=200, force_terminal=False)
    trained(1, capsys, ProgbarLogger(verbose=1, console=console))
    lines = [line for line in buffer.getvalue().splitlines() if line]
    assert lines[0] == "Epoch 1/2"
    assert re.match(r"^4/4 ━{20} \d+s \d+(ms|us|s)/step - loss: \S+ - mae: \S+$", lines[1]), lines
    assert len(lines) == 4


def test_auto_verbose_is_2_without_a_tty(capsys):
    callbacks = CallbackList([], verbose="auto")
    assert [c.verbose for c in callbacks.callbacks if isinstance(c, ProgbarLogger)] == [2]


def test_number_format_matches_keras():
    assert format_value(0.23456) == "0.2346"
    assert format_value(0.0001234) == "1.2340e-04"
    assert format_value(0) == "0.0000"


def test_evaluate_and_predict_show_progress_as_keras(capsys):
    """Keras 3.15 prints `2/2 - 0s - 197ms/step - loss: 0.9267` for evaluate and
    `2/2 - 0s - 605us/step` for predict at verbose=2; the bar at verbose=1; fit's
    validation prints nothing of its own."""
    model = Sequential([layers.Dense(1, input_dim=2)])
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    x = np.ones((32, 2), np.float32)
    model.evaluate(x, x[:, :1], batch_size=16, verbose=2)
    model.predict(x, batch_size=16, verbose=2)
    model.evaluate(x, x[:, :1], batch_size=16, verbose=0)
    model.predict(x, batch_size=16, verbose=0)
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 2, out
    assert re.match(r"^2/2 - \d+s - \d+(ms|us|s)/step - loss: \S+ - mae: \S+$", out[0]), out
    assert re.match(r"^2/2 - \d+s - \d+(ms|us|s)/step$", out[1]), out
    buffer = io.StringIO()
    bar = ProgbarLogger(verbose=1, console=Console(file=buffer, width=200))
    model.evaluate(x, x[:, :1], batch_size=16, callbacks=[bar])
    model.predict(x, batch_size=16, callbacks=[bar])
    model.fit(x, x[:, :1], batch_size=16, epochs=1, validation_data=(x, x[:, :1]),
              callbacks=[bar])
    lines = [line for line in buffer.getvalue().splitlines() if line]
    assert re.match(r"^2/2 ━{20} \d+s \d+(ms|us|s)/step - loss: \S+ - mae: \S+$", lines[0])
    assert re.match(r"^2/2 ━{20} \d+s \d+(ms|us|s)/step$", lines[1]), lines
    assert lines[2] == "Epoch 1/1" and "val_loss" in lines[3] and len(lines) == 4, lines
