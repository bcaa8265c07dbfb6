"""kill -9 at a random moment of `model.save`, `save_weights`, `ModelCheckpoint` and
`BackupAndRestore`: every file holds the previous save intact or the new one complete,
the next save removes the temp files the killed one left, and a resumed fit ends bit
for bit where an uninterrupted one does.

One killed process per trial runs all four writers at once (see `kill_writer.py`).
CI runs `HOARFROST_FAULT_TRIALS` trials (default 3); set it to 20 for the full battery.
"""

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import hoarfrost
from hoarfrost.callbacks import BackupAndRestore, LambdaCallback
from hoarfrost.models import load_model
from tests.saving import kill_writer

TRIALS = int(os.environ.get("HOARFROST_FAULT_TRIALS", "3"))
WRITER = Path(kill_writer.__file__)
SOURCE = Path(hoarfrost.__file__).parents[1]  # the hoarfrost under test, for the child


def same(a, b) -> bool:
    return len(a) == len(b) and all(np.array_equal(x, y) for x, y in zip(a, b))


def optimizer_state(model) -> list:
    import jax
    state = model.optimizer.snapshot(model.weights)
    return [np.asarray(leaf) for leaf in jax.tree.leaves(state.slots)] + [
        np.asarray(model.optimizer.iterations.value)]


@pytest.fixture(scope="module")
def reference():
    """The uninterrupted fit: weights after each epoch, final optimizer state, and the
    model (put back to its start before each resume, so nothing compiles again)."""
    model = kill_writer.fit_model()
    start = (model.get_weights(), model.optimizer.snapshot(model.weights))
    per_epoch = []
    kill_writer.run_fit(model, [LambdaCallback(
        on_epoch_end=lambda epoch, logs: per_epoch.append(model.get_weights()))])
    return {"model": model, "start": start, "per_epoch": per_epoch,
            "final": model.get_weights(), "optimizer": optimizer_state(model)}


def progress(workdir: Path) -> dict:
    done = {"save": 0, "weights": 0, "epoch": 0, "fit done": False}
    path = workdir / "progress.log"
    lines = path.read_text().splitlines() if path.exists() else []
    for line in lines:
        if line == "fit done":
            done["fit done"] = True
        elif line.count(" ") == 1:  # a line cut by the kill has no number yet
            kind, number = line.split(" ")
            done[kind] = max(done[kind], int(number)) if number.isdigit() else done[kind]
    return done


def run_and_kill(workdir: Path, rng: random.Random) -> dict:
    """Start the writer, let it reach a random epoch, kill it at a random moment of
    that epoch; returns its progress at the kill."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(SOURCE), str(WRITER.parents[2])]))
    child = subprocess.Popen([sys.executable, str(WRITER), str(workdir)], env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    target = rng.randint(1, kill_writer.EPOCHS - 2)
    try:
        deadline, seen = time.monotonic() + 300, {}
        while True:
            done = progress(workdir)
            if done["epoch"] not in seen:
                seen[done["epoch"]] = time.monotonic()
            if done["epoch"] >= target and done["save"] and done["weights"]:
                break
            assert child.poll() is None, child.stderr.read().decode()[-3000:]
            assert time.monotonic() < deadline, "the writer made no progress"
            time.sleep(0.005)
        epoch_time = seen[done["epoch"]] - seen.get(done["epoch"] - 1, seen[done["epoch"]])
        time.sleep(rng.uniform(0, max(epoch_time, 0.05)))
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
        child.stderr.close()
    assert child.returncode == -signal.SIGKILL
    return progress(workdir)


def temp_files(workdir: Path) -> list:
    return sorted(p.name for p in workdir.rglob("*.tmp"))


def check_generation_file(model, done: int, path: Path) -> None:
    """`model`'s weights (loaded from `path`) are one whole generation: the last logged
    one or the next."""
    for generation in (done, done + 1):
        if same(model.get_weights(), kill_writer.generation_weights(model, generation)):
            return
    raise AssertionError(f"{path.name} holds neither generation {done} nor {done + 1}")


@pytest.mark.parametrize("trial", range(TRIALS))
def test_a_killed_writer_leaves_whole_files_and_a_bit_exact_resume(tmp_path, trial,
                                                                   reference):
    done = run_and_kill(tmp_path, random.Random(trial))
    left_behind = temp_files(tmp_path)
    print(f"killed at {done}; temp files left by writes cut short: {left_behind}")

    # model.save and save_weights: the previous generation intact, or the next one whole.
    saved = load_model(tmp_path / "saved.keras")
    check_generation_file(saved, done["save"], tmp_path / "saved.keras")
    weights_model = kill_writer.generation_model("weights")
    weights_model.load_weights(tmp_path / "saved.weights.safetensors")
    check_generation_file(weights_model, done["weights"],
                          tmp_path / "saved.weights.safetensors")

    # ModelCheckpoint: the weights of the last logged epoch, or of the next.
    checkpoint = load_model(tmp_path / "checkpoint.keras")
    epoch = done["epoch"]
    assert any(same(checkpoint.get_weights(), reference["per_epoch"][e - 1])
               for e in (epoch, epoch + 1) if e <= kill_writer.EPOCHS)

    # BackupAndRestore: the backup names a whole checkpoint of the logged epoch or the
    # next, and a fit resumed from it ends bit for bit as the uninterrupted one.
    backup = tmp_path / "backup"
    resume_at = None
    if (backup / "training_metadata.json").exists():
        metadata = json.loads((backup / "training_metadata.json").read_text())
        assert metadata["epoch"] in (epoch, epoch + 1)
        assert (backup / metadata["file"]).exists()
        resume_at = metadata["epoch"]
    else:  # only the completed fit removes it (after logging its last epoch)
        assert epoch == kill_writer.EPOCHS
    model = reference["model"]
    weights, optimizer = reference["start"]
    model.set_weights(weights)
    model.optimizer.restore(optimizer)
    restore = BackupAndRestore(backup)
    history = kill_writer.run_fit(model, [restore])
    assert restore.restored_epoch == resume_at
    assert history.epoch == list(range(resume_at or 0, kill_writer.EPOCHS))
    assert same(model.get_weights(), reference["final"])
    assert same(optimizer_state(model), reference["optimizer"])

    # The next save to each target removes what the killed one left.
    saved.save(tmp_path / "saved.keras")
    weights_model.save_weights(tmp_path / "saved.weights.safetensors")
    checkpoint.save(tmp_path / "checkpoint.keras")
    assert temp_files(tmp_path) == [], f"left behind by the kill: {left_behind}"
    assert not backup.exists()  # the resumed fit completed, and removed its backup
