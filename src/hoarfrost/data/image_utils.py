"""Keras's `load_img`, `img_to_array`, `array_to_img` and `save_img`.

Keras returns and takes Pillow images here, so `load_img` and `array_to_img`
need Pillow (`pip install hoarfrost[image]`), as they do in Keras, and raise
an `ImportError` naming the extra without it. `img_to_array` takes a Pillow
image or any array. `save_img` uses Pillow when it is installed and writes
PNG or BMP itself otherwise.
"""

from __future__ import annotations

import io
import os
import pathlib
import warnings

import numpy as np

from hoarfrost.data import image_codecs


def standardize_data_format(data_format: str | None) -> str:
    """`None` -> 'channels_last' (hoarfrost's image layout); checks the value otherwise."""
    if data_format is None:
        return "channels_last"
    data_format = str(data_format).lower()
    if data_format not in ("channels_first", "channels_last"):
        raise ValueError("The `data_format` argument must be one of {'channels_first', "
                         f"'channels_last'}}. Received: data_format={data_format}")
    return data_format


def _pil_image(what: str):
    Image = image_codecs._pil()
    if Image is None:
        raise ImportError(f"`{what}` returns or takes Pillow images, as in Keras, and needs "
                          "Pillow: `pip install hoarfrost[image]` (or `pip install pillow`).")
    return Image


def _scaled_uint8_source(x, data_format: str | None, scale: bool, dtype) -> np.ndarray:
    """Keras's array_to_img arithmetic: `(h, w, c)` values, rescaled to 0-255 if `scale`."""
    data_format = standardize_data_format(data_format)
    x = np.asarray(x, dtype=dtype or "float32")
    if x.ndim != 3:
        raise ValueError("Expected image array to have rank 3 (single image). Got array with "
                         f"shape: {x.shape}")
    if data_format == "channels_first":
        x = x.transpose(1, 2, 0)
    if scale:
        x = x - np.min(x)
        x_max = np.max(x)
        if x_max != 0:
            x /= x_max
        x *= 255
    if x.shape[2] not in (1, 3, 4):
        raise ValueError(f"Unsupported channel number: {x.shape[2]}")
    return x


def array_to_img(x, data_format: str | None = None, scale: bool = True, dtype=None):
    """Convert a 3D array to a Pillow image (needs Pillow, as in Keras).

    Args:
        x: `(height, width, channels)` (or channels first) with 1, 3 or 4 channels.
        data_format: 'channels_last' (default) or 'channels_first'.
        scale: rescale the values so that min and max become 0 and 255.
        dtype: the dtype `x` is first converted to (default float32).
    """
    Image = _pil_image("array_to_img")
    x = _scaled_uint8_source(x, data_format, scale, dtype)
    if x.shape[2] == 4:
        return Image.fromarray(x.astype("uint8"), "RGBA")
    if x.shape[2] == 3:
        return Image.fromarray(x.astype("uint8"), "RGB")
    if np.max(x) > 255:  # 32-bit signed integer greyscale (Pillow mode "I")
        return Image.fromarray(x[:, :, 0].astype("int32"), "I")
    return Image.fromarray(x[:, :, 0].astype("uint8"), "L")


def img_to_array(img, data_format: str | None = None, dtype=None) -> np.ndarray:
    """Convert a Pillow image (or an array) to a 3D NumPy array.

    Args:
        img: a Pillow image, or an array of shape `(h, w)` or `(h, w, c)`.
        data_format: 'channels_last' (default) or 'channels_first'.
        dtype: default float32.
    """
    data_format = standardize_data_format(data_format)
    x = np.asarray(img, dtype=dtype or "float32")
    if x.ndim == 3:
        if data_format == "channels_first":
            x = x.transpose(2, 0, 1)
    elif x.ndim == 2:
        x = x.reshape((1,) + x.shape if data_format == "channels_first" else x.shape + (1,))
    else:
        raise ValueError(f"Unsupported image shape: {x.shape}")
    return x


def save_img(path, x, data_format: str | None = None, file_format: str | None = None,
             scale: bool = True, **kwargs) -> None:
    """Save an image array to a path or file object.

    With Pillow installed this is Keras's `save_img` (any format Pillow
    writes; `kwargs` go to `PIL.Image.save`). Without Pillow it writes PNG
    or BMP itself (no `kwargs`), the same pixels Pillow would write. A path
    is written atomically: a failed save leaves the previous file.

    Args:
        path: a path or a binary file object.
        x: the image, as `array_to_img` takes it.
        data_format: 'channels_last' (default) or 'channels_first'.
        file_format: e.g. 'png'; defaults to the path's extension (required
            for a file object).
        scale: rescale the values to 0-255 (as `array_to_img`).
        **kwargs: passed to `PIL.Image.save` (Pillow only).
    """
    data_format = standardize_data_format(data_format)
    if file_format is None and isinstance(path, (str, pathlib.Path)):
        file_format = pathlib.Path(path).suffix[1:].lower()
    if file_format and file_format.lower() == "jpg":
        file_format = "jpeg"
    if image_codecs._pil() is not None:
        img = array_to_img(x, data_format=data_format, scale=scale)
        if img.mode == "RGBA" and file_format == "jpeg":
            warnings.warn("The JPEG format does not support RGBA images, converting to RGB.")
            img = img.convert("RGB")
        if isinstance(path, (str, os.PathLike)):  # written whole or not at all
            buffer = io.BytesIO()
            img.save(buffer, format=file_format, **kwargs)
            from hoarfrost.file_utils import atomic_write_bytes
            atomic_write_bytes(os.fspath(path), buffer.getvalue())
        else:
            img.save(path, format=file_format, **kwargs)
        return
    fmt = (file_format or "").lower()
    if fmt not in ("png", "bmp") or kwargs:
        what = f"keyword arguments {sorted(kwargs)}" if kwargs else f"format {file_format!r}"
        raise ImportError(f"save_img: without Pillow hoarfrost writes PNG and BMP only, with no "
                          f"keyword arguments; {what} needs Pillow: `pip install "
                          "hoarfrost[image]`.")
    pixels = _scaled_uint8_source(x, data_format, scale, None)
    if np.max(pixels) > 255:
        raise ImportError("save_img: an image with values above 255 is saved as a 32-bit "
                          "greyscale image, which needs Pillow: `pip install hoarfrost[image]`.")
    pixels = pixels.astype("uint8")
    if fmt == "bmp":
        if pixels.shape[2] == 1:
            pixels = np.repeat(pixels, 3, axis=2)
        data = image_codecs.encode_bmp(pixels)
    else:
        data = image_codecs.encode_png(pixels)
    if hasattr(path, "write"):
        path.write(data)
        return
    from hoarfrost.file_utils import atomic_write_bytes
    atomic_write_bytes(os.fspath(path), data)


