"""Reading the pickled parts of Keras's dataset files without running code from them.

CIFAR's batches are Python pickles, and IMDB's and Reuters' `.npz` files hold
ragged `dtype=object` arrays, which NumPy can only store as pickles. A pickle
can call any importable function while it loads (`os.system`, `eval`, ...),
so these are read with an unpickler that resolves exactly three names --
`numpy.ndarray`, `numpy.dtype` and NumPy's array `_reconstruct` -- and refuses
every other one. Numeric arrays are read with pickling disabled altogether.
"""

from __future__ import annotations

import io
import pickle
import zipfile

import numpy as np

try:  # NumPy >= 2
    from numpy._core.multiarray import _reconstruct
except ImportError:  # pragma: no cover - NumPy 1.x
    from numpy.core.multiarray import _reconstruct

# Both spellings of the module: files written under NumPy 1 (CIFAR's, IMDB's) and NumPy 2.
_ALLOWED = {
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
    ("numpy.core.multiarray", "_reconstruct"): _reconstruct,
    ("numpy._core.multiarray", "_reconstruct"): _reconstruct,
}


class RestrictedUnpickler(pickle.Unpickler):
    """An unpickler that can rebuild NumPy arrays and builtin containers, and nothing else."""

    def find_class(self, module: str, name: str):
        try:
            return _ALLOWED[module, name]
        except KeyError:
            raise pickle.UnpicklingError(
                f"Refusing to load `{module}.{name}` from a dataset file: only NumPy arrays and "
                "builtin values are allowed there. The file is corrupt or malicious; delete it "
                "and download it again.") from None

    def persistent_load(self, pid):
        raise pickle.UnpicklingError("Refusing a persistent id in a dataset file.")


def load_pickle(f, encoding: str = "ASCII"):
    """Unpickle `f` (a binary file) allowing only arrays and builtin values."""
    return RestrictedUnpickler(f, encoding=encoding).load()


def _read_npy(fp) -> np.ndarray:
    try:
        return np.lib.format.read_array(fp, allow_pickle=False)
    except ValueError:  # an object array: its payload is a pickle
        fp.seek(0)
        version = np.lib.format.read_magic(fp)
        if version[0] == 1:
            np.lib.format.read_array_header_1_0(fp)
        elif version[0] in (2, 3):
            np.lib.format.read_array_header_2_0(fp)  # 3.0 differs only in the header's encoding
        else:
            raise ValueError(f"Unsupported .npy format version {version}.") from None
        array = RestrictedUnpickler(fp).load()
        if not isinstance(array, np.ndarray):
            raise ValueError(f"An .npy member holds a {type(array).__name__}, not an array.")
        return array


def load_npz(path) -> dict[str, np.ndarray]:
    """Every array of an `.npz` file, object arrays included, without running pickled code."""
    arrays = {}
    with zipfile.ZipFile(path) as archive:
        for member in archive.namelist():
            if member.endswith(".npy"):
                with archive.open(member) as raw:
                    arrays[member[:-4]] = _read_npy(io.BytesIO(raw.read()))
    return arrays
