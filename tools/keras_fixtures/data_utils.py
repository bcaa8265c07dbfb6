"""Keras fixtures for hoarfrost's data utilities (`hoarfrost.data`, `hoarfrost.utils`).

Run from this folder (needs Keras 3 and TensorFlow, as Keras's data utilities do):

    cd tools/keras_fixtures && KERAS_BACKEND=jax ../../.venv-keras/bin/python data_utils.py

Writes, under tests/data/fixtures/:

- keras_resize.npz: `tf.image.resize` (antialias off, as Keras calls it) for every
  interpolation on a few shapes, and `tf.image.resize_with_pad`.
- keras_image_dir.npz: the bytes of a small image directory (PNG of every colour
  type TF writes, 16-bit PNG, BMP, JPEG, a nested folder, files Keras ignores) and
  what `keras.utils.image_dataset_from_directory` yields for it under several
  settings: file paths, class names and every batch.
- keras_text_audio.npz: the same for `text_dataset_from_directory` and
  `audio_dataset_from_directory` (16-bit WAV written here).
- keras_timeseries_split.npz: `timeseries_dataset_from_array` windows and
  `split_dataset` splits.

File bytes are stored as `file_<i>` uint8 arrays with their relative paths in
`file_names` (JSON); results as `<case>/<what>` arrays, JSON metadata in `meta`.
"""

from __future__ import annotations

import io
import json
import os
import struct
import tempfile
import wave
from pathlib import Path

import numpy as np

os.environ.setdefault("KERAS_BACKEND", "jax")
import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

OUT = Path(__file__).resolve().parents[2] / "tests" / "data" / "fixtures"
rng = np.random.default_rng(0)


def u8(*shape):
    return rng.integers(0, 256, size=shape).astype(np.uint8)


def bmp24(img: np.ndarray) -> bytes:
    h, w, _ = img.shape
    row = (w * 3 + 3) & ~3
    data = b"".join(img[y, :, ::-1].tobytes().ljust(row, b"\0") for y in range(h - 1, -1, -1))
    header = struct.pack("<2sIHHI", b"BM", 54 + len(data), 0, 0, 54)
    info = struct.pack("<IiiHHIIiiII", 40, w, h, 1, 24, 0, len(data), 2835, 2835, 0, 0)
    return header + info + data


def wav16(samples: np.ndarray, rate: int = 8000) -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as f:
        f.setnchannels(samples.shape[1])
        f.setsampwidth(2)
        f.setframerate(rate)
        f.writeframes(samples.astype("<i2").tobytes())
    return buf.getvalue()


def write_tree(root: str, files: dict[str, bytes]) -> None:
    for name, data in files.items():
        path = os.path.join(root, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)


def store_files(data: dict, files: dict[str, bytes]) -> None:
    names = sorted(files)
    data["file_names"] = np.array(json.dumps(names))
    for i, name in enumerate(names):
        data[f"file_{i}"] = np.frombuffer(files[name], np.uint8)


def relative(paths, root):
    return [os.path.relpath(p, root) for p in paths]


def to_numpy(x):
    if isinstance(x, tf.Tensor):
        x = x.numpy()
    return np.asarray(x)


def record_batches(data: dict, case: str, ds) -> None:
    count = 0
    for i, batch in enumerate(ds):
        parts = batch if isinstance(batch, tuple) else (batch,)
        for j, part in enumerate(parts):
            value = to_numpy(part)
            if value.dtype == object or value.dtype.kind == "S":  # strings
                value = np.array([v.decode("utf-8") for v in np.ravel(value)]).reshape(
                    value.shape)
            data[f"{case}/batch_{i}_{j}"] = value
        count = i + 1
    data[f"{case}/num_batches"] = np.array(count)


# --- resize ----------------------------------------------------------------------------------
def resize_fixture() -> None:
    data, cases = {}, []
    shapes = [((7, 9, 2), (5, 13)), ((12, 10, 3), (4, 4)), ((3, 5, 1), (8, 8)),
              ((16, 16, 1), (16, 16)), ((9, 31, 2), (4, 7))]
    methods = ["bilinear", "nearest", "bicubic", "area", "lanczos3", "lanczos5", "gaussian",
               "mitchellcubic"]
    for i, (shape, size) in enumerate(shapes):
        image = (rng.random(shape) * 255).astype(np.float32)
        data[f"input_{i}"] = image
        for method in methods:
            name = f"{i}/{method}"
            data[name] = tf.image.resize(image, size, method=method).numpy()
            cases.append({"input": i, "size": size, "method": method, "key": name})
    image = u8(6, 11, 3)
    data["input_uint8"] = image
    data["uint8/nearest"] = tf.image.resize(image, (4, 5), method="nearest").numpy()
    for i, (size, method) in enumerate([((8, 8), "bilinear"), ((5, 20), "bicubic"),
                                        ((9, 4), "nearest"), ((3, 3), "area")]):
        data[f"pad_{i}"] = tf.image.resize_with_pad(image, size[0], size[1],
                                                    method=method).numpy()
        cases.append({"pad": True, "size": size, "method": method, "key": f"pad_{i}"})
    data["meta"] = np.array(json.dumps(cases))
    OUT.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(OUT / "keras_resize.npz", **data)
    print("wrote", OUT / "keras_resize.npz")


