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

import errno
import hashlib
import os
import re
import socket
import stat
import tempfile
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


def atomic_write(filepath, write) -> None:
    """Write through a temp file in the same directory, then rename over the target.

    `write(handle)` writes the content; a failure at any point leaves the
    previous file as it was. The temp file's name marks its writer, so that the next
    write to the same target removes what a killed one left (see `temp_files`).
    """
    path = Path(filepath)
    if not path.parent.is_dir():  # as Keras: a save does not create directories
        raise FileNotFoundError(errno.ENOENT, f"Can not write {str(path)!r}: its directory "
                                f"{str(path.parent)!r} does not exist. Create it first.")
    remove_stale(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=prefix(path), suffix=".tmp",
                                   dir=path.parent)
    except OSError as exc:
        raise _write_error(exc, path) from exc
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, _file_mode(path))  # mkstemp's 0600 would hide the file from others
        os.replace(tmp, path)
    except BaseException as exc:
        if os.path.exists(tmp):
            os.unlink(tmp)
        if isinstance(exc, OSError) and exc.errno is not None:
            raise _write_error(exc, path) from exc
        raise


def _write_error(exc: OSError, path: Path) -> OSError:
    """The file system's refusal of a write, naming the file and what is wrong (the
    temp file the OS names means nothing to the user)."""
    directory = repr(str(path.parent))
    if exc.errno in (errno.EACCES, errno.EPERM):
        reason = f"the directory {directory} is not writable ({exc.strerror})"
    elif exc.errno == errno.EROFS:
        reason = f"the directory {directory} is on a read-only file system"
    elif exc.errno in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT):
        reason = f"{exc.strerror}: the disk is full, or a quota or file-size limit was reached"
    else:
        reason = exc.strerror or str(exc)
    return type(exc)(exc.errno, f"Can not write {str(path)!r}: {reason}. The previous "
                                "file, if any, is untouched.")


def _file_mode(path: Path) -> int:
    """The mode of the file being replaced, else what `open()` would give (0666 - umask)."""
    try:
        return os.stat(path).st_mode & 0o7777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask
