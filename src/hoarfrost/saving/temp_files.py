"""The hidden temp files of atomic writes, and the removal of those a killed save left.

An atomic write goes to `.<name>.<pid>-<host>.<random>.tmp` beside the target
and is renamed over it. A process killed mid-write leaves that file behind;
the next write to the same target removes it, knowing from the name whose it
was: a file whose writer (on this host) is dead is removed at once; one
without a writer's mark (written by an older version) or from another host
only once it has gone unmodified for `STALE_AFTER` seconds. A live writer's
file is never touched, nor anything but this target's temp files.
"""

from __future__ import annotations

import hashlib
import os
import re
import socket
import stat
import time
from pathlib import Path

STALE_AFTER = 600.0  # seconds unmodified, for a file whose writer can not be asked


def _host() -> str:
    return hashlib.blake2b(socket.gethostname().encode(), digest_size=4).hexdigest()


def prefix(path: Path) -> str:
    """The temp-file prefix for writing `path` from this process (for `mkstemp`)."""
    return f".{path.name}.{os.getpid()}-{_host()}."


def _pattern(path: Path) -> re.Pattern:
    # mkstemp's random part: 8 of [a-z0-9_]; the writer's mark is absent in old files.
    return re.compile(rf"\.{re.escape(path.name)}\.(?:(\d+)-([0-9a-f]{{8}})\.)?"
                      r"[a-z0-9_]{8}\.tmp")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, ValueError):
        return True  # another user's process (or not a pid we can ask about): keep
    return True


def remove_stale(path: Path, now: float | None = None) -> list[Path]:
    """Remove the temp files a killed write to `path` left; returns those removed.

    Best effort: a file that vanishes meanwhile, or can not be removed, is
    left, and the write goes on.
    """
    pattern, host, now = _pattern(path), _host(), time.time() if now is None else now
    removed = []
    try:
        candidates = [entry for entry in os.scandir(path.parent)
                      if entry.name.startswith(f".{path.name}.")]
    except OSError:
        return removed
    for entry in candidates:
        match = pattern.fullmatch(entry.name)
        if match is None:
            continue
        try:
            info = entry.stat(follow_symlinks=False)
            if not stat.S_ISREG(info.st_mode) or info.st_uid != os.getuid():
                continue
            pid, writer_host = match.group(1), match.group(2)
            if pid is not None and writer_host == host:
                stale = int(pid) != os.getpid() and not _alive(int(pid))
            else:
                stale = now - info.st_mtime > STALE_AFTER
            if stale:
                os.unlink(entry.path)
                removed.append(Path(entry.path))
        except OSError:
            continue
    return removed