# --- image directory -------------------------------------------------------------------------
def image_files() -> dict[str, bytes]:
    gradient = (np.add.outer(np.arange(9), np.arange(7))[..., None] * [9, 5, 3]).astype(np.uint8)
    rgba = np.concatenate([u8(5, 8, 3), u8(5, 8, 1)], axis=-1)
    return {
        "a/img_0.png": tf.io.encode_png(u8(6, 5, 3)).numpy(),
        "a/img_1.png": tf.io.encode_png(rgba).numpy(),
        "a/IMG_2.PNG": tf.io.encode_png(gradient).numpy(),
        "a/nested/deep.png": tf.io.encode_png(u8(4, 4, 1)).numpy(),
        "a/notes.txt": b"not an image",
        "b/photo.jpg": tf.io.encode_jpeg(np.repeat(np.repeat(u8(4, 5, 3), 3, 0), 3, 1)).numpy(),
        "b/pic.bmp": bmp24(u8(7, 6, 3)),
        "c/gray16.png": tf.io.encode_png(rng.integers(0, 65536, (8, 3, 1)).astype(
            np.uint16)).numpy(),
        "c/gray_alpha.png": tf.io.encode_png(u8(3, 7, 2)).numpy(),
        "c/wide.png": tf.io.encode_png(u8(4, 12, 3)).numpy(),
        ".hidden/skip.png": tf.io.encode_png(u8(2, 2, 3)).numpy(),
    }


def image_dir_fixture() -> None:
    data, meta = {}, {}
    files = image_files()
    store_files(data, files)
    with tempfile.TemporaryDirectory() as root:
        write_tree(root, files)
        cases = {
            "rgb_int": dict(image_size=(6, 5), batch_size=4),
            "gray_categorical_bicubic": dict(image_size=(4, 6), color_mode="grayscale",
                                             label_mode="categorical", interpolation="bicubic",
                                             class_names=["a", "c"], batch_size=3),
            "rgba_binary_crop_area": dict(image_size=(5, 5), color_mode="rgba",
                                          label_mode="binary", interpolation="area",
                                          crop_to_aspect_ratio=True, class_names=["c", "a"],
                                          batch_size=8),
            "pad_nearest": dict(image_size=(7, 4), pad_to_aspect_ratio=True,
                                interpolation="nearest", batch_size=5),
            "crop_lanczos3_unbatched": dict(image_size=(3, 8), crop_to_aspect_ratio=True,
                                            interpolation="lanczos3", batch_size=None),
            "no_labels": dict(image_size=(2, 2), label_mode=None, batch_size=10),
            "explicit_labels": dict(image_size=(2, 3), labels=[3, 1, 1, 0, 3, 1, 0, 0, 3, 1],
                                    batch_size=9),
        }
        for case, kwargs in cases.items():
            ds = keras.utils.image_dataset_from_directory(root, shuffle=False, **kwargs)
            meta[case] = {"kwargs": kwargs, "class_names": ds.class_names,
                          "file_paths": relative(ds.file_paths, root)}
            record_batches(data, case, ds)
        for seed in (7, 1337):
            train, val = keras.utils.image_dataset_from_directory(
                root, image_size=(3, 3), validation_split=0.3, subset="both", seed=seed,
                batch_size=2)
            meta[f"split_{seed}"] = {"train": relative(train.file_paths, root),
                                     "val": relative(val.file_paths, root),
                                     "class_names": train.class_names,
                                     "cardinality": [int(train.cardinality()),
                                                     int(val.cardinality())]}
    data["meta"] = np.array(json.dumps(meta))
    np.savez_compressed(OUT / "keras_image_dir.npz", **data)
    print("wrote", OUT / "keras_image_dir.npz")


