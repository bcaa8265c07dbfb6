"""`get_file`: a file from a URL, cached, as `keras.utils.get_file`.

hoarfrost looks in two caches before it downloads: its own
(`$HOARFROST_HOME`, default `~/.hoarfrost`) and Keras's (`$KERAS_HOME`,
default `~/.keras`), so files Keras already fetched are used where they lie
(Keras's cache is only read, never written). Downloads and extractions land
in hoarfrost's cache atomically: an interrupted one leaves nothing behind.
Offline, the error names the file and the places to put it by hand.
"""

from __future__ import annotations

import hashlib
import http.client
import inspect
import os
import shutil
import sys
import tarfile
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import warnings
import zipfile

TIMEOUT = 30.0  # seconds without progress before a download is abandoned
_CHUNK = 1 << 16


class DownloadError(OSError):
    """A file is not in a cache and could not be downloaded; the message says where to put it."""


class HashMismatchError(ValueError):
    """A downloaded file does not have the expected hash (a `ValueError`, as Keras raises)."""


def hoarfrost_home() -> str:
    """hoarfrost's cache root: `$HOARFROST_HOME`, default `~/.hoarfrost`."""
    return os.path.expanduser(os.environ.get("HOARFROST_HOME") or os.path.join("~", ".hoarfrost"))


def keras_home() -> str:
    """Keras's cache root: `$KERAS_HOME`, default `~/.keras` (only read by hoarfrost)."""
    return os.path.expanduser(os.environ.get("KERAS_HOME") or os.path.join("~", ".keras"))


def atomic_write_bytes(path: str, data: bytes) -> None:
    """Write `data` to `path` through a temporary file and a rename."""
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".part",
                               dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def resolve_hasher(algorithm: str, file_hash: str | None = None):
    """`hashlib` object for 'sha256', 'md5' or 'auto' (sha256 for a 64-digit hash, else md5)."""
    if algorithm == "sha256":
        return hashlib.sha256()
    if algorithm == "auto" and file_hash is not None and len(file_hash) == 64:
        return hashlib.sha256()
    return hashlib.md5()


def hash_file(fpath, algorithm="sha256", chunk_size: int = 65535) -> str:
    """The hex sha256 (or md5) of a file."""
    hasher = resolve_hasher(algorithm) if isinstance(algorithm, str) else algorithm
    with open(fpath, "rb") as f:
        for chunk in iter(lambda: f.read(chunk_size), b""):
            hasher.update(chunk)
    return hasher.hexdigest()


def validate_file(fpath, file_hash: str, algorithm: str = "auto",
                  chunk_size: int = 65535) -> bool:
    """Whether the file's sha256 or md5 equals `file_hash`."""
    hasher = resolve_hasher(algorithm, file_hash)
    return str(hash_file(fpath, hasher, chunk_size)) == str(file_hash)


def _inside(base: str, relative: str) -> str | None:
    path = os.path.realpath(os.path.join(base, relative))
    try:
        return path if os.path.commonpath([path, base]) == base else None
    except ValueError:
        return None


def _safe_members(archive, base: str):
    """Archive members that stay inside `base` (no `..`, no absolute paths, no links out)."""
    base = os.path.realpath(base)
    if isinstance(archive, zipfile.ZipFile):
        members, name_of = archive.infolist(), (lambda m: m.filename)
    else:
        members, name_of = archive.getmembers(), (lambda m: m.name)
    for member in members:
        name = name_of(member)
        ok = _inside(base, name) is not None
        if ok and not isinstance(archive, zipfile.ZipFile) and (member.issym() or member.islnk()):
            if member.islnk():
                ok = _inside(base, member.linkname) is not None
            else:
                target = os.path.join(os.path.dirname(_inside(base, name)), member.linkname)
                ok = _inside(base, target) is not None
        if ok:
            yield member
        else:
            warnings.warn(f"Skipping invalid path during archive extraction: '{name}'.",
                          stacklevel=3)


