"""`timeseries_dataset_from_array`, as Keras's: sliding windows, gathered as they are drawn."""

from __future__ import annotations

import numpy as np

from hoarfrost.data.dataset import AUTOTUNE, Dataset


def _check(data, sequence_stride, sampling_rate, start_index, end_index) -> None:
    if start_index:
        if start_index < 0:
            raise ValueError(f"`start_index` must be 0 or greater. Received: "
                             f"start_index={start_index}")
        if start_index >= len(data):
            raise ValueError("`start_index` must be lower than the length of the data. "
                             f"Received: start_index={start_index}, for data of length "
                             f"{len(data)}")
    if end_index:
        if start_index and end_index <= start_index:
            raise ValueError("`end_index` must be higher than `start_index`. Received: "
                             f"start_index={start_index}, and end_index={end_index} ")
        if end_index >= len(data):
            raise ValueError("`end_index` must be lower than the length of the data. "
                             f"Received: end_index={end_index}, for data of length {len(data)}")
        if end_index <= 0:
            raise ValueError(f"`end_index` must be higher than 0. Received: end_index={end_index}")
    if sampling_rate <= 0:
        raise ValueError(f"`sampling_rate` must be higher than 0. Received: "
                         f"sampling_rate={sampling_rate}")
    if sampling_rate >= len(data):
        raise ValueError("`sampling_rate` must be lower than the length of the data. Received: "
                         f"sampling_rate={sampling_rate}, for data of length {len(data)}")
    if sequence_stride <= 0:
        raise ValueError(f"`sequence_stride` must be higher than 0. Received: "
                         f"sequence_stride={sequence_stride}")
    if sequence_stride >= len(data):
        raise ValueError("`sequence_stride` must be lower than the length of the data. "
                         f"Received: sequence_stride={sequence_stride}, for data of length "
                         f"{len(data)}")


def timeseries_dataset_from_array(
    data,
    targets,
    sequence_length: int,
    sequence_stride: int = 1,
    sampling_rate: int = 1,
    batch_size: int | None = 128,
    shuffle: bool = False,
    seed: int | None = None,
    start_index: int | None = None,
    end_index: int | None = None,
    format: str = "tf",
) -> Dataset:
    """A `Dataset` of sliding windows over a timeseries (axis 0 is time).

    Window `i` is `data[start_index + p_i + sampling_rate * k]` for
    `k < sequence_length`, with `p_i = i * sequence_stride`, and its target
    is `targets[start_index + p_i]`. With `shuffle` the window starts are
    permuted once with `seed` (as Keras, with NumPy's `RandomState`) and the
    windows are reshuffled every epoch in a buffer of `8 * batch_size`.
    Windows are gathered from `data` as they are drawn, never all at once.

    Args:
        data: array-like, time on axis 0.
        targets: `targets[i]` belongs to the window starting at `i`; or None.
        sequence_length: steps per window.
        sequence_stride: steps between the starts of consecutive windows.
        sampling_rate: steps between the samples of one window.
        batch_size: windows per batch (default 128); None yields single windows.
        shuffle: shuffle the windows.
        seed: seed for the shuffle.
        start_index: first step used (inclusive).
        end_index: last step used (exclusive).
        format: 'tf' (hoarfrost's `Dataset`); 'grain' is not supported.

    Returns:
        A `Dataset` of `(windows, targets)` batches, or of windows alone.
    """
    if format != "tf":
        raise ValueError(f"`format` must be 'tf' in hoarfrost (its Dataset behaves as the "
                         f"tf.data.Dataset Keras returns); 'grain' is not supported. Received: "
                         f"format={format}")
    data = data if isinstance(data, np.ndarray) else np.asarray(data)
    _check(data, sequence_stride, sampling_rate, start_index, end_index)
    if targets is not None:
        targets = targets if isinstance(targets, np.ndarray) else np.asarray(targets)
    start = start_index or 0
    end = len(data) if end_index is None else end_index
    num_seqs = end - start - (sequence_length - 1) * sampling_rate
    if targets is not None:
        num_seqs = min(num_seqs, len(targets))
    index_dtype = "int32" if num_seqs < 2147483647 else "int64"
    starts = np.arange(0, num_seqs, sequence_stride, dtype=index_dtype)
    if shuffle:
        if seed is None:
            seed = np.random.randint(1e6)
        np.random.RandomState(seed).shuffle(starts)
    offsets = np.arange(sequence_length, dtype=np.int64) * sampling_rate

    def window(position):  # inside data[start:end] by construction of num_seqs
        sequence = data[start + int(position) + offsets]
        return sequence if targets is None else (sequence, targets[start + int(position)])

    ds = Dataset.from_tensor_slices(starts).map(window).prefetch(AUTOTUNE)
    if batch_size is not None:
        if shuffle:
            ds = ds.shuffle(buffer_size=batch_size * 8, seed=seed)
        return ds.batch(batch_size)
    if shuffle:
        ds = ds.shuffle(buffer_size=1024, seed=seed)
    return ds
