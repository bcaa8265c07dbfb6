"""`CSVLogger`: each epoch's logs as a row of a CSV file."""

from __future__ import annotations

import collections.abc
import csv
import os
import warnings

import numpy as np

from hoarfrost.callbacks.callback import Callback
from hoarfrost.host import is_writer


class CSVLogger(Callback):
    """Write each epoch's logs as a row of a CSV file.

    Columns are `epoch` and the sorted log keys of the first epoch (plus
    `val_*` twins when the first epoch had no validation). With `append=True`
    and an existing file, the header is not written again and the file's own
    columns are kept, so rows always line up with the header; a key a later
    run adds is left out (with a warning), a missing one is written as `NA`.
    The file is flushed (and synced) after every epoch.

    Args:
        filename: the CSV file.
        separator: the column separator.
        append: add to an existing file instead of overwriting it.
    """

    def __init__(self, filename, separator: str = ",", append: bool = False):
        super().__init__()
        self.sep = separator
        self.filename = os.fspath(filename)
        self.append = append
        self.writer = None
        self.keys = None
        self.append_header = True
        self.csv_file = None
        self._warned: set = set()

    def on_train_begin(self, logs=None):
        self.keys = None
        self.append_header = True
        self.writer = None
        if not is_writer():  # several processes: process 0 alone writes the file
            self.csv_file = None
            return
        needs_newline = False
        if self.append and os.path.exists(self.filename) and os.path.getsize(self.filename):
            with open(self.filename, newline="") as handle:
                header = next(csv.reader(handle, delimiter=self.sep), [])
            with open(self.filename, "rb") as handle:
                handle.seek(-1, os.SEEK_END)
                needs_newline = handle.read(1) not in (b"\n", b"\r")
            if header:
                self.append_header = False
                self.keys = [k for k in header if k != "epoch"]
        if self.csv_file is not None and not self.csv_file.closed:
            self.csv_file.close()
        directory = os.path.dirname(self.filename)
        if directory:
            os.makedirs(directory, exist_ok=True)
        self.csv_file = open(self.filename, "a" if self.append else "w", newline="")
        if needs_newline:  # a row cut short by a crash: start on a fresh line
            self.csv_file.write("\n")
        self.writer = None
        self._warned = set()

    @staticmethod
    def _format(value):
        if isinstance(value, str):
            return value
        if isinstance(value, collections.abc.Iterable) and not (
                isinstance(value, np.ndarray) and value.ndim == 0):
            return f'"[{", ".join(map(str, value))}]"'
        return value

    def on_epoch_end(self, epoch, logs=None):
        if self.csv_file is None:  # not process 0
            return
        logs = logs or {}
        if self.keys is None:
            self.keys = sorted(logs)
            if self.keys and not any(k.startswith("val_") for k in self.keys):
                self.keys.extend(f"val_{k}" for k in list(self.keys))
        extra = sorted(set(logs) - set(self.keys) - self._warned)
        if extra:
            self._warned.update(extra)
            warnings.warn(f"CSVLogger: {self.filename} has no column for {extra}; keeping its "
                          f"columns {['epoch'] + self.keys}.", stacklevel=2)
        if self.writer is None:
            sep = self.sep

            class Dialect(csv.excel):
                delimiter = sep

            self.writer = csv.DictWriter(self.csv_file, fieldnames=["epoch"] + self.keys,
                                         dialect=Dialect, extrasaction="ignore")
            if self.append_header:
                self.writer.writeheader()
                self.append_header = False
        row = {"epoch": epoch}
        row.update((key, self._format(logs.get(key, "NA"))) for key in self.keys)
        self.writer.writerow(row)
        self.csv_file.flush()
        os.fsync(self.csv_file.fileno())

    def on_train_end(self, logs=None):
        if self.csv_file is not None and not self.csv_file.closed:
            self.csv_file.close()
        self.writer = None
