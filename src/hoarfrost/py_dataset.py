"""`PyDataset` (Keras's `keras.utils.PyDataset`, formerly `Sequence`): batches by index.

Subclass it with `__len__` (batches per epoch) and `__getitem__(index)`
returning `(x, y)` or `(x, y, sample_weight)`; pass it to `fit`, `evaluate`
or `predict` as `x`. Each epoch reads indices `0 .. len - 1` (in a shuffled order
under `fit(shuffle=True)`, the default, as Keras), then calls `on_epoch_end()`. Batches are converted and
copied to the device on a background thread while the previous ones train;
`workers`, `use_multiprocessing` and `max_queue_size` are accepted for
compatibility and ignored (one loading thread).
"""

from __future__ import annotations


class PyDataset:
    """Base class for datasets that produce batches by index."""

    def __init__(self, workers: int = 1, use_multiprocessing: bool = False,
                 max_queue_size: int = 10):
        self._workers = workers
        self._use_multiprocessing = use_multiprocessing
        self._max_queue_size = max_queue_size

    @property
    def workers(self) -> int:
        return getattr(self, "_workers", 1)

    @property
    def use_multiprocessing(self) -> bool:
        return getattr(self, "_use_multiprocessing", False)

    @property
    def max_queue_size(self) -> int:
        return getattr(self, "_max_queue_size", 10)

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__(index).")

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must define __len__() (batches per "
                                  "epoch).")

    @property
    def num_batches(self) -> int | None:
        """Batches per epoch (Keras 3's name for `len(dataset)`)."""
        return len(self)

    def on_epoch_begin(self) -> None:
        """Called before each epoch's first batch."""

    def on_epoch_end(self) -> None:
        """Called after each epoch's last batch (shuffle here)."""

    def __iter__(self):
        """One epoch: `self[0] .. self[len - 1]`, then `on_epoch_end()`."""
        self.on_epoch_begin()
        for index in range(len(self)):
            yield self[index]
        self.on_epoch_end()


Sequence = PyDataset  # Keras 2's name