def load_img(path, color_mode: str = "rgb", target_size=None, interpolation: str = "nearest",
             keep_aspect_ratio: bool = False):
    """Load an image file into a Pillow image (needs Pillow, as in Keras).

    Args:
        path: a path, or an `io.BytesIO`.
        color_mode: 'grayscale', 'rgb' or 'rgba'.
        target_size: `None` (the file's size) or `(height, width)`.
        interpolation: Pillow's resampling: 'nearest' (default), 'bilinear',
            'bicubic', 'hamming', 'box' or 'lanczos'.
        keep_aspect_ratio: crop the centre to the target's aspect ratio
            before resizing.

    Example:
        >>> image = load_img(path, target_size=(180, 180))  # doctest: +SKIP
        >>> batch = img_to_array(image)[None]  # doctest: +SKIP
    """
    Image = _pil_image("load_img")
    resampling = getattr(Image, "Resampling", Image)
    methods = {"nearest": resampling.NEAREST, "bilinear": resampling.BILINEAR,
               "bicubic": resampling.BICUBIC, "hamming": resampling.HAMMING,
               "box": resampling.BOX, "lanczos": resampling.LANCZOS}
    if isinstance(path, io.BytesIO):
        img = Image.open(path)
    elif isinstance(path, (pathlib.Path, bytes, str)):
        if isinstance(path, pathlib.Path):
            path = str(path.resolve())
        with open(path, "rb") as f:
            img = Image.open(io.BytesIO(f.read()))
    else:
        raise TypeError(f"path should be path-like or io.BytesIO, not {type(path)}")
    if color_mode == "grayscale":
        if img.mode not in ("L", "I;16", "I"):
            img = img.convert("L")
    elif color_mode == "rgba":
        if img.mode != "RGBA":
            img = img.convert("RGBA")
    elif color_mode == "rgb":
        if img.mode != "RGB":
            img = img.convert("RGB")
    else:
        raise ValueError('color_mode must be "grayscale", "rgb", or "rgba"')
    if target_size is not None:
        width_height = (target_size[1], target_size[0])
        if img.size != width_height:
            if interpolation not in methods:
                raise ValueError(f"Invalid interpolation method {interpolation} specified. "
                                 f"Supported methods are {', '.join(methods)}")
            resample = methods[interpolation]
            if keep_aspect_ratio:
                width, height = img.size
                target_width, target_height = width_height
                crop_height = min(height, (width * target_height) // target_width)
                crop_width = min(width, (height * target_width) // target_height)
                top, left = (height - crop_height) // 2, (width - crop_width) // 2
                box = [left, top, left + crop_width, top + crop_height]
                img = img.resize(width_height, resample, box=box)
            else:
                img = img.resize(width_height, resample)
    return img


def smart_resize(x, size, interpolation: str = "bilinear", data_format: str = "channels_last"):
    """Resize images to `size` without distorting them: the largest centred crop with the
    target's aspect ratio, then a resize (Keras's `smart_resize`, the same crop arithmetic).

    Args:
        x: an image `(height, width, channels)` or a batch `(n, height, width, channels)`
            (channels first with `data_format="channels_first"`).
        size: `(height, width)`.
        interpolation: as `hoarfrost.ops.image.resize` (`"bilinear"`, `"nearest"`, ...).
        data_format: `"channels_last"` or `"channels_first"`.

    Returns:
        A NumPy array for a NumPy input, else a JAX array.
    """
    from hoarfrost.ops._image import resize

    if len(size) != 2:
        raise ValueError(f"Expected `size` to be a tuple of 2 integers, but got: {size}.")
    img = x if hasattr(x, "shape") else np.asarray(x)
    if len(img.shape) < 3 or len(img.shape) > 4:
        raise ValueError("Expected an image array with shape `(height, width, channels)`, or "
                         "`(batch_size, height, width, channels)`, but got input with incorrect "
                         f"rank, of shape {tuple(img.shape)}.")
    if data_format == "channels_last":
        height, width = img.shape[-3], img.shape[-2]
    else:
        height, width = img.shape[-2], img.shape[-1]
    target_height, target_width = size
    crop_height = max(min(height, int(float(width * target_height) / target_width)), 1)
    crop_width = max(min(width, int(float(height * target_width) / target_height)), 1)
    top = int(float(height - crop_height) / 2)
    left = int(float(width - crop_width) / 2)
    rows, cols = slice(top, top + crop_height), slice(left, left + crop_width)
    if data_format == "channels_last":
        img = img[..., rows, cols, :]
    else:
        img = img[..., rows, cols]
    img = resize(img, size=size, interpolation=interpolation, data_format=data_format)
    return np.array(img) if isinstance(x, np.ndarray) else img
