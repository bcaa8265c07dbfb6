"""The founding reports and the demo, run as their authors would run them."""

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np

from hoarfrost.datasets import fashion_mnist, mnist
from hoarfrost.models import Sequential

ROOT = Path(__file__).resolve().parents[1]


def run_example(name: str, tmp_path) -> str:
    env = dict(os.environ)
    env["HOARFROST_HOME"] = str(tmp_path)  # no cached MNIST
    env["HOARFROST_DATASETS_ORIGIN"] = "http://127.0.0.1:9/"  # refused at once: offline
    result = subprocess.run([sys.executable, str(ROOT / "examples" / name)], env=env,
                            cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def test_report_1_freeze_after_compile_program(tmp_path):
    """The report's program, and its model's bar: >= 0.90 on the real test digits after
    its 5 epochs (the report's own `print(model.evaluate(...))`: [loss, accuracy])."""
    out = run_example("freeze_after_compile.py", tmp_path)
    assert "load_sample()" in out  # it says it fell back to the shipped sample
    evaluated = re.findall(r"^\[(\S+), (\S+)\]$", out, flags=re.MULTILINE)
    assert len(evaluated) == 1, out[-3000:]
    loss, accuracy = map(float, evaluated[0])
    assert accuracy >= 0.90, accuracy
    assert np.isfinite(loss)
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
    for picture in ("history.png", "model.png"):  # matplotlib is in the test extra
        assert (tmp_path / "demo-output" / picture).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_cnn_with_batch_normalization_reaches_97_percent_and_freezes_bn_exactly():
    """Issue 3's bar: a CNN with BatchNormalization on the shipped digits reaches >= 0.97;
    freezing a trained BatchNormalization keeps gamma, beta and both moving statistics
    bit-identical under further training (while the rest keeps learning)."""
    from hoarfrost import layers

    (x_train, y_train), (x_test, y_test) = mnist.load_sample()
    model = Sequential([
        layers.Reshape((28, 28, 1), input_shape=(28, 28)),
        layers.Conv2D(32, 3, activation="relu"),
        layers.BatchNormalization(name="bn1"),
        layers.MaxPooling2D(),
        layers.Conv2D(64, 3, activation="relu"),
        layers.BatchNormalization(name="bn2"),
        layers.MaxPooling2D(),
        layers.Flatten(),
        layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    # Batch 32: BatchNormalization's moving statistics (momentum 0.99) need the steps.
    model.fit(x_train / 255.0, y_train, epochs=4, batch_size=32, verbose=0)
    # Batches of 500 divide the 2,000 test digits: one compiled test step, no ragged one.
    accuracy = model.evaluate(x_test / 255.0, y_test, batch_size=500, verbose=0)[1]
    assert accuracy >= 0.97, accuracy

    bn = model.get_layer("bn1")
    before = [w.copy() for w in bn.get_weights()]  # gamma, beta, moving mean, moving var
    dense_before = model.layers[-1].get_weights()[0].copy()
    bn2_mean_before = model.get_layer("bn2").get_weights()[2].copy()
    bn.trainable = False  # no recompile
    # 2,048 rows: 32 whole batches of 64, so the frozen set compiles one step, no ragged one.
    model.fit(x_train[:2048] / 255.0, y_train[:2048], epochs=1, batch_size=64, verbose=0)
    assert all(np.array_equal(a, b) for a, b in zip(before, bn.get_weights()))
    assert not np.array_equal(dense_before, model.layers[-1].get_weights()[0])
    assert not np.array_equal(bn2_mean_before, model.get_layer("bn2").get_weights()[2])


def test_transfer_learning_example_runs(tmp_path):
    env = dict(os.environ)
    env["HOARFROST_HOME"] = str(tmp_path)
    env["HOARFROST_DATASETS_ORIGIN"] = "http://127.0.0.1:9/"
    # The same path on every machine: no Fashion-MNIST, so the shipped digits 0-4 are the source.
    env[fashion_mnist.DIR_ENV] = str(tmp_path)
    result = subprocess.run([sys.executable, str(ROOT / "examples" / "transfer_learning.py"),
                             "--quick"], env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    out = result.stdout
    assert "1. Pretraining on MNIST digits 0-4 (shipped sample)" in out, out
    for phase in ("2. Transfer", "3. From scratch"):
        assert phase in out, out
    assert re.search(r"FreezeGuard: \d+ checks of frozen variables .* all bit-identical", out)
    assert re.search(r"Transferred 0\.\d{4} vs from scratch 0\.\d{4}", out), out
