"""`audio_dataset_from_directory`, as Keras's, reading WAV files with the standard library."""

from __future__ import annotations

import wave

import numpy as np

from hoarfrost.data import directory as dir_utils

ALLOWED_FORMATS = (".wav",)
_PCM = {1: ("u1", 128.0, 128.0), 2: ("<i2", 0.0, 32768.0), 4: ("<i4", 0.0, 2147483648.0)}


def read_wav(path: str, output_sequence_length: int | None = None) -> np.ndarray:
    """A PCM WAV file as float32 `(samples, channels)` in [-1, 1), as `tf.audio.decode_wav`.

    16-bit samples are divided by 32768 (TF reads only 16-bit files; 8-, 24-
    and 32-bit PCM are read here too, scaled to the same range). With
    `output_sequence_length` the audio is cut or zero-padded to that many
    samples.
    """
    try:
        with wave.open(path, "rb") as f:
            channels, width, frames = f.getnchannels(), f.getsampwidth(), f.getnframes()
            raw = f.readframes(frames)
    except (wave.Error, EOFError) as err:
        raise ValueError(f"{path} is not a PCM WAV file hoarfrost can read ({err}).") from None
    if width == 3:
        padded = np.frombuffer(raw, np.uint8).reshape(-1, 3)
        ints = (padded[:, 0].astype(np.int32) | (padded[:, 1].astype(np.int32) << 8)
                | (padded[:, 2].astype(np.int8).astype(np.int32) << 16))
        audio = ints.astype(np.float32) / np.float32(8388608.0)
    elif width in _PCM:
        dtype, offset, scale = _PCM[width]
        audio = ((np.frombuffer(raw, dtype).astype(np.float64) - offset) / scale).astype(
            np.float32)
    else:
        raise ValueError(f"{path}: {8 * width}-bit WAV samples are not supported.")
    audio = audio[:len(audio) - len(audio) % channels].reshape(-1, channels)
    if output_sequence_length is not None:
        out = np.zeros((output_sequence_length, channels), np.float32)
        keep = min(output_sequence_length, len(audio))
        out[:keep] = audio[:keep]
        audio = out
    return audio


def audio_dataset_from_directory(
    directory,
    labels="inferred",
    label_mode="int",
    class_names=None,
    batch_size: int | None = 32,
    sampling_rate: int | None = None,
    output_sequence_length: int | None = None,
    ragged: bool = False,
    shuffle: bool = True,
    seed: int | None = None,
    validation_split: float | None = None,
    subset: str | None = None,
    follow_links: bool = False,
    verbose: bool = True,
):
    """A `Dataset` of audio batches from a directory of class subdirectories of `.wav` files.

    Batches are `(audio, labels)` with `audio` float32 `(batch, samples,
    channels)`; without `output_sequence_length` each batch is zero-padded to
    its longest clip (Keras's `padded_batch`). Files are read as the batches
    are drawn. File order, seeded shuffle, validation split and label
    encodings are Keras's.

    Args:
        directory: the data directory.
        labels: 'inferred', None, or a list of integer labels in the sorted
            order of the file paths.
        label_mode: 'int', 'categorical', 'binary' or None.
        class_names: with `labels='inferred'`, the subdirectories to use.
        batch_size: default 32; None yields single clips.
        sampling_rate: not supported (Keras resamples with tensorflow-io);
            must be None.
        output_sequence_length: cut or zero-pad every clip to this many samples.
        ragged: not supported (NumPy has no ragged arrays); must be False.
        shuffle: shuffle the files (else alphanumeric order).
        seed: seed for the shuffles; required with `validation_split` and
            `shuffle`.
        validation_split: fraction of the files held out for validation.
        subset: 'training', 'validation' or 'both' (returns a tuple of two).
        follow_links: follow symbolic links to subdirectories.
        verbose: print how many files and classes were found.
    """
    if labels not in ("inferred", None):
        if not isinstance(labels, (list, tuple)):
            raise ValueError(
                "The `labels` argument should be a list/tuple of integer labels, of the same "
                "size as the number of audio files in the target directory. If you wish to "
                "infer the labels from the subdirectory names in the target directory, pass "
                '`labels="inferred"`. If you wish to get a dataset that only contains audio '
                f"samples (no labels), pass `labels=None`. Received: labels={labels}")
        if class_names:
            raise ValueError('You can only pass `class_names` if `labels="inferred"`. '
                             f"Received: labels={labels}, and class_names={class_names}")
    dir_utils.check_label_mode(label_mode)
    if ragged and output_sequence_length is not None:
        raise ValueError("Cannot set both `ragged` and `output_sequence_length`")
    if ragged:
        raise NotImplementedError("audio_dataset_from_directory: ragged=True is not supported "
                                  "by hoarfrost (NumPy has no ragged arrays); leave it False to "
                                  "zero-pad each batch, or set output_sequence_length.")
    if sampling_rate is not None:
        if not isinstance(sampling_rate, int):
            raise ValueError("`sampling_rate` should have an integer value. Received: "
                             f"sampling_rate={sampling_rate}")
        if sampling_rate <= 0:
            raise ValueError("`sampling_rate` should be higher than 0. Received: "
                             f"sampling_rate={sampling_rate}")
        raise NotImplementedError("audio_dataset_from_directory: sampling_rate is not "
                                  "supported by hoarfrost (Keras resamples with "
                                  "tensorflow-io); resample the files beforehand and pass "
                                  "sampling_rate=None.")
    if labels is None or label_mode is None:
        labels, label_mode = None, None

    def batch(ds, size):
        return ds.padded_batch(size) if output_sequence_length is None else ds.batch(size)

    result = dir_utils.dataset_from_directory(
        directory, labels=labels, label_mode=label_mode, class_names=class_names,
        batch_size=batch_size, shuffle=shuffle, seed=seed, validation_split=validation_split,
        subset=subset, follow_links=follow_links, verbose=verbose, formats=ALLOWED_FORMATS,
        kind="audio", load=lambda path: read_wav(path, output_sequence_length), batch=batch)
    return tuple(result) if isinstance(result, list) else result
