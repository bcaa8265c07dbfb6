"""Crafted files for the saving tests: saved models taken apart and put back altered."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path


def members(path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def write_zip(path, contents: dict[str, bytes], compression=zipfile.ZIP_STORED) -> Path:
    with zipfile.ZipFile(path, "w", compression=compression) as archive:
        for name, data in contents.items():
            archive.writestr(name, data)
    return Path(path)


def altered(source, target, **changes) -> Path:
    """A copy of the zip `source` with members replaced (bytes), or removed (None).

    Names with a dot are passed as `**{"config.json": ...}`.
    """
    contents = members(source)
    for name, data in changes.items():
        if data is None:
            contents.pop(name)
        else:
            contents[name] = data
    return write_zip(target, contents)


def with_json(source, target, name: str, edit) -> Path:
    """A copy of `source` whose JSON member `name` went through `edit(value)` (in place)."""
    value = json.loads(members(source)[name])
    edit(value)
    return altered(source, target, **{name: json.dumps(value).encode()})