def extract_archive(file_path, path=".", archive_format="auto") -> bool:
    """Extract a tar (`.tar`, `.tar.gz`, `.tar.bz2`) or zip archive into `path`, atomically.

    Members that would land outside `path` are skipped. The archive is
    extracted into a temporary directory next to `path`, which then replaces
    `path`.

    Returns:
        True if the file was an archive of an allowed format and was extracted.
    """
    if archive_format is None:
        return False
    if archive_format == "auto":
        archive_format = ["tar", "zip"]
    if isinstance(archive_format, str):
        archive_format = [archive_format]
    file_path, path = os.fspath(file_path), os.fspath(path)
    for kind in archive_format:
        if kind == "tar":
            opener, matches = tarfile.open, tarfile.is_tarfile
        elif kind == "zip":
            opener, matches = zipfile.ZipFile, zipfile.is_zipfile
        else:
            raise NotImplementedError(kind)
        if not matches(file_path):
            continue
        parent = os.path.dirname(os.path.abspath(path))
        os.makedirs(parent, exist_ok=True)
        tmp = tempfile.mkdtemp(prefix=f".{os.path.basename(path)}.", suffix=".part", dir=parent)
        try:
            with opener(file_path) as archive:
                members = list(_safe_members(archive, tmp))
                kwargs = {}
                if (isinstance(archive, tarfile.TarFile) and sys.version_info < (3, 14)
                        and "filter" in inspect.signature(archive.extractall).parameters):
                    kwargs["filter"] = "data"
                archive.extractall(tmp, members=members, **kwargs)
            if os.path.isdir(path):
                shutil.rmtree(path)
            elif os.path.exists(path):
                os.remove(path)
            os.replace(tmp, path)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return True
    return False


def _progress_bar(total: int | None):
    from hoarfrost.progbar import Progbar
    return Progbar(total)


def _download(origin: str, target: str, advice: str) -> None:
    """Fetch `origin` into `target` through a temporary file, with Keras's progress bar."""
    os.makedirs(os.path.dirname(target), exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(target)}.", suffix=".part",
                               dir=os.path.dirname(target))
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(origin,
                                                                timeout=TIMEOUT) as response:
            length = response.headers.get("Content-Length") if hasattr(response, "headers") \
                else None
            total = int(length) if length and length.isdigit() else None
            bar, done = _progress_bar(total), 0
            for chunk in iter(lambda: response.read(_CHUNK), b""):
                out.write(chunk)
                done += len(chunk)
                bar.update(done if total is None else min(done, total - 1))
            if total is not None:
                bar.update(total)
        os.replace(tmp, target)
        tmp = None
    except (OSError, http.client.HTTPException, ValueError) as err:
        if isinstance(err, urllib.error.HTTPError):
            err.close()
            reason = f"HTTP {err.code} {err.reason}"
        elif isinstance(err, urllib.error.URLError):
            reason = str(err.reason)
        else:
            reason = f"{type(err).__name__}: {err}"
        raise DownloadError(f"Could not download {origin} ({reason}). {advice}") from err
    finally:
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)


def _writable_base(base: str) -> str:
    """`base`, created if need be; `/tmp/.hoarfrost` if it cannot be written (as Keras)."""
    try:
        os.makedirs(base, exist_ok=True)
    except OSError:
        pass
    if os.access(base, os.W_OK):
        return base
    return os.path.join("/tmp" if os.path.isdir("/tmp") else tempfile.gettempdir(), ".hoarfrost")


