"""Indexing a directory of labelled files, as Keras's `dataset_utils` does.

The file order, the seeded shuffle (NumPy's `RandomState`), the
validation split and the label encodings are Keras's, so the same directory
and seed put the same files in training and in validation as in Keras.
"""

from __future__ import annotations

import os
from typing import Callable, Sequence

import numpy as np

from hoarfrost.data.dataset import AUTOTUNE, Dataset

LABEL_MODES = ("int", "categorical", "binary", None)


def check_labels_arg(labels, class_names, kind: str) -> None:
    """Keras's checks of `labels` against `class_names` (kind: 'image', 'text', 'audio')."""
    if labels not in ("inferred", None):
        if not isinstance(labels, (list, tuple)):
            raise ValueError(
                "`labels` argument should be a list/tuple of integer labels, of the same size "
                f"as the number of {kind} files in the target directory. If you wish to infer "
                "the labels from the subdirectory names in the target directory, pass "
                f'`labels="inferred"`. If you wish to get a dataset that only contains {kind} '
                f"samples (no labels), pass `labels=None`. Received: labels={labels}")
        if class_names:
            raise ValueError('You can only pass `class_names` if `labels="inferred"`. '
                             f"Received: labels={labels}, and class_names={class_names}")


def check_label_mode(label_mode) -> None:
    if label_mode not in LABEL_MODES:
        raise ValueError('`label_mode` argument must be one of "int", "categorical", '
                         f'"binary", or None. Received: label_mode={label_mode}')


def check_validation_split_arg(validation_split, subset, shuffle, seed) -> None:
    """Raise on inconsistent `validation_split` / `subset` / `shuffle` / `seed` (as Keras)."""
    if validation_split and not 0 < validation_split < 1:
        raise ValueError(f"`validation_split` must be between 0 and 1, received: "
                         f"{validation_split}")
    if (validation_split or subset) and not (validation_split and subset):
        raise ValueError("If `subset` is set, `validation_split` must be set, and inversely.")
    if subset not in ("training", "validation", "both", None):
        raise ValueError('`subset` must be either "training", "validation" or "both", '
                         f"received: {subset}")
    if validation_split and shuffle and seed is None:
        raise ValueError(
            "If using `validation_split` and shuffling the data, you must provide a `seed` "
            "argument, to make sure that there is no overlap between the training and "
            "validation subset.")


def _iter_valid_files(directory: str, follow_links: bool, formats: tuple[str, ...]):
    walk = os.walk(directory, followlinks=follow_links)
    for root, _, files in sorted(walk, key=lambda entry: entry[0]):
        for fname in sorted(files):
            if fname.lower().endswith(formats):
                yield root, fname


def _index_subdirectory(directory: str, class_index: int, follow_links: bool,
                        formats: tuple[str, ...]) -> tuple[list[str], list[int]]:
    dirname = os.path.basename(directory)
    filenames, labels = [], []
    for root, fname in _iter_valid_files(directory, follow_links, formats):
        absolute_path = os.path.join(root, fname)
        filenames.append(os.path.join(dirname, os.path.relpath(absolute_path, directory)))
        labels.append(class_index)
    return filenames, labels


def index_directory(directory, labels, formats: tuple[str, ...], class_names=None,
                    shuffle: bool = True, seed=None, follow_links: bool = False,
                    verbose: bool = True):
    """All files of `formats` in `directory`, with their labels, in Keras's order.

    Returns:
        `(file_paths, labels, class_names)`: paths (str), an int32 array of
        labels (or `None` when `labels` is None) and the class names.
    """
    directory = os.fspath(directory)
    if not os.path.isdir(directory):
        raise ValueError(f"Directory {directory!r} does not exist or is not a directory.")
    if labels == "inferred":
        subdirs = [name for name in sorted(os.listdir(directory))
                   if os.path.isdir(os.path.join(directory, name)) and not name.startswith(".")]
        if class_names is not None:
            if not set(class_names).issubset(set(subdirs)):
                raise ValueError(
                    "The `class_names` passed did not match the names of the subdirectories "
                    f"of the target directory. Expected: {subdirs} (or a subset of it), but "
                    f"received: class_names={class_names}")
            subdirs = list(class_names)  # the given order
    else:
        subdirs = [""]
        if class_names is not None:
            if labels is None:
                raise ValueError("When `labels=None` (no labels), argument `class_names` "
                                 "cannot be specified.")
            raise ValueError("When argument `labels` is specified, argument `class_names` "
                             "cannot be specified (the `class_names` will be the sorted list "
                             "of labels).")
    filenames, found = [], []
    for index, subdir in enumerate(subdirs):
        names, indices = _index_subdirectory(os.path.join(directory, subdir), index,
                                             follow_links, formats)
        filenames += names
        found += indices
    if labels == "inferred":
        label_array = np.asarray(found, dtype="int32").reshape(-1)
        class_names = subdirs
    elif labels is None:
        label_array, class_names = None, None
    else:
        if len(labels) != len(filenames):
            raise ValueError(
                "Expected the lengths of `labels` to match the number of files in the target "
                f"directory. len(labels) is {len(labels)} while we found {len(filenames)} "
                f"files in directory {directory}.")
        class_names = [str(label) for label in sorted(set(labels))]
        label_array = np.array(labels)  # a copy: Keras shuffles the caller's list in place
    if verbose:
        if label_array is None:
            print(f"Found {len(filenames)} files.")
        else:
            print(f"Found {len(filenames)} files belonging to {len(class_names)} classes.")
    file_paths = [os.path.join(directory, fname) for fname in filenames]
    if shuffle:
        if seed is None:
            seed = np.random.randint(1e6)
        np.random.RandomState(seed).shuffle(file_paths)
        if label_array is not None:
            np.random.RandomState(seed).shuffle(label_array)
    return file_paths, label_array, class_names


def get_training_or_validation_split(samples, labels, validation_split, subset):
    """Keras's split: validation is the last `int(validation_split * n)` samples."""
    if not validation_split:
        return samples, labels
    num_val_samples = int(validation_split * len(samples))
    if subset == "training":
        print(f"Using {len(samples) - num_val_samples} files for training.")
        samples = samples[:-num_val_samples]
        if labels is not None:
            labels = labels[:-num_val_samples]
    elif subset == "validation":
        print(f"Using {num_val_samples} files for validation.")
        samples = samples[-num_val_samples:]
        if labels is not None:
            labels = labels[-num_val_samples:]
    else:
        raise ValueError(f'`subset` must be either "training" or "validation", received: '
                         f"{subset}")
    return samples, labels


def encode_labels(labels, label_mode: str, num_classes: int) -> np.ndarray:
    """Labels as Keras yields them: int32, float32 `(n, 1)` (binary) or one-hot float32."""
    labels = np.asarray(labels)
    if label_mode == "binary":
        return labels.astype("float32")[:, None]
    if label_mode == "categorical":
        ints = labels.astype("int64")
        one_hot = np.zeros((len(ints), num_classes), dtype="float32")
        inside = (ints >= 0) & (ints < num_classes)  # tf.one_hot: zeros outside the range
        one_hot[np.nonzero(inside)[0], ints[inside]] = 1.0
        return one_hot
    return labels.astype("int32")


def paths_and_labels_to_dataset(paths: Sequence[str], labels, label_mode, num_classes: int,
                                load: Callable[[str], object], shuffle: bool = False,
                                shuffle_buffer_size: int | None = None, seed=None) -> Dataset:
    """Per-file elements `load(path)` or `(load(path), label)`, files read as drawn.

    As Keras: the (path, label) pairs are shuffled (buffer `shuffle_buffer_size`,
    a new order each epoch), and only then is each file read.
    """
    path_array = np.array(list(paths), dtype=object)
    if label_mode:
        ds = Dataset.from_tensor_slices((path_array, encode_labels(labels, label_mode,
                                                                   num_classes)))
    else:
        ds = Dataset.from_tensor_slices(path_array)
    if shuffle:
        ds = ds.shuffle(buffer_size=shuffle_buffer_size or 1024, seed=seed)
    if label_mode:
        return ds.map(lambda path, label: (load(path), label))
    return ds.map(load)


def dataset_from_directory(directory, *, labels, label_mode, class_names, batch_size, shuffle,
                           seed, validation_split, subset, follow_links, verbose,
                           formats: tuple[str, ...], kind: str, load: Callable[[str], object],
                           batch: Callable[[Dataset, int], Dataset] | None = None,
                           with_file_paths: bool = False):
    """The body Keras's image, text and audio `*_dataset_from_directory` share.

    Args:
        kind: 'image', 'text' or 'audio', for the messages.
        load: reads one file into one sample.
        batch: how to batch (default `Dataset.batch`; audio pads).
        with_file_paths: set `file_paths` on the result (images, as Keras).
    """
    check_validation_split_arg(validation_split, subset, shuffle, seed)
    if seed is None:
        seed = np.random.randint(1e6)
    file_paths, labels, class_names = index_directory(
        directory, labels, formats=formats, class_names=class_names, shuffle=shuffle, seed=seed,
        follow_links=follow_links, verbose=verbose)
    if label_mode == "binary" and len(class_names) != 2:
        raise ValueError('When passing `label_mode="binary"`, there must be exactly 2 '
                         f"class_names. Received: class_names={class_names}")
    buffer_size = batch_size * 8 if batch_size is not None else 1024
    num_classes = len(class_names) if class_names else 0
    batch = batch or (lambda ds, size: ds.batch(size))
    allowed = f"Allowed formats: {formats}"

    def build(paths, split_labels, shuffled: bool) -> Dataset:
        ds = paths_and_labels_to_dataset(paths, split_labels, label_mode, num_classes, load,
                                         shuffle=shuffled, shuffle_buffer_size=buffer_size,
                                         seed=seed)
        if batch_size is not None:
            ds = batch(ds, batch_size)
        ds = ds.prefetch(AUTOTUNE)
        ds.class_names = class_names
        if with_file_paths:
            ds.file_paths = list(paths)
        return ds

    def require(paths, what: str) -> None:
        if not paths:
            raise ValueError(f"No {what}{kind} files found in directory {directory}. {allowed}")

    if subset == "both":
        train = get_training_or_validation_split(file_paths, labels, validation_split,
                                                 "training")
        val = get_training_or_validation_split(file_paths, labels, validation_split,
                                               "validation")
        require(train[0], "training ")
        require(val[0], "validation ")
        return [build(*train, shuffle), build(*val, False)]
    paths, split_labels = get_training_or_validation_split(file_paths, labels,
                                                           validation_split, subset)
    require(paths, "")
    return build(paths, split_labels, shuffle)
