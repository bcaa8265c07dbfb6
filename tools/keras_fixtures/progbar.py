"""Keras fixture for hoarfrost.utils.Progbar: the exact text it prints.

Run from this folder:

    cd tools/keras_fixtures && KERAS_BACKEND=jax ../../.venv-keras/bin/python progbar.py

Drives `keras.utils.Progbar` through one scenario (verbose 1 and 2, known and
unknown target, averaged and stateful values) with a fake clock, and writes
what it printed to tests/fixtures/keras_progbar.json. tests/test_progbar.py
runs the same scenario on hoarfrost's Progbar.
"""

import contextlib
import io
import json
import os
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "jax")
from keras.src.utils import progbar as module  # noqa: E402

OUT = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "keras_progbar.json"
STEPS = [(1.5, 0.1), (0.5, 0.01), (0.00001, 0.001), (2.0, 1e-5), (3, 0.5)]


def scenario(progbar_class, time_module) -> dict:
    now = [1000.0]
    time_module.time = lambda: now[0]
    outputs = {}
    for verbose in (1, 2):
        for target in (5, None):
            buffer = io.StringIO()
            with contextlib.redirect_stdout(buffer):
                bar = progbar_class(target, verbose=verbose, stateful_metrics=["lr"])
                for i, (loss, lr) in enumerate(STEPS, 1):
                    now[0] += 0.7 * i
                    bar.update(i, values=[("loss", loss), ("lr", lr)])
                if target is None:
                    bar.update(5, finalize=True)
            outputs[f"verbose={verbose},target={target}"] = buffer.getvalue()
    return outputs


if __name__ == "__main__":
    OUT.write_text(json.dumps(scenario(module.Progbar, module.time), indent=1) + "\n")
    print("wrote", OUT)
