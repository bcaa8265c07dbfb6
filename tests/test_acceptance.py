"""The founding reports and the demo, run as their authors would run them."""

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np

from hoarfrost.datasets import mnist
from hoarfrost.layers import Dense, Flatten
from hoarfrost.models import Sequential
from hoarfrost.utils import to_categorical

ROOT = Path(__file__).resolve().parents[1]


def run_example(name: str, tmp_path) -> str:
    env = dict(os.environ)
    env["HOARFROST_HOME"] = str(tmp_path)  # no cached MNIST
    env["HOARFROST_DATASETS_ORIGIN"] = "http://127.0.0.1:9/"  # refused at once: offline
    result = subprocess.run([sys.executable, str(ROOT / "examples" / name)], env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def test_report_model_reaches_90_percent_on_real_digits_in_5_epochs():
    (x_train, y_train), (x_test, y_test) = mnist.load_sample()
    model = Sequential([Flatten(input_shape=(28, 28)),
                        Dense(300, name="dense1", activation="relu"),
                        Dense(100, name="dense2", activation="relu"),
                        Dense(10, name="dense3", activation="softmax")])
    model.compile(optimizer="Adam", metrics=["accuracy"], loss="categorical_crossentropy")
    model.fit(x_train / 255.0, to_categorical(y_train, 10), epochs=5, verbose=0)
    loss, accuracy = model.evaluate(x_test / 255.0, to_categorical(y_test, 10), verbose=0)
    assert accuracy >= 0.90
    assert np.isfinite(loss)


def test_report_1_freeze_after_compile_program(tmp_path):
    out = run_example("freeze_after_compile.py", tmp_path)
    assert "load_sample()" in out  # it says it fell back to the shipped sample
    assert "the weights did not change!!!" in out
    assert "the weights changed!!!!" not in out


def test_report_2_notebook_program(tmp_path):
    out = run_example("trainable_notebook.py", tmp_path)
    totals = re.findall(r"Total params: (\d+)", out)
    trainable = re.findall(r"Trainable params: (\d+)", out)
    assert totals == ["65"] * 8
    assert trainable == ["0", "0", "33", "33", "0", "0", "33", "33"]
    verdicts = re.findall(r"weight (\d) \(\S+\)\t(not updated|updated)", out)
    cases = [verdicts[i:i + 6] for i in range(0, len(verdicts), 6)]
    assert len(cases) == 8
    all_frozen = ["not updated"] * 6
    middle_frozen = ["updated", "updated", "not updated", "not updated", "updated", "updated"]
    expected = [all_frozen, all_frozen, middle_frozen, middle_frozen,
                all_frozen, all_frozen, middle_frozen, middle_frozen]
    assert [[v for _, v in case] for case in cases] == expected
    names = re.search(r"(dense_12/kernel\n(?:.*\n){5})\n((?:.*\n){6})", out)
    assert names and names.group(1) == names.group(2)  # toggling never reorders weights


def test_demo_prints_the_proof(tmp_path):
    out = run_example("demo.py", tmp_path)
    assert "weight 0 (dense1/kernel)\tnot updated (bit-identical)" in out
    assert "weight 1 (dense1/bias)\tnot updated (bit-identical)" in out
    assert "Trainable params: 31,110" in out
    accuracy = float(re.findall(r"Test accuracy after 5 epochs: ([0-9.]+)", out)[0])
    assert accuracy >= 0.90
