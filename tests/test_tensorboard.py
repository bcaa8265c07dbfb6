"""TensorBoard event files: Keras's runs and tags, valid framing, no TensorFlow."""

import glob
import os
import struct

import numpy as np
import pytest

from hoarfrost import Sequential, callbacks, layers
from hoarfrost.tensorboard import crc32c, read_events


def _fields(message: bytes) -> list:
    """(field, value) pairs of a protocol buffer message (varint, fixed and bytes fields)."""
    out, i = [], 0
    while i < len(message):
        key, i = _varint(message, i)
        field, wire = key >> 3, key & 7
        if wire == 0:
            value, i = _varint(message, i)
        elif wire == 1:
            value, i = struct.unpack("<d", message[i:i + 8])[0], i + 8
        elif wire == 5:
            value, i = struct.unpack("<f", message[i:i + 4])[0], i + 4
        else:
            length, i = _varint(message, i)
            value, i = message[i:i + length], i + length
        out.append((field, value))
    return out


def _varint(data: bytes, i: int):
    shift = value = 0
    while True:
        byte = data[i]
        value |= (byte & 0x7F) << shift
        i, shift = i + 1, shift + 7
        if not byte & 0x80:
            return value, i


def _scalars(run_dir: str) -> dict:
    """{tag: [(step, value)]} from every event file of a run."""
    found: dict = {}
    for path in glob.glob(os.path.join(run_dir, "events.out.tfevents.*")):
        for record in read_events(path):
            event = dict(_fields(record))
            for field, value in _fields(event.get(5, b"")):
                parts = dict(_fields(value))
                if 2 in parts:
                    found.setdefault(parts[1].decode(), []).append((event[2], parts[2]))
    return found


def test_crc32c_known_value():
    assert crc32c(b"123456789") == 0xE3069283  # the standard check value


def test_fit_writes_keras_runs_and_tags(tmp_path):
    x = np.random.default_rng(0).random((64, 4)).astype("float32")
    y = (x.sum(1) > 2).astype("int32")
    model = Sequential([layers.Input((4,)), layers.Dense(2, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    board = callbacks.TensorBoard(log_dir=tmp_path / "logs", histogram_freq=1)
    history = model.fit(x, y, validation_split=0.25, epochs=3, batch_size=16, verbose=0,
                        callbacks=[board])
    train = _scalars(str(tmp_path / "logs" / "train"))
    validation = _scalars(str(tmp_path / "logs" / "validation"))
    assert {"epoch_loss", "epoch_accuracy", "epoch_learning_rate"} <= set(train)
    assert {"epoch_loss", "epoch_accuracy"} <= set(validation)
    assert "evaluation_loss_vs_iterations" in validation
    assert [step for step, _ in train["epoch_loss"]] == [0, 1, 2]
    np.testing.assert_allclose([v for _, v in train["epoch_loss"]], history.history["loss"],
                               rtol=1e-6)
    np.testing.assert_allclose([v for _, v in validation["epoch_loss"]],
                               history.history["val_loss"], rtol=1e-6)
    # Histograms: one per weight per epoch, tagged with the weight's path.
    records = [dict(_fields(r)) for p in glob.glob(str(tmp_path / "logs" / "train" / "*"))
               for r in read_events(p)]
    tags = {dict(_fields(v))[1].decode() for r in records
            for f, v in _fields(r.get(5, b"")) if 5 in dict(_fields(v))}
    assert tags == {f"{w.path}/histogram" for w in model.weights}


def test_epoch_logging_keeps_the_multi_step_loop_and_batches_opt_in(tmp_path):
    assert not callbacks.CallbackList([callbacks.TensorBoard(tmp_path)]).needs_every_batch()
    batched = callbacks.TensorBoard(tmp_path / "b", update_freq=2)
    assert callbacks.CallbackList([batched]).needs_every_batch()
    x = np.ones((32, 3), "float32")
    model = Sequential([layers.Input((3,)), layers.Dense(1)])
    model.compile("sgd", "mse")
    model.fit(x, np.ones((32, 1)), batch_size=8, epochs=1, verbose=0, callbacks=[batched])
    steps = [s for s, _ in _scalars(str(tmp_path / "b" / "train"))["batch_loss"]]
    assert steps == [2, 4]


def test_bad_update_freq_names_itself():
    with pytest.raises(ValueError, match="update_freq"):
        callbacks.TensorBoard(update_freq=0)
