"""Resizing equals `tf.image.resize` (antialias off) for every interpolation Keras offers."""

import json
from pathlib import Path

import numpy as np
import pytest

from hoarfrost.data import resize

FIXTURE = np.load(Path(__file__).parent / "fixtures" / "keras_resize.npz")
CASES = json.loads(str(FIXTURE["meta"]))


@pytest.mark.parametrize("case", [c for c in CASES if not c.get("pad")],
                         ids=lambda c: c["key"])
def test_resize_equals_tensorflow(case):
    image = FIXTURE[f"input_{case['input']}"]
    out = resize.resize(image, case["size"], case["method"])
    expected = FIXTURE[case["key"]]
    assert out.shape == expected.shape and out.dtype == np.float32
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=2e-4)


def test_resize_batch_equals_each_image():
    image = FIXTURE["input_1"]
    batch = np.stack([image, image[::-1]])
    out = resize.resize(batch, (4, 4), "bicubic")
    np.testing.assert_allclose(out[0], FIXTURE["1/bicubic"], rtol=1e-5, atol=2e-4)
    np.testing.assert_allclose(out[1], resize.resize(image[::-1], (4, 4), "bicubic"), atol=1e-5)


def test_nearest_keeps_uint8_as_tensorflow():
    out = resize.resize(FIXTURE["input_uint8"], (4, 5), "nearest")
    assert out.dtype == np.uint8
    np.testing.assert_array_equal(out, FIXTURE["uint8/nearest"])


@pytest.mark.parametrize("case", [c for c in CASES if c.get("pad")], ids=lambda c: c["key"])
def test_resize_with_pad_equals_tensorflow(case):
    out = resize.resize_with_pad(FIXTURE["input_uint8"], case["size"], case["method"])
    expected = FIXTURE[case["key"]]
    assert out.shape == expected.shape and out.dtype == expected.dtype
    np.testing.assert_allclose(out.astype(np.float32), expected, rtol=1e-5, atol=2e-4)


def test_crop_to_aspect_ratio_takes_the_centre():
    image = np.arange(6 * 10).reshape(6, 10, 1)
    crop = resize.crop_to_aspect_ratio(image, (3, 3))  # 6x6 out of 6x10, centred
    np.testing.assert_array_equal(crop, image[:, 2:8])
    assert resize.crop_to_aspect_ratio(image, (1, 10)).shape[:2] == (1, 10)


def test_unknown_interpolation_is_named():
    with pytest.raises(ValueError, match="interpolation=cubic"):
        resize.resize(np.zeros((2, 2, 1)), (3, 3), "cubic")
