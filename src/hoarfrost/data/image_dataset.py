"""`image_dataset_from_directory`, as Keras's (its default, TensorFlow-backed format)."""

from __future__ import annotations

import numpy as np

from hoarfrost.data import directory as dir_utils
from hoarfrost.data import image_codecs, resize
from hoarfrost.data.image_utils import standardize_data_format

ALLOWLIST_FORMATS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")


def load_image(path: str, image_size, num_channels: int, interpolation: str, data_format: str,
               crop_to_aspect_ratio: bool = False, pad_to_aspect_ratio: bool = False):
    """Read, decode and resize one image as Keras's TensorFlow pipeline does."""
    with open(path, "rb") as f:
        data = f.read()
    try:
        img = image_codecs.decode_image(data, num_channels)
    except image_codecs.ImageDecodeError as err:
        raise image_codecs.ImageDecodeError(f"{path}: {err}") from None
    if crop_to_aspect_ratio:
        img = resize.resize(resize.crop_to_aspect_ratio(img, image_size), image_size,
                            interpolation)
    elif pad_to_aspect_ratio:
        img = resize.resize_with_pad(img, image_size, interpolation)
    else:
        img = resize.resize(img, image_size, interpolation)
    if data_format == "channels_first":
        img = np.ascontiguousarray(img.transpose(2, 0, 1))
    return img


def image_dataset_from_directory(
    directory,
    labels="inferred",
    label_mode="int",
    class_names=None,
    color_mode: str = "rgb",
    batch_size: int | None = 32,
    image_size=(256, 256),
    shuffle: bool = True,
    seed: int | None = None,
    validation_split: float | None = None,
    subset: str | None = None,
    interpolation: str = "bilinear",
    follow_links: bool = False,
    crop_to_aspect_ratio: bool = False,
    pad_to_aspect_ratio: bool = False,
    data_format: str | None = None,
    format: str = "tf",
    verbose: bool = True,
):
    """A `Dataset` of image batches from a directory of class subdirectories.

    With `main_directory/class_a/*.jpg` and `main_directory/class_b/*.jpg`,
    yields `(images, labels)` batches, label 0 for `class_a`, 1 for
    `class_b`. Images are read from disk as the batches are drawn (never all
    at once), decoded (PNG and BMP in NumPy; JPEG and GIF through Pillow:
    `pip install hoarfrost[image]`) and resized as TensorFlow resizes them.

    Everything is as in Keras: the file order, the seeded shuffle and so the
    training / validation split, `class_names` and `file_paths` on the result,
    the label encodings, a reshuffle every epoch (in a buffer of
    `8 * batch_size`).

    Args:
        directory: the data directory.
        labels: 'inferred' (from the subdirectories), None, or a list of
            integer labels in the sorted order of the file paths.
        label_mode: 'int' (int32 `(batch,)`), 'categorical' (float32 one-hot),
            'binary' (float32 `(batch, 1)`), or None (images only).
        class_names: with `labels='inferred'`, the subdirectories to use, in
            this order.
        color_mode: 'grayscale', 'rgb' or 'rgba' (1, 3 or 4 channels).
        batch_size: default 32; None yields single images.
        image_size: `(height, width)` every image is resized to.
        shuffle: shuffle the files (else alphanumeric order).
        seed: seed for the shuffles; required with `validation_split` and
            `shuffle`.
        validation_split: fraction of the files held out for validation.
        subset: 'training', 'validation', or 'both' (returns both datasets).
        interpolation: 'bilinear', 'nearest', 'bicubic', 'area', 'lanczos3',
            'lanczos5', 'gaussian' or 'mitchellcubic'. Images are float32,
            except with 'nearest', which keeps them uint8 (as TensorFlow).
        follow_links: follow symbolic links to subdirectories.
        crop_to_aspect_ratio: crop the centre to `image_size`'s aspect ratio
            before resizing.
        pad_to_aspect_ratio: resize keeping the aspect ratio, then pad with zeros.
        data_format: 'channels_last' (default) or 'channels_first'.
        format: 'tf' (the default): hoarfrost returns its `Dataset`, which
            behaves as the `tf.data.Dataset` Keras returns. 'grain' is not
            supported.
        verbose: print how many files and classes were found.

    Returns:
        A `Dataset` (two for `subset='both'`) with `class_names` and
        `file_paths` attributes.

    Example:
        >>> train, val = image_dataset_from_directory(  # doctest: +SKIP
        ...     "flower_photos", validation_split=0.2, subset="both", seed=1337,
        ...     image_size=(180, 180), batch_size=64)
        >>> model.fit(train, validation_data=val, epochs=10)  # doctest: +SKIP
    """
    dir_utils.check_labels_arg(labels, class_names, "image")
    dir_utils.check_label_mode(label_mode)
    if labels is None or label_mode is None:
        labels, label_mode = None, None
    channels = {"rgb": 3, "rgba": 4, "grayscale": 1}.get(color_mode)
    if channels is None:
        raise ValueError('`color_mode` must be one of {"rgb", "rgba", "grayscale"}. '
                         f"Received: color_mode={color_mode}")
    if isinstance(image_size, int):
        image_size = (image_size, image_size)
    elif not isinstance(image_size, (list, tuple)) or len(image_size) != 2:
        raise ValueError("Invalid `image_size` value. Expected a tuple of 2 integers. "
                         f"Received: image_size={image_size}")
    image_size = tuple(int(s) for s in image_size)
    interpolation = interpolation.lower()
    if interpolation not in resize.INTERPOLATIONS:
        raise ValueError(f"Argument `interpolation` should be one of {resize.INTERPOLATIONS}. "
                         f"Received: interpolation={interpolation}")
    if format != "tf":
        raise ValueError(f"`format` must be 'tf' in hoarfrost (its Dataset behaves as the "
                         f"tf.data.Dataset Keras returns); 'grain' is not supported. Received: "
                         f"format={format}")
    if pad_to_aspect_ratio and crop_to_aspect_ratio:
        raise ValueError("Only one of `pad_to_aspect_ratio`, `crop_to_aspect_ratio` can be set "
                         "to `True`.")
    data_format = standardize_data_format(data_format)

    def load(path):
        return load_image(path, image_size, channels, interpolation, data_format,
                          crop_to_aspect_ratio, pad_to_aspect_ratio)

    return dir_utils.dataset_from_directory(
        directory, labels=labels, label_mode=label_mode, class_names=class_names,
        batch_size=batch_size, shuffle=shuffle, seed=seed, validation_split=validation_split,
        subset=subset, follow_links=follow_links, verbose=verbose, formats=ALLOWLIST_FORMATS,
        kind="image", load=load, with_file_paths=True)

