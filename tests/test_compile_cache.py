"""The persistent compilation cache: same results, loaded by a second process, off when asked.

Each case runs tests/compile_cache_scripts/train_once.py in a fresh process,
since the cache is set up once per process.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from hoarfrost import compile_cache

SCRIPT = Path(__file__).parent / "compile_cache_scripts" / "train_once.py"
SRC = Path(__file__).resolve().parents[1] / "src"


def _train_once(home: Path, **env_vars) -> dict:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("JAX_", "HOARFROST_COMPILE_CACHE"))}
    env.update(HOARFROST_HOME=str(home), PYTHONPATH=str(SRC), JAX_PLATFORMS="cpu", **env_vars)
    proc = subprocess.run([sys.executable, str(SCRIPT)], env=env, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    line = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT")][-1]
    return json.loads(line[len("RESULT"):])


def test_a_second_process_loads_the_compiled_training_programs_and_computes_the_same(tmp_path):
    """With hoarfrost's settings (every program is written, however fast it compiled), a
    second run compiles nothing: not the training loop, nor any small program."""
    home = tmp_path / "home"
    cold = _train_once(home)
    cache = home / "compile_cache"
    assert not cold["cache_after_import"]  # importing hoarfrost touches no disk
    assert cold["hits"] == 0 and cold["jax_cache_dir"] == str(cache)
    written = sorted(p.name for p in cache.iterdir())
    assert any(name.endswith("-cache") for name in written)
    assert oct(cache.stat().st_mode & 0o777) == oct(0o700)

    warm = _train_once(home)
    assert warm["loss"] == cold["loss"]
    assert warm["weights"] == cold["weights"]  # bit for bit
    assert warm["hits"] >= 1 and warm["hits"] == warm["requests"]  # every program loaded
    # The training loop (compiled with per-program compiler options) is among the hits.
    assert any("train" in name for name in warm["programs"]), warm["programs"]
    assert sorted(p.name for p in cache.iterdir()) == written  # nothing compiled anew

    # The off switch: the warm cache is neither read nor written.
    for name in written:
        os.utime(cache / name, (1, 1))  # any read or write would move these times
    off = _train_once(home, HOARFROST_COMPILE_CACHE="off")
    assert off["hits"] == 0 and off["jax_cache_dir"] is None
    assert off["weights"] == cold["weights"]
    assert sorted(p.name for p in cache.iterdir()) == written
    assert all((cache / name).stat().st_mtime == 1 for name in written)


def test_a_cache_the_user_configured_in_jax_is_left_as_it_is(tmp_path):
    mine = tmp_path / "jax-cache"
    # JAX's own threshold (1 s by default) would skip programs this small on a fast machine.
    result = _train_once(tmp_path / "home", JAX_COMPILATION_CACHE_DIR=str(mine),
                         JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS="0")
    assert result["jax_cache_dir"] == str(mine)
    assert not (tmp_path / "home").exists()
    assert any(p.name.endswith("-cache") for p in mine.iterdir())


def test_prune_drops_the_least_recently_used_programs_first(tmp_path):
    for age, name in enumerate(["newest", "middle", "oldest"]):
        path = tmp_path / f"{name}-cache"
        path.write_bytes(b"x" * 100)
        os.utime(path, (1_000_000 - age * 1000,) * 2)
    (tmp_path / "unrelated.txt").write_bytes(b"y" * 1000)  # not a cache entry: kept
    assert compile_cache.prune(tmp_path, 250) == 200
    assert sorted(p.name for p in tmp_path.iterdir()) == ["middle-cache", "newest-cache",
                                                         "unrelated.txt"]
    assert compile_cache.prune(tmp_path, 0) == 0
    assert [p.name for p in tmp_path.iterdir()] == ["unrelated.txt"]


def test_switches_and_bound_are_read_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setitem(compile_cache._state, "enabled", None)
    monkeypatch.setitem(compile_cache._state, "directory", None)
    monkeypatch.setitem(compile_cache._state, "max_bytes", None)
    monkeypatch.setenv("HOARFROST_HOME", str(tmp_path))
    monkeypatch.setenv("HOARFROST_COMPILE_CACHE", "False")
    monkeypatch.setenv("HOARFROST_COMPILE_CACHE_MAX_BYTES", "12345")
    assert not compile_cache.is_enabled()
    assert compile_cache.directory() == tmp_path / "compile_cache"
    assert compile_cache.max_bytes() == 12345
    monkeypatch.setenv("HOARFROST_COMPILE_CACHE", "1")
    monkeypatch.delenv("HOARFROST_COMPILE_CACHE_MAX_BYTES")
    assert compile_cache.is_enabled() and compile_cache.max_bytes() == 1 << 30
    monkeypatch.setenv("HOARFROST_COMPILE_CACHE_MAX_BYTES", "lots")
    with pytest.raises(ValueError, match="HOARFROST_COMPILE_CACHE_MAX_BYTES"):
        compile_cache.max_bytes()
    with pytest.raises(ValueError, match="max_bytes"):
        compile_cache.enable(max_bytes=-1)
