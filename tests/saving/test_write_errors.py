"""Saves the file system refuses: a read-only directory, a missing parent directory, a
disk that fills up mid-save (a file-size limit). Each raises an error naming the file and
what is wrong, and leaves the previous file as it was, with no temp file behind.

(Truncated, bit-flipped and foreign files and a directory path are in test_saving_lib.py.)
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

import hoarfrost
from hoarfrost import Sequential, layers
from tests.saving import failing_writes

LIMIT = 64 * 1024  # bytes: the model's file is ~260 KB
SOURCE = Path(hoarfrost.__file__).parents[1]


@pytest.fixture
def workdir():
    """A directory the unprivileged child can write in (tmp_path's parents are 0700)."""
    path = Path(tempfile.mkdtemp(prefix="hoarfrost-write-errors-"))
    path.chmod(0o777)
    yield path
    shutil.rmtree(path)


def test_refused_saves_name_the_file_and_keep_the_previous_one(workdir):
    read_only, full = workdir / "read_only", workdir / "full"
    for directory in (read_only, full):
        directory.mkdir()
    old = Sequential([layers.Dense(256, input_dim=256)])  # as big as the child's
    targets = {"read-only directory": [read_only / "m.keras", read_only / "w.weights.safetensors"],
               "full disk": [full / "m.keras", full / "w.weights.safetensors"]}
    for path in targets["read-only directory"] + targets["full disk"]:
        old.save(path) if path.suffix == ".keras" else old.save_weights(path)
    before = {path: path.read_bytes() for paths in targets.values() for path in paths}
    read_only.chmod(0o555)
    full.chmod(0o777)
    missing = [workdir / "missing" / "m.keras", workdir / "missing" / "w.weights.safetensors"]

    paths = [*targets["read-only directory"], *targets["full disk"], *missing]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(SOURCE)]),
               HOME=str(workdir), HOARFROST_HOME=str(workdir / "home"))
    result = subprocess.run([sys.executable, failing_writes.__file__, str(LIMIT),
                             *map(str, paths)], env=env, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    errors = json.loads(result.stdout.splitlines()[-1])

    def check(path, kind, *words):
        assert errors[str(path)] is not None, f"{path.name} was written"
        name, message = errors[str(path)]
        assert name == kind and repr(str(path)) in message, (name, message)
        for word in words:
            assert word in message, (word, message)

    for path in targets["read-only directory"]:
        check(path, "PermissionError", "not writable", repr(str(read_only)))
    for path in targets["full disk"]:
        check(path, "OSError", "File too large", "file-size limit")
    for path in missing:
        check(path, "FileNotFoundError", "does not exist", repr(str(path.parent)))
    assert not (workdir / "missing").exists()  # nothing created
    for path, blob in before.items():
        assert path.read_bytes() == blob, f"{path.name} changed"
    assert sorted(p.name for p in workdir.rglob("*.tmp")) == []
