"""load_img / img_to_array / array_to_img / save_img, with and without Pillow."""

import io

import numpy as np
import pytest

from hoarfrost.data import image_codecs
from hoarfrost.utils import array_to_img, img_to_array, load_img, save_img


@pytest.fixture
def no_pillow(monkeypatch):
    monkeypatch.setattr(image_codecs, "_pil", lambda: None)


def test_img_to_array_layouts():
    grey = np.arange(6, dtype=np.uint8).reshape(2, 3)
    assert img_to_array(grey).shape == (2, 3, 1) and img_to_array(grey).dtype == np.float32
    assert img_to_array(grey, data_format="channels_first").shape == (1, 2, 3)
    rgb = np.zeros((2, 3, 3))
    assert img_to_array(rgb, data_format="channels_first", dtype="uint8").shape == (3, 2, 3)
    with pytest.raises(ValueError, match="data_format=nchw"):
        img_to_array(rgb, data_format="nchw")


def test_save_img_without_pillow_scales_as_keras(tmp_path, no_pillow):
    x = np.linspace(-1.0, 1.0, 12, dtype=np.float32).reshape(2, 2, 3)
    save_img(tmp_path / "a.png", x)
    decoded = image_codecs.decode_png((tmp_path / "a.png").read_bytes())
    expected = ((x - x.min()) / (x.max() - x.min()) * 255).astype(np.uint8)  # array_to_img
    np.testing.assert_array_equal(decoded, expected)
    save_img(tmp_path / "b.bmp", np.full((3, 2, 1), 7.0), scale=False)
    np.testing.assert_array_equal(image_codecs.decode_bmp((tmp_path / "b.bmp").read_bytes()),
                                  np.full((3, 2, 3), 7, np.uint8))
    with pytest.raises(ImportError, match=r"hoarfrost\[image\]"):
        save_img(tmp_path / "c.jpg", x)
    with pytest.raises(ImportError, match="quality"):
        save_img(tmp_path / "d.png", x, quality=90)


def test_load_img_and_array_to_img_need_pillow(tmp_path, no_pillow):
    save_img(tmp_path / "a.png", np.zeros((2, 2, 3)))
    with pytest.raises(ImportError, match=r"load_img.*hoarfrost\[image\]"):
        load_img(tmp_path / "a.png")
    with pytest.raises(ImportError, match="array_to_img"):
        array_to_img(np.zeros((2, 2, 3)))


def test_with_pillow_round_trip_and_keep_aspect_ratio(tmp_path):
    Image = pytest.importorskip("PIL.Image")
    x = np.random.default_rng(0).integers(0, 256, (6, 10, 3)).astype(np.float32)
    save_img(tmp_path / "a.png", x, scale=False)
    img = load_img(tmp_path / "a.png")
    assert isinstance(img, Image.Image) and img.size == (10, 6)
    np.testing.assert_array_equal(img_to_array(img), x)
    grey = load_img(io.BytesIO((tmp_path / "a.png").read_bytes()), color_mode="grayscale")
    assert img_to_array(grey).shape == (6, 10, 1)
    # keep_aspect_ratio: the centred 6x6 crop of the 6x10 image, then resized.
    square = load_img(tmp_path / "a.png", target_size=(3, 3), keep_aspect_ratio=True,
                      interpolation="box")
    expected = x[:, 2:8].reshape(3, 2, 3, 2, 3).mean(axis=(1, 3))
    np.testing.assert_allclose(img_to_array(square), expected, atol=1.0)
    assert array_to_img(np.full((2, 2, 1), 300.0), scale=False).mode == "I"
    assert array_to_img(np.zeros((2, 2, 4))).mode == "RGBA"
    with pytest.raises(ValueError, match="interpolation method cubic"):
        load_img(tmp_path / "a.png", target_size=(3, 3), interpolation="cubic")
