"""Zip archives read defensively: every member is checked before any is read.

A `.keras` file is a zip, and a zip states each member's size in its
directory. A crafted one can state a size it does not hold (a "zip bomb": a
few MiB on disk that inflate to GiBs), overlap members, or hide more than
expected. `open_archive` refuses such a file from its directory alone, before
a byte of any member is inflated; `read_member` and `open_member` then read
within the checked sizes and turn a damaged member into one clear error.

Example:
    >>> with open_archive("model.keras") as archive:
    ...     config = read_member(archive, "config.json", max_bytes=MAX_JSON_BYTES)
"""

from __future__ import annotations

import contextlib
import os
import zipfile
import zlib
from typing import IO, Iterator

MAX_MEMBERS = 10_000
# As Keras's `_ZIP_MEMBER_MAX_EXPANSION`: stored members are 1:1 and DEFLATE can
# not exceed ~1032:1, so a member inflating more than 100x is a bomb. Members
# smaller than the floor are exempt (a small, very repetitive JSON compresses
# well), and the floor also bounds what a passing bomb can cost.
MAX_EXPANSION = 100
EXPANSION_FLOOR = 64 << 20  # 64 MiB
MAX_JSON_BYTES = 256 << 20  # no model's config comes close
_COMPRESSIONS = {zipfile.ZIP_STORED: "stored", zipfile.ZIP_DEFLATED: "deflated"}


def member_label(archive: zipfile.ZipFile | str, name: str) -> str:
    """`'path', member name`: how errors name a member."""
    path = archive.filename if isinstance(archive, zipfile.ZipFile) else archive
    return f"{path!r}, member {name}"


def open_archive(path) -> zipfile.ZipFile:
    """Open a zip after checking its directory: sizes, ratios, names, count.

    Raises FileNotFoundError for a missing file and ValueError, naming the file
    (and the member), for anything else: not a zip, truncated, encrypted, a
    member larger than the file could hold, duplicated or unsafe names.
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"No file at {path!r}.")
    if os.path.isdir(path):
        raise ValueError(f"{path!r} is a directory, not a .keras file.")
    file_size = os.path.getsize(path)
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError) as exc:
        raise ValueError(
            f"{path!r} is not a valid .keras file: it is not a complete zip archive ({exc}); "
            "it may be truncated or of another format."
        ) from exc
    try:
        _check_directory(archive, file_size)
    except BaseException:
        archive.close()
        raise
    return archive


def _check_directory(archive: zipfile.ZipFile, file_size: int) -> None:
    infos = archive.infolist()
    path = archive.filename
    if len(infos) > MAX_MEMBERS:
        raise ValueError(f"{path!r} holds {len(infos)} members; a .keras file holds a few "
                         f"(at most {MAX_MEMBERS} are read).")
    seen: set[str] = set()
    stored_total = 0
    for info in infos:
        where = member_label(path, info.filename)
        if info.filename in seen:
            raise ValueError(f"{where}: the name appears twice in the archive.")
        seen.add(info.filename)
        parts = info.filename.replace("\\", "/").split("/")
        if info.filename.startswith(("/", "\\")) or ".." in parts or ":" in parts[0]:
            raise ValueError(f"{where}: an absolute or parent-relative name is not allowed.")
        if info.flag_bits & 0x1:
            raise ValueError(f"{where}: the member is encrypted.")
        if info.compress_type not in _COMPRESSIONS:
            raise ValueError(f"{where}: compression method {info.compress_type} is not "
                             "supported (stored or deflated are).")
        if info.header_offset + info.compress_size > file_size:
            raise ValueError(f"{where}: declares {info.compress_size} stored bytes at offset "
                             f"{info.header_offset}, beyond the end of the {file_size}-byte "
                             "file (truncated or crafted).")
        if info.compress_type == zipfile.ZIP_STORED and info.file_size != info.compress_size:
            raise ValueError(f"{where}: an uncompressed member declares {info.file_size} bytes "
                             f"but stores {info.compress_size}.")
        if info.file_size > max(EXPANSION_FLOOR, MAX_EXPANSION * info.compress_size):
            raise ValueError(
                f"{where}: declares {_readable(info.file_size)} but only "
                f"{_readable(info.compress_size)} are stored; refusing to read a potential "
                f"decompression bomb (more than {MAX_EXPANSION}x)."
            )
        stored_total += info.compress_size
    if stored_total > file_size:
        raise ValueError(f"{path!r}: its members declare {stored_total} stored bytes in a "
                         f"{file_size}-byte file (overlapping members: a crafted file).")


def check_members(archive: zipfile.ZipFile, required, optional=()) -> None:
    """Refuse an archive lacking one of `required` or holding a name outside both sets."""
    names = set(archive.namelist())
    missing = sorted(set(required) - names)
    if missing:
        raise ValueError(f"{archive.filename!r} lacks {missing}.")
    unknown = sorted(names - set(required) - set(optional))
    if unknown:
        raise ValueError(
            f"{archive.filename!r} holds unknown members {unknown[:10]}"
            f"{' ...' if len(unknown) > 10 else ''}; expected only "
            f"{sorted(set(required) | set(optional))}. It was not written by this "
            "format's save(), or was altered afterwards."
        )


def read_member(archive: zipfile.ZipFile, name: str, max_bytes: int | None = None) -> bytes:
    """A member's bytes, refused beyond `max_bytes` before reading.

    Raises ValueError naming the file and the member when it is missing, too
    large, or damaged (a CRC mismatch, a truncated stream).
    """
    where = member_label(archive, name)
    info = _info(archive, name)
    if max_bytes is not None and info.file_size > max_bytes:
        raise ValueError(f"{where}: declares {_readable(info.file_size)}, more than the "
                         f"{_readable(max_bytes)} such a member may hold.")
    with open_member(archive, name) as stream:
        data = stream.read(info.file_size)
        if len(data) != info.file_size:
            raise ValueError(f"{where}: holds {len(data)} bytes, its directory says "
                             f"{info.file_size} (truncated).")
        return data


@contextlib.contextmanager
def open_member(archive: zipfile.ZipFile, name: str) -> Iterator[IO[bytes]]:
    """A stream over a member, for reading a large one piece by piece.

    Damage found while reading (a CRC mismatch, a cut stream) leaves the
    block as one ValueError naming the file and the member.
    """
    where = member_label(archive, name)
    _info(archive, name)
    try:
        with archive.open(name) as stream:
            yield stream
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
        raise ValueError(f"{where} is corrupted: {exc}.") from exc


def member_size(archive: zipfile.ZipFile, name: str) -> int:
    """A member's declared size (checked against the file by `open_archive`)."""
    return _info(archive, name).file_size


def _info(archive: zipfile.ZipFile, name: str) -> zipfile.ZipInfo:
    try:
        return archive.getinfo(name)
    except KeyError:
        raise ValueError(f"{archive.filename!r} lacks the member {name}.") from None


def _readable(size: float) -> str:
    if size < 1024:
        return f"{size} bytes"
    for unit in ("KiB", "MiB", "GiB"):
        size /= 1024
        if size < 1024 or unit == "GiB":
            break
    return f"{size:.1f} {unit}"
