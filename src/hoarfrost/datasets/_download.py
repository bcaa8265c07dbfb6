"""Shared helpers for the dataset loaders: cache location and safe downloads.

Environment variables:
    HOARFROST_HOME: root of hoarfrost's cache; datasets live in
        ``$HOARFROST_HOME/datasets``. Defaults to ``~/.hoarfrost``.
    HOARFROST_DATASETS_ORIGIN: base URL the dataset file names are appended
        to (http, https or file). Defaults to Keras's mirror, ``ORIGIN``. Use
        it to point at a local mirror, or at a loopback server in tests.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path

ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
HOME_ENV = "HOARFROST_HOME"
ORIGIN_ENV = "HOARFROST_DATASETS_ORIGIN"
TIMEOUT = 30.0  # seconds without progress before a download is abandoned
_CHUNK = 1 << 20


class DatasetUnavailableError(RuntimeError):
    """A dataset is neither on disk nor downloadable; the message says why."""


def datasets_dir() -> Path:
    """Returns the dataset cache directory, ``$HOARFROST_HOME/datasets``."""
    home = os.environ.get(HOME_ENV) or os.path.join("~", ".hoarfrost")
    return Path(home).expanduser() / "datasets"


def origin_url(fname: str) -> str:
    """Returns the URL of ``fname`` on the (possibly overridden) origin."""
    base = os.environ.get(ORIGIN_ENV) or ORIGIN
    return (base if base.endswith("/") else base + "/") + fname


def sha256_file(path: os.PathLike | str) -> str:
    """Returns the hex SHA-256 of the file at ``path``."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def fetch(
    url: str,
    dest: Path,
    *,
    advice: str,
    sha256: str | None = None,
    validate: Callable[[Path], None] | None = None,
) -> Path:
    """Downloads ``url`` to ``dest`` atomically, after checking its content.

    The bytes go to a temporary file next to ``dest`` that replaces ``dest``
    (``os.replace``) only once complete and verified, so a failed download
    leaves no partial file and never clobbers an existing one.

    Args:
        url: What to download.
        dest: Where the verified file ends up.
        advice: Appended to the error message (e.g. where to put the file by
            hand).
        sha256: Expected hex SHA-256 of the whole file, if known.
        validate: Called with the temporary file's path; raises ``ValueError``
            if the content is wrong. For files without a published hash.

    Returns:
        ``dest``.

    Raises:
        DatasetUnavailableError: on network or HTTP errors, timeouts, a hash
            mismatch, a failed ``validate``, or a local write error.
    """
    tmp = None
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
        digest = hashlib.sha256()
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=TIMEOUT) as resp:
            for chunk in iter(lambda: resp.read(_CHUNK), b""):
                digest.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        if sha256 is not None and digest.hexdigest() != sha256.lower():
            raise ValueError(f"SHA-256 mismatch: expected {sha256}, got {digest.hexdigest()}")
        if validate is not None:
            validate(Path(tmp))
        os.chmod(tmp, 0o644)
        os.replace(tmp, dest)
        tmp = None
        return dest
    except (OSError, ValueError, http.client.HTTPException) as err:
        if isinstance(err, urllib.error.HTTPError):
            err.close()  # it holds the open response
            reason = f"HTTP {err.code} {err.reason}"
        elif isinstance(err, urllib.error.URLError):
            reason = str(err.reason)
        else:
            reason = f"{type(err).__name__}: {err}"
        raise DatasetUnavailableError(f"Could not download {url} ({reason}). {advice}") from err
    finally:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass


def keras_datasets_dir() -> Path:
    """Keras's dataset cache, ``$KERAS_HOME/datasets`` (default ``~/.keras``); only read."""
    from hoarfrost.file_utils import keras_home
    return Path(keras_home()) / "datasets"


def dataset_origin(keras_origin: str) -> str:
    """Keras's URL for a file, or its name on ``$HOARFROST_DATASETS_ORIGIN`` when that is set."""
    if not os.environ.get(ORIGIN_ENV):
        return keras_origin
    return origin_url(os.path.basename(urllib.parse.urlsplit(keras_origin).path))


def get_dataset_file(fname: str, keras_origin: str, file_hash: str, extract: bool = False,
                     advice: str = "") -> str:
    """A Keras dataset file through ``get_file``: hoarfrost's cache, Keras's, then the origin.

    Raises:
        DatasetUnavailableError: the file is nowhere and cannot be downloaded
            (the message says which file to put where), or the download is
            corrupt.
    """
    from hoarfrost.file_utils import DownloadError, HashMismatchError, get_file
    try:
        return get_file(fname=fname, origin=dataset_origin(keras_origin), file_hash=file_hash,
                        extract=extract)
    except DownloadError as err:
        raise DatasetUnavailableError(f"{err}{' ' + advice if advice else ''}") from err
    except HashMismatchError as err:
        raise DatasetUnavailableError(f"{dataset_origin(keras_origin)}: {err}") from err