# --- text and audio --------------------------------------------------------------------------
def text_audio_fixture() -> None:
    data, meta = {}, {}
    texts = {"neg/0.txt": "bad movie", "neg/1.txt": "never\r\nagain", "neg/2.txt": "",
             "pos/a.txt": "great fun, would watch again", "pos/b.txt": "loved it",
             "pos/c.TXT": "upper-case extension", "pos/skip.md": "ignored"}
    sounds = {"x/short.wav": wav16(rng.integers(-32768, 32767, (5, 1))),
              "x/long.wav": wav16(rng.integers(-32768, 32767, (11, 1))),
              "y/mid.wav": wav16(rng.integers(-32768, 32767, (8, 1))),
              "y/stereo.wav": wav16(rng.integers(-32768, 32767, (6, 2))),
              "y/readme.txt": b"ignored"}
    files = {f"text/{k}": v.encode() for k, v in texts.items()}
    files.update({f"audio/{k}": v for k, v in sounds.items()})
    store_files(data, files)
    with tempfile.TemporaryDirectory() as root:
        write_tree(root, files)
        text_root, audio_root = os.path.join(root, "text"), os.path.join(root, "audio")
        for case, kwargs in {"text_int": dict(batch_size=2),
                             "text_binary_max5": dict(label_mode="binary", max_length=5,
                                                      batch_size=4),
                             "text_unbatched": dict(batch_size=None, label_mode=None)}.items():
            ds = keras.utils.text_dataset_from_directory(text_root, shuffle=False, **kwargs)
            meta[case] = {"kwargs": kwargs, "class_names": ds.class_names}
            record_batches(data, case, ds)
        train, val = keras.utils.text_dataset_from_directory(
            text_root, validation_split=0.4, subset="both", seed=11, batch_size=None)
        meta["text_split"] = {"train": sorted(t.numpy().decode() for t, _ in train),
                              "val": sorted(t.numpy().decode() for t, _ in val)}
        for case, kwargs in {"audio_padded": dict(batch_size=3),
                             "audio_fixed_categorical": dict(output_sequence_length=7,
                                                             label_mode="categorical",
                                                             batch_size=1)}.items():
            ds = keras.utils.audio_dataset_from_directory(audio_root, shuffle=False, **kwargs)
            meta[case] = {"kwargs": kwargs, "class_names": ds.class_names}
            record_batches(data, case, ds)
    data["meta"] = np.array(json.dumps(meta))
    np.savez_compressed(OUT / "keras_text_audio.npz", **data)
    print("wrote", OUT / "keras_text_audio.npz")


# --- timeseries and split_dataset ------------------------------------------------------------
def timeseries_split_fixture() -> None:
    data, meta = {}, {}
    series = np.arange(100, dtype=np.float64).reshape(50, 2)
    targets = np.arange(50) * 10
    data["series"], data["targets"] = series, targets
    cases = {
        "ts_basic": dict(targets=True, sequence_length=5, batch_size=4),
        "ts_stride_rate_range": dict(targets=True, sequence_length=4, sequence_stride=3,
                                     sampling_rate=2, start_index=3, end_index=40,
                                     batch_size=5),
        "ts_no_targets_unbatched": dict(targets=False, sequence_length=10, sequence_stride=7,
                                        batch_size=None),
    }
    for case, kwargs in cases.items():
        kwargs = dict(kwargs)
        use_targets = kwargs.pop("targets")
        ds = keras.utils.timeseries_dataset_from_array(series, targets if use_targets else None,
                                                       **kwargs)
        meta[case] = dict(kwargs, targets=use_targets)
        record_batches(data, case, ds)
    x = np.arange(30).reshape(10, 3)
    y = np.arange(10) * 7
    splits = {
        "split_array_shuffled": (x, dict(left_size=0.3, shuffle=True, seed=5)),
        "split_tuple_ints": ((x, y), dict(left_size=4, right_size=3, shuffle=True, seed=2)),
        "split_right_only": ((x, y), dict(right_size=0.25)),
    }
    for case, (dataset, kwargs) in splits.items():
        left, right = keras.utils.split_dataset(dataset, **kwargs)
        meta[case] = kwargs
        record_batches(data, f"{case}/left", left)
        record_batches(data, f"{case}/right", right)
    left, right = keras.utils.split_dataset(tf.data.Dataset.from_tensor_slices(x).batch(3),
                                            left_size=0.5, shuffle=True, seed=9)
    meta["split_batched_dataset"] = {"left_size": 0.5, "shuffle": True, "seed": 9,
                                     "batch": 3}
    record_batches(data, "split_batched_dataset/left", left)
    record_batches(data, "split_batched_dataset/right", right)
    data["meta"] = np.array(json.dumps(meta))
    np.savez_compressed(OUT / "keras_timeseries_split.npz", **data)
    print("wrote", OUT / "keras_timeseries_split.npz")


if __name__ == "__main__":
    resize_fixture()
    image_dir_fixture()
    text_audio_fixture()
    timeseries_split_fixture()
