"""The persistent compilation cache: compile a program once per machine, not once per run.

JAX can keep compiled programs on disk and load them in later processes
instead of compiling again (seconds per program on CPU). hoarfrost turns that
on by default, under `$HOARFROST_HOME/compile_cache` (`~/.hoarfrost` unless
set), so the second run of the same script starts training at once:

- lazily: nothing touches the disk at import; the cache directory is made and
  handed to JAX when the process first lowers a program to compile it;
- bounded: when it is set up, the directory is pruned to `max_bytes`
  (default 1 GiB, or `$HOARFROST_COMPILE_CACHE_MAX_BYTES`), the least
  recently used programs first;
- off with `HOARFROST_COMPILE_CACHE=0` (or `false`, `off`, `no`) in the
  environment, or `hoarfrost.compile_cache.disable()`;
- and out of the way of a user who configured JAX's cache already
  (`jax_compilation_cache_dir` set, or `jax_enable_compilation_cache` off):
  then hoarfrost changes nothing.

The cache is trusted code: whoever can write to its directory can make this
process run what they wrote (JAX's warning), so it is created private (0700).
A cached program computes exactly what a fresh compilation computes.

Example:
    >>> import hoarfrost
    >>> hoarfrost.compile_cache.disable()   # this process compiles afresh
    >>> hoarfrost.compile_cache.is_enabled()
    False
    >>> hoarfrost.compile_cache.enable()    # back to the default
"""

from __future__ import annotations

import os
import threading
import warnings
from pathlib import Path

import jax

HOME_ENV = "HOARFROST_HOME"
SWITCH_ENV = "HOARFROST_COMPILE_CACHE"
MAX_BYTES_ENV = "HOARFROST_COMPILE_CACHE_MAX_BYTES"
#: The default bound on the cache directory's size.
DEFAULT_MAX_BYTES = 1 << 30
#: Programs that compile faster than this are not written. JAX's default (1 s) leaves
#: out most of a training run's programs; any floor above 0 makes whether a program
#: near it is written depend on the machine's load. Loading a small program costs
#: 2-5 ms on a CPU, compiling it 10-150 ms (the random key's programs, a test step's
#: casts), so every program is written: a second run compiles nothing it compiled before.
MIN_COMPILE_TIME_SECS = 0.0
_OFF = ("0", "false", "off", "no")
_CACHE_SUFFIX = "-cache"  # JAX's file name suffix for one cached program
# JAX records this event as it lowers a program to compile it, before compiling it.
_LOWERING_EVENT = "/jax/core/compile/jaxpr_to_mlir_module_duration"

_lock = threading.Lock()
_state: dict = {"enabled": None, "directory": None, "max_bytes": None,
                "active": False, "ours": False}


def directory() -> Path:
    """The cache directory hoarfrost uses: `enable`'s, else `$HOARFROST_HOME/compile_cache`."""
    if _state["directory"] is not None:
        return Path(_state["directory"])
    home = os.environ.get(HOME_ENV) or os.path.join("~", ".hoarfrost")
    return Path(home).expanduser() / "compile_cache"


def is_enabled() -> bool:
    """Whether hoarfrost will use (or uses) its cache in this process."""
    if _state["enabled"] is not None:
        return _state["enabled"]
    return os.environ.get(SWITCH_ENV, "").strip().lower() not in _OFF


def max_bytes() -> int:
    """The bound on the cache directory's size, in bytes."""
    if _state["max_bytes"] is not None:
        return _state["max_bytes"]
    value = os.environ.get(MAX_BYTES_ENV)
    if not value:
        return DEFAULT_MAX_BYTES
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"{MAX_BYTES_ENV} must be a whole number of bytes, got {value!r}.") from None


def enable(directory: str | os.PathLike | None = None, max_bytes: int | None = None) -> None:
    """Use the persistent compilation cache (the default), from the next compilation on.

    Args:
        directory: where to keep compiled programs; default
            `$HOARFROST_HOME/compile_cache`.
        max_bytes: the bound on the directory's size (default 1 GiB), applied
            when the cache is set up by dropping the least recently used programs.
    """
    if max_bytes is not None and (not isinstance(max_bytes, int) or max_bytes < 0):
        raise ValueError(f"enable: `max_bytes` must be an int >= 0, got {max_bytes!r}.")
    with _lock:
        _state.update(enabled=True, max_bytes=max_bytes,
                      directory=None if directory is None else os.fspath(directory))
        if _state["active"]:
            _release()
    _activate()


def disable() -> None:
    """Compile afresh in this process (also what `HOARFROST_COMPILE_CACHE=0` does).

    Programs already loaded stay in memory; nothing on disk is removed.
    """
    with _lock:
        _state["enabled"] = False
        if _state["active"]:
            _release()


def _release() -> None:
    """Hand JAX's cache back as it was before hoarfrost set it (lock held)."""
    if _state["ours"]:
        from jax.experimental.compilation_cache import compilation_cache
        jax.config.update("jax_compilation_cache_dir", None)
        jax.config.update("jax_persistent_cache_min_compile_time_secs", _state["ours_min_time"])
        compilation_cache.reset_cache()
    _state.update(active=False, ours=False)


def _user_configured() -> bool:
    """Whether JAX's cache was set up (or switched off) by someone other than hoarfrost."""
    return (jax.config.jax_compilation_cache_dir is not None
            or not jax.config.jax_enable_compilation_cache)


def _activate() -> None:
    """Set up the cache once per process (or after `enable`); the first compilation calls it."""
    if _state["active"]:
        return
    with _lock:
        if _state["active"]:
            return
        _state["active"] = True
        if not is_enabled() or _user_configured():
            return
        path = directory()
        try:
            path.mkdir(mode=0o700, parents=True, exist_ok=True)
            prune(path, max_bytes())
        except OSError as error:
            warnings.warn(f"hoarfrost: the compilation cache at {path} is not usable ({error}); "
                          "compiling without it.", stacklevel=3)
            return
        _state.update(ours=True,
                      ours_min_time=jax.config.jax_persistent_cache_min_compile_time_secs)
        jax.config.update("jax_compilation_cache_dir", str(path))
        if "JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS" not in os.environ:
            jax.config.update("jax_persistent_cache_min_compile_time_secs", MIN_COMPILE_TIME_SECS)


def prune(path: str | os.PathLike, limit: int) -> int:
    """Delete the least recently used programs in `path` until it holds at most `limit` bytes.

    Returns:
        The bytes left.
    """
    entries = []
    for entry in Path(path).iterdir():
        if not entry.name.endswith(_CACHE_SUFFIX):
            continue
        try:
            stat = entry.stat()
        except FileNotFoundError:  # removed by another process meanwhile
            continue
        entries.append((max(stat.st_atime, stat.st_mtime), stat.st_size, entry))
    total = sum(size for _, size, _ in entries)
    for _, size, entry in sorted(entries, key=lambda e: e[0]):
        if total <= limit:
            break
        try:
            entry.unlink()
            total -= size
        except FileNotFoundError:
            total -= size
    return total


def _on_event(event: str, *args, **kwargs) -> None:
    if event == _LOWERING_EVENT and not _state["active"]:
        try:
            _activate()
        except Exception as error:  # noqa: BLE001  never break a compilation over the cache
            warnings.warn(f"hoarfrost: the compilation cache could not be set up ({error}).")


jax.monitoring.register_event_duration_secs_listener(_on_event)
