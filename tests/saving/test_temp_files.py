"""The next save to a path removes the temp files a killed save to it left, and only
those: never a live writer's, another target's, or an unrelated file."""

import os
import subprocess
import sys
import time

from hoarfrost import Sequential, layers
from hoarfrost.saving import temp_files


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_the_next_save_removes_its_own_stale_temp_files_only(tmp_path):
    target = tmp_path / "model.keras"
    host = temp_files._host()
    old = time.time() - 2 * temp_files.STALE_AFTER
    files = {
        "dead writer": f".model.keras.{_dead_pid()}-{host}.abcd1234.tmp",
        "old, unmarked": ".model.keras.k2j4h5g6.tmp",
        "live writer": f".model.keras.{os.getppid()}-{host}.zzzz9999.tmp",
        "this process": f".model.keras.{os.getpid()}-{host}.qqqq1111.tmp",
        "fresh, unmarked": ".model.keras.a1b2c3d4.tmp",
        "other host, fresh": f".model.keras.{_dead_pid()}-00000000.wwww2222.tmp",
        "other target": f".model2.keras.{_dead_pid()}-{host}.abcd1234.tmp",
        "unrelated": ".model.keras.notes.txt",
    }
    for label, name in files.items():
        (tmp_path / name).write_bytes(b"partial")
    os.utime(tmp_path / files["old, unmarked"], (old, old))

    model = Sequential([layers.Dense(1, input_dim=2)])
    model.save(target)

    left = {p.name for p in tmp_path.iterdir()}
    assert files["dead writer"] not in left and files["old, unmarked"] not in left
    kept = set(files) - {"dead writer", "old, unmarked"}
    assert {files[label] for label in kept} <= left
    assert left == {files[label] for label in kept} | {"model.keras"}  # and its own is gone


def test_a_temp_file_name_marks_its_writer(tmp_path):
    name = temp_files.prefix(tmp_path / "w.weights.safetensors") + "abcdefgh.tmp"
    assert name.startswith(f".w.weights.safetensors.{os.getpid()}-")
    assert temp_files._pattern(tmp_path / "w.weights.safetensors").fullmatch(name)
