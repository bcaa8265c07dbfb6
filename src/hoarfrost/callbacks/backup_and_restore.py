"""`BackupAndRestore`: back up the training state each epoch; resume from it after a crash."""

from __future__ import annotations

import json
import os
from pathlib import Path

from hoarfrost.callbacks.callback import Callback
from hoarfrost.callbacks.model_checkpoint import SaveSchedule
from hoarfrost.host import is_writer
from hoarfrost.saving import temp_files
from hoarfrost.saving.saving_lib import atomic_write, load_training_state


class BackupAndRestore(Callback):
    """Back up the training state each epoch; a new `fit` resumes from it after a crash.

    At the end of every epoch (or every `save_freq` batches) the model is saved
    with `model.save` (weights, trainable flags, optimizer slots and step count,
    learning rate) into `backup_dir`, and then a small `training_metadata.json`
    naming that file and the epoch is replaced atomically. The two files are
    written in that order, each atomically, and the checkpoint's name alternates,
    so a crash at any moment leaves a metadata file that points at a complete
    checkpoint of the epoch it names.

    When `fit` starts with a backup present, the state is loaded into the
    model (which must be built and compiled like the one that was backed up)
    and training resumes at the saved epoch. With the same seeds (e.g.
    `utils.set_random_seed`) before building and fitting, the resumed run is
    bit-identical to one that was never interrupted. When `fit` completes, the
    backup is deleted (`delete_checkpoint=True`).

    Args:
        backup_dir: a directory used only by this callback.
        save_freq: `"epoch"`, or an integer number of batches (then the epoch
            being trained when the crash happened is restarted from the
            mid-epoch weights, as in Keras).
        double_checkpoint: keep the previous checkpoint too, and fall back to
            it when the latest one can not be read.
        delete_checkpoint: remove the backup after a completed `fit`.

    Over several processes process 0 writes the backup and every process
    reads it on restore, so `backup_dir` must be a directory they all see.
    """

    METADATA = "training_metadata.json"

    def __init__(self, backup_dir, save_freq="epoch", double_checkpoint: bool = False,
                 delete_checkpoint: bool = True):
        super().__init__()
        if not backup_dir:
            raise ValueError("Empty `backup_dir` argument passed")
        if save_freq != "epoch" and (isinstance(save_freq, bool) or not isinstance(save_freq, int)
                                     or save_freq < 1):
            raise ValueError("Invalid value for argument `save_freq`. Received: "
                             f"save_freq={save_freq!r}. Expected either 'epoch' or a positive "
                             "integer value.")
        self.backup_dir = os.fspath(backup_dir)
        self.save_freq = save_freq
        self.double_checkpoint = double_checkpoint
        self.delete_checkpoint = delete_checkpoint
        self._current_epoch = 0
        self._schedule = SaveSchedule(save_freq, last_batch_seen=0)
        self.restored_epoch = None
        if save_freq != "epoch":  # acts per batch only then (so fit stays chunked otherwise)
            self.on_train_batch_end = self._on_train_batch_end

    @property
    def _metadata_path(self) -> str:
        return os.path.join(self.backup_dir, self.METADATA)

    def _read_metadata(self, path):
        try:
            with open(path) as handle:
                return json.load(handle)
        except (OSError, json.JSONDecodeError) as exc:
            raise ValueError(f"BackupAndRestore: can not read {path!r} ({exc}).") from exc

    def on_train_begin(self, logs=None):
        self._current_epoch = 0
        self._schedule = SaveSchedule(self.save_freq, last_batch_seen=0)
        self.restored_epoch = None
        candidates = [self._metadata_path]
        if self.double_checkpoint:
            candidates.append(self._metadata_path + ".bkp")
        errors = []
        for path in candidates:
            if not os.path.exists(path):
                continue
            try:
                metadata = self._read_metadata(path)
                self._load(metadata)
                return
            except (ValueError, OSError, KeyError) as exc:
                errors.append(exc)
        if errors:
            raise errors[0]

    def _load(self, metadata) -> None:
        model = self.model
        if not getattr(model, "built", True):
            raise ValueError(
                "To use the BackupAndRestore callback, your model must be built before you call "
                f'fit(). Model "{model.name}" is unbuilt; give it an input shape or call it on '
                "a batch of data first."
            )
        load_training_state(model, os.path.join(self.backup_dir, metadata["file"]))
        epoch = int(metadata["epoch"])
        self._current_epoch = epoch
        self.restored_epoch = epoch
        model._initial_epoch = epoch

    def on_epoch_end(self, epoch, logs=None):
        self._current_epoch = epoch + 1
        self._schedule.last_batch_seen = 0
        if self.save_freq == "epoch":
            self._save()

    def _on_train_batch_end(self, batch, logs=None):
        if self._schedule.due(batch):
            self._save(batch)

    def _save(self, batch: int = 0) -> None:
        if not is_writer():  # takes part in gathering the values; process 0 writes
            self.model.save(os.path.join(self.backup_dir, "checkpoint-a.keras"), overwrite=True)
            return
        os.makedirs(self.backup_dir, exist_ok=True)
        previous = None
        if os.path.exists(self._metadata_path):
            try:
                previous = self._read_metadata(self._metadata_path)
            except ValueError:
                previous = None
        name = ("checkpoint-b.keras" if previous and previous.get("file") == "checkpoint-a.keras"
                else "checkpoint-a.keras")
        self.model.save(os.path.join(self.backup_dir, name), overwrite=True)
        metadata = {"format": "hoarfrost.backup", "version": 1, "file": name,
                    "epoch": self._current_epoch, "batch": batch}
        if self.double_checkpoint and previous is not None:
            atomic_write(self._metadata_path + ".bkp",
                          lambda handle: handle.write(json.dumps(previous).encode()))
        atomic_write(self._metadata_path,
                      lambda handle: handle.write(json.dumps(metadata).encode()))
        if not self.double_checkpoint and previous is not None and previous.get("file") != name:
            old = os.path.join(self.backup_dir, previous["file"])
            if os.path.exists(old):
                os.unlink(old)

    def on_train_end(self, logs=None):
        if (not self.delete_checkpoint or not is_writer()
                or not os.path.isdir(self.backup_dir)):
            return
        for name in (self.METADATA, self.METADATA + ".bkp", "checkpoint-a.keras",
                     "checkpoint-b.keras"):
            path = os.path.join(self.backup_dir, name)
            if os.path.exists(path):
                os.unlink(path)
            temp_files.remove_stale(Path(path))  # what a killed run's save left
        try:
            os.rmdir(self.backup_dir)  # only if nothing else is in it
        except OSError:
            pass
