"""`text_dataset_from_directory`, as Keras's."""

from __future__ import annotations

from hoarfrost.data import directory as dir_utils


def read_text(path: str, max_length: int | None = None) -> str:
    """A file's text (UTF-8, line endings kept), cut to `max_length` characters."""
    try:
        with open(path, encoding="utf-8", newline="") as f:
            text = f.read()
    except UnicodeDecodeError as err:
        raise ValueError(f"{path} is not UTF-8 text ({err}).") from None
    return text if max_length is None else text[:max_length]


def text_dataset_from_directory(
    directory,
    labels="inferred",
    label_mode="int",
    class_names=None,
    batch_size: int | None = 32,
    max_length: int | None = None,
    shuffle: bool = True,
    seed: int | None = None,
    validation_split: float | None = None,
    subset: str | None = None,
    follow_links: bool = False,
    format: str = "tf",
    verbose: bool = True,
):
    """A `Dataset` of text batches from a directory of class subdirectories of `.txt` files.

    Batches are `(texts, labels)` (texts only with `label_mode=None`), where
    `texts` is a `(batch,)` NumPy array of Python strings (dtype object);
    files are read as the batches are drawn. File order, seeded shuffle,
    validation split and label encodings are Keras's.

    Differences from Keras's TensorFlow format: texts are `str` decoded from
    UTF-8 (TF yields raw bytes), and `max_length` counts characters (TF
    counts bytes), as in Keras's own TF-free ('grain') format.

    Args:
        directory: the data directory.
        labels: 'inferred', None, or a list of integer labels in the sorted
            order of the file paths.
        label_mode: 'int', 'categorical', 'binary' or None.
        class_names: with `labels='inferred'`, the subdirectories to use, in
            this order.
        batch_size: default 32; None yields single texts.
        max_length: cut each text to this many characters.
        shuffle: shuffle the files (else alphanumeric order).
        seed: seed for the shuffles; required with `validation_split` and
            `shuffle`.
        validation_split: fraction of the files held out for validation.
        subset: 'training', 'validation' or 'both'.
        follow_links: follow symbolic links to subdirectories.
        format: 'tf' (the default; hoarfrost's `Dataset`). 'grain' is not
            supported.
        verbose: print how many files and classes were found.

    Returns:
        A `Dataset` (a list of two for `subset='both'`) with `class_names`.
    """
    dir_utils.check_labels_arg(labels, class_names, "text")
    dir_utils.check_label_mode(label_mode)
    if format != "tf":
        raise ValueError(f"`format` must be 'tf' in hoarfrost (its Dataset behaves as the "
                         f"tf.data.Dataset Keras returns); 'grain' is not supported. Received: "
                         f"format={format}")
    if labels is None or label_mode is None:
        labels, label_mode = None, None
    return dir_utils.dataset_from_directory(
        directory, labels=labels, label_mode=label_mode, class_names=class_names,
        batch_size=batch_size, shuffle=shuffle, seed=seed, validation_split=validation_split,
        subset=subset, follow_links=follow_links, verbose=verbose, formats=(".txt",),
        kind="text", load=lambda path: read_text(path, max_length))
