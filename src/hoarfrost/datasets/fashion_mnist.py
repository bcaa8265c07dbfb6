"""Fashion-MNIST (Zalando), as ``keras.datasets.fashion_mnist``."""

from __future__ import annotations

import gzip
import os
import zlib
from collections.abc import Callable
from pathlib import Path

import numpy as np

from hoarfrost.datasets import _download
from hoarfrost.datasets._download import DatasetUnavailableError

# Order of the returned arrays: y_train, x_train, y_test, x_test (as Keras).
FILES = (
    "train-labels-idx1-ubyte.gz",
    "train-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
)
DIR_ENV = "HOARFROST_FASHION_MNIST_DIR"
DEBIAN_PACKAGE = "dataset-fashion-mnist"
# Debian's dataset-fashion-mnist installs the files in the first directory;
# the others are plausible layouts of other packagers or local installs.
SYSTEM_DIRS = (
    "/usr/share/datasets/fashion-mnist",
    "/usr/share/dataset-fashion-mnist",
    "/usr/share/fashion-mnist",
    "/usr/local/share/datasets/fashion-mnist",
    "/usr/local/share/dataset-fashion-mnist",
)
# Number of examples a downloaded file must hold. Keras publishes no hashes
# for these files (and Debian's re-gzipped copies hash differently), so a
# download is checked by parsing it instead: IDX magic, 28x28 images, this
# count, and a payload that matches the header.
EXPECTED_COUNTS = {"train": 60000, "t10k": 10000}
_DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}

Split = tuple[np.ndarray, np.ndarray]


def read_idx(path: os.PathLike | str) -> np.ndarray:
    """Reads a (gzipped) IDX file, the format of MNIST and Fashion-MNIST.

    Args:
        path: File to read; gzip-compressed or not (detected from its bytes).

    Returns:
        A writable array in native byte order, shaped as the header says.

    Raises:
        ValueError: if the header or the payload size is malformed.
    """
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as err:
            raise ValueError(f"{path}: corrupt gzip data ({err})") from err
    if len(raw) < 4 or raw[:2] != b"\0\0" or raw[2] not in _DTYPES:
        raise ValueError(f"{path}: not an IDX file (magic {raw[:4].hex()})")
    ndim = raw[3]
    offset = 4 + 4 * ndim
    if len(raw) < offset:
        raise ValueError(f"{path}: truncated IDX header")
    shape = tuple(int(d) for d in np.frombuffer(raw, ">u4", count=ndim, offset=4))
    dtype = np.dtype(_DTYPES[raw[2]])
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    size = len(raw) - offset
    if size != expected:
        raise ValueError(f"{path}: IDX payload is {size} bytes, its header says {expected}")
    data = np.frombuffer(raw, dtype, offset=offset).reshape(shape)
    return data.astype(dtype.newbyteorder("="))


def _check_download(fname: str) -> Callable[[Path], None]:
    count = EXPECTED_COUNTS[fname.split("-")[0]]
    shape = (count,) if "labels" in fname else (count, 28, 28)

    def validate(path: Path) -> None:
        array = read_idx(path)
        if array.dtype != np.uint8 or array.shape != shape:
            raise ValueError(f"expected uint8 {shape}, got {array.dtype} {array.shape}")

    return validate


def _complete(directory: Path) -> bool:
    return all((directory / f).is_file() for f in FILES)


def _locate() -> list[Path]:
    cache = _download.datasets_dir() / "fashion-mnist"
    override = os.environ.get(DIR_ENV)
    if override:
        override_dir = Path(override).expanduser()
        missing = [f for f in FILES if not (override_dir / f).is_file()]
        if missing:
            raise DatasetUnavailableError(f"{DIR_ENV}={override} lacks {', '.join(missing)}.")
        return [override_dir / f for f in FILES]
    keras_cache = _download.keras_datasets_dir() / "fashion-mnist"  # Keras's get_file layout
    for directory in (cache, keras_cache, *map(Path, SYSTEM_DIRS)):
        if _complete(directory):
            return [directory / f for f in FILES]
    advice = (
        f"Put the four files {', '.join(FILES)} in {cache} by hand, install the Debian "
        f"package {DEBIAN_PACKAGE} (apt-get install {DEBIAN_PACKAGE}), or set {DIR_ENV} "
        "to a directory holding them."
    )
    paths = []
    for fname in FILES:
        dest = cache / fname
        if not dest.is_file():
            url = _download.origin_url(fname)
            _download.fetch(url, dest, validate=_check_download(fname), advice=advice)
        paths.append(dest)
    return paths


def load_data() -> tuple[Split, Split]:
    """Loads Fashion-MNIST: 60,000 training and 10,000 test 28x28 grey images.

    The ten classes: 0 T-shirt/top, 1 Trouser, 2 Pullover, 3 Dress, 4 Coat,
    5 Sandal, 6 Shirt, 7 Sneaker, 8 Bag, 9 Ankle boot. The four gzipped IDX
    files are looked for, in order, in:

    1. ``$HOARFROST_FASHION_MNIST_DIR`` if set (an error if it lacks a file);
    2. ``$HOARFROST_HOME/datasets/fashion-mnist/`` (default ``~/.hoarfrost``),
       then Keras's ``~/.keras/datasets/fashion-mnist/`` (``$KERAS_HOME``);
    3. the files of Debian's ``dataset-fashion-mnist`` package
       (``/usr/share/datasets/fashion-mnist/``; see ``SYSTEM_DIRS``);
    4. otherwise the missing files are downloaded into the cache of 2. from
       ``$HOARFROST_DATASETS_ORIGIN`` (a base URL, default Keras's mirror
       https://storage.googleapis.com/tensorflow/tf-keras-datasets/).

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: uint8 arrays of shapes
        (60000, 28, 28), (60000,), (10000, 28, 28), (10000,).

    Raises:
        DatasetUnavailableError: if the files are nowhere and cannot be
            downloaded, or a file found is malformed.

    Example:
        >>> from hoarfrost.datasets import fashion_mnist
        >>> (x_train, y_train), (x_test, y_test) = fashion_mnist.load_data()  # doctest: +SKIP
        >>> x_train.shape, x_test.shape  # doctest: +SKIP
        ((60000, 28, 28), (10000, 28, 28))

    License: Fashion-MNIST is (c) Zalando SE, under the MIT licence.
    """
    paths = _locate()
    try:
        y_train, x_train, y_test, x_test = (read_idx(p) for p in paths)
    except (OSError, ValueError) as err:
        raise DatasetUnavailableError(f"Unreadable Fashion-MNIST file: {err}") from err
    for x, y in ((x_train, y_train), (x_test, y_test)):
        if x.ndim != 3 or y.ndim != 1 or len(x) != len(y):
            raise DatasetUnavailableError(
                f"Fashion-MNIST images {x.shape} do not match labels {y.shape} in {paths}"
            )
    return (x_train, y_train), (x_test, y_test)
