"""Where pretrained weight files (and the ImageNet class index) come from.

A file is looked for, in order, in hoarfrost's cache (`$HOARFROST_HOME/models`,
default `~/.hoarfrost/models`) and in Keras's (`$KERAS_HOME/models`, default
`~/.keras/models`, and `/tmp/.keras/models`, where Keras falls back when its home
is read-only), so weights a Keras installation already downloaded are reused as
they are. Otherwise it is downloaded from Keras's URL (or from
`$HOARFROST_WEIGHTS_ORIGIN` + file name, a mirror) into hoarfrost's cache,
checked against Keras's published hash. When that fails the error says which
file to put where.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from hoarfrost.datasets._download import DatasetUnavailableError, fetch

ORIGIN_ENV = "HOARFROST_WEIGHTS_ORIGIN"


class WeightsUnavailableError(RuntimeError):
    """A pretrained file is neither cached nor downloadable; the message says what to do."""


def hoarfrost_models_dir() -> Path:
    """hoarfrost's cache of pretrained files: `$HOARFROST_HOME/models`."""
    home = os.environ.get("HOARFROST_HOME") or os.path.join("~", ".hoarfrost")
    return Path(home).expanduser() / "models"


def keras_models_dirs() -> list[Path]:
    """Where Keras's `get_file(..., cache_subdir="models")` keeps its files."""
    home = os.environ.get("KERAS_HOME")
    base = Path(home).expanduser() if home else Path("~").expanduser() / ".keras"
    dirs = [base / "models"]
    fallback = Path("/tmp/.keras/models")
    if fallback not in dirs:
        dirs.append(fallback)
    return dirs


def file_hash(path, algorithm: str) -> str:
    digest = hashlib.new(algorithm)
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _algorithm(expected: str) -> str:
    # Keras's rule: a 64-character hash is SHA-256, anything else MD5.
    return "sha256" if len(expected) == 64 else "md5"


def _matches(path: Path, expected: str | None) -> bool:
    return expected is None or file_hash(path, _algorithm(expected)) == expected.lower()


def get_pretrained_file(file_name: str, origin: str, expected_hash: str | None = None,
                        what: str = "pretrained weights") -> str:
    """The local path of `file_name`: cached, or downloaded from `origin`.

    Args:
        file_name: Keras's name for the file (the name it has in Keras's cache).
        origin: Keras's download URL.
        expected_hash: Keras's MD5 (or SHA-256) of the file, or None when Keras
            publishes none. A cached file with another hash is skipped.
        what: what the file is, for the error message.

    Raises:
        WeightsUnavailableError: naming the file, the URL, the reason and the
            folders where the file can be put by hand.
    """
    ours = hoarfrost_models_dir()
    places = [ours] + keras_models_dirs()
    mismatched = []
    for folder in places:
        candidate = folder / file_name
        if candidate.is_file():
            if _matches(candidate, expected_hash):
                return str(candidate)
            mismatched.append(str(candidate))
    base = os.environ.get(ORIGIN_ENV)
    url = (base.rstrip("/") + "/" + file_name) if base else origin

    def validate(tmp: Path) -> None:
        if not _matches(tmp, expected_hash):
            raise ValueError(f"{_algorithm(expected_hash).upper()} mismatch: expected "
                             f"{expected_hash}, got {file_hash(tmp, _algorithm(expected_hash))}")

    advice = (f"Download {file_name} from {origin} and put it in {ours}/ (or in Keras's cache, "
              f"{places[1]}/)")
    if expected_hash is not None:
        advice += f"; its {_algorithm(expected_hash).upper()} must be {expected_hash}"
    if mismatched:
        advice += (f". Skipped {', '.join(mismatched)}: its content does not match that "
                   "hash (a truncated or different file)")
    try:
        return str(fetch(url, ours / file_name, advice=advice + ".", validate=validate))
    except DatasetUnavailableError as error:
        raise WeightsUnavailableError(
            f"{what[0].upper()}{what[1:]}: {file_name} is not on this machine and could not "
            f"be downloaded. {error}") from error