def get_file(
    fname=None,
    origin=None,
    untar: bool = False,
    md5_hash=None,
    file_hash=None,
    cache_subdir: str = "datasets",
    hash_algorithm: str = "auto",
    extract: bool = False,
    archive_format="auto",
    cache_dir=None,
    force_download: bool = False,
) -> str:
    """Download a file from a URL unless it is already cached; returns its path.

    As Keras's `get_file`, with hoarfrost's cache first: the file (or, with
    `extract`, the extracted directory) is looked for in
    `<cache_dir or $HOARFROST_HOME>/<cache_subdir>/`, then in Keras's cache
    `<$KERAS_HOME or ~/.keras>/<cache_subdir>/` (used in place, never
    written), and only then downloaded into hoarfrost's cache. A cached file
    whose hash does not match `file_hash` is not used. Offline, the error
    names the file and where to put it.

    Args:
        fname: the file's local name (default: the last part of `origin`).
            With `extract`, a name without an extension names the extraction
            directory.
        origin: the URL.
        untar: deprecated; `extract=True` with a tar archive.
        md5_hash: deprecated; `file_hash` with `hash_algorithm='md5'`.
        file_hash: the expected sha256 or md5 of the file.
        cache_subdir: subdirectory of the cache (an absolute path is used as is).
        hash_algorithm: 'auto', 'sha256' or 'md5'.
        extract: extract the archive (tar or zip) and return its directory.
        archive_format: 'auto', 'tar', 'zip', a list of them, or None.
        cache_dir: the cache root instead of `$HOARFROST_HOME`.
        force_download: download even if a cached copy exists.

    Returns:
        The path of the file, or of the extracted directory.

    Raises:
        DownloadError: the file is in no cache and cannot be downloaded.
        HashMismatchError: (a ValueError) the downloaded file does not match
            `file_hash`.

    Example:
        >>> path = get_file(origin="https://storage.googleapis.com/download.tensorflow.org/"
        ...                 "example_images/flower_photos.tgz", extract=True)  # doctest: +SKIP
    """
    if origin is None:
        raise ValueError('Please specify the "origin" argument (URL of the file to download).')
    if md5_hash is not None and file_hash is None:
        file_hash, hash_algorithm = md5_hash, "md5"
    datadir = os.path.join(_writable_base(os.path.expanduser(os.fspath(cache_dir))
                                          if cache_dir is not None else hoarfrost_home()),
                           cache_subdir)
    os.makedirs(datadir, exist_ok=True)
    provided = fname
    fname = os.fspath(fname) if fname is not None else None
    if not fname:
        fname = os.path.basename(urllib.parse.urlsplit(origin).path)
        if not fname:
            raise ValueError(f"Can't parse the file name from the origin provided: '{origin}'."
                             "Please specify the `fname` argument.")
    elif os.sep in fname:
        raise ValueError("Paths are no longer accepted as the `fname` argument. To specify the "
                         f"file's parent directory, use the `cache_dir` argument. Received: "
                         f"fname={fname}")
    extract = extract or untar
    if untar:
        archive_format = "tar"
    if extract:
        if provided and "." in fname:
            archive_name = fname
            folder = fname[:fname.find(".")] + "_extracted"
        else:
            archive_name, folder = f"{fname}_archive", fname
    else:
        archive_name, folder = fname, None

    def valid(path: str) -> bool:
        return os.path.isfile(path) and (file_hash is None
                                         or validate_file(path, file_hash, hash_algorithm))

    download_target = os.path.join(datadir, archive_name)
    keras_dir = os.path.join(keras_home(), cache_subdir) if cache_dir is None else None
    if not force_download:
        if valid(download_target):
            if not extract:
                return download_target
            return _extracted(download_target, os.path.join(datadir, folder), archive_format)
        if keras_dir is not None and os.path.realpath(keras_dir) != os.path.realpath(datadir):
            keras_archive = os.path.join(keras_dir, archive_name)
            if valid(keras_archive):
                if not extract:
                    return keras_archive
                if os.path.isdir(os.path.join(keras_dir, folder)):
                    return os.path.join(keras_dir, folder)
                return _extracted(keras_archive, os.path.join(datadir, folder), archive_format)
        if os.path.exists(download_target) and file_hash is not None:
            print("A local file was found, but it seems to be incomplete or outdated because "
                  f"the {hash_algorithm} file hash does not match the original value of "
                  f"{file_hash} so we will re-download the data.")
    places = f"{download_target}" + (f" (or {os.path.join(keras_dir, archive_name)})"
                                     if keras_dir is not None else "")
    checksum = (f" ({resolve_hasher(hash_algorithm, file_hash).name} {file_hash})"
                if file_hash else "")
    advice = (f"Download {origin}{checksum} by hand and save it as {places}, then call "
              "again.")
    print(f"Downloading data from {origin}")
    _download(origin, download_target, advice)
    if file_hash is not None and not validate_file(download_target, file_hash, hash_algorithm):
        os.remove(download_target)
        raise HashMismatchError(f"Incomplete or corrupted file detected. The {hash_algorithm} "
                                f"file hash does not match the provided value of {file_hash}.")
    if extract:
        return _extracted(download_target, os.path.join(datadir, folder), archive_format)
    return download_target


def _extracted(archive: str, folder: str, archive_format) -> str:
    """Extract `archive` into `folder` (as Keras, on every call) and return `folder`."""
    if not extract_archive(archive, folder, archive_format):
        warnings.warn("Could not extract archive.", stacklevel=3)
    return folder
