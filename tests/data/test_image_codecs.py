"""PNG and BMP decoding in NumPy; channel conversion as TensorFlow's decoder; Pillow optional."""

import io
import struct
import zlib

import numpy as np
import pytest

from hoarfrost.data import image_codecs as codecs

rng = np.random.default_rng(0)


def _image(height, width, channels, dtype=np.uint8):
    top = np.iinfo(dtype).max
    ramp = np.add.outer(np.arange(height), np.arange(width))[..., None] * (
        np.arange(channels) + 1) * 7
    noise = rng.integers(0, 9, (height, width, channels))
    return ((ramp + noise) % (top + 1)).astype(dtype)


@pytest.mark.parametrize("channels", [1, 2, 3, 4])
@pytest.mark.parametrize("filter_type", [0, 1, 2, 3, 4])
def test_png_round_trip_every_filter_and_colour_type(channels, filter_type):
    image = _image(9, 13, channels)
    assert np.array_equal(codecs.decode_png(codecs.encode_png(image, filter_type)), image)


def test_png_16_bit_round_trip():
    image = _image(5, 7, 3, np.uint16)
    decoded = codecs.decode_png(codecs.encode_png(image, filter_type=4))
    assert decoded.dtype == np.uint16 and np.array_equal(decoded, image)


def _chunk(kind, body):
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _png(width, height, bit_depth, color_type, stream, interlace=0, extra=b""):
    header = struct.pack(">IIBBBBB", width, height, bit_depth, color_type, 0, 0, interlace)
    return (codecs.PNG_SIGNATURE + _chunk(b"IHDR", header) + extra
            + _chunk(b"IDAT", zlib.compress(stream)) + _chunk(b"IEND", b""))


def test_png_adam7_interlaced():
    image = _image(11, 10, 3)
    stream = b""
    for x0, y0, dx, dy in codecs._ADAM7:
        part = image[y0::dy, x0::dx]
        if part.size:
            rows = part.reshape(part.shape[0], -1)
            filtered = codecs._filter_rows(rows, 3, 4)
            stream += np.concatenate([np.full((len(rows), 1), 4, np.uint8), filtered], 1).tobytes()
    assert np.array_equal(codecs.decode_png(_png(10, 11, 8, 2, stream, interlace=1)), image)


@pytest.mark.parametrize("bit_depth", [1, 2, 4])
def test_png_low_bit_grey_is_scaled_to_255(bit_depth):
    levels = rng.integers(0, 1 << bit_depth, (3, 7))
    per_byte = 8 // bit_depth
    padded = np.zeros((3, -(-7 // per_byte) * per_byte), np.uint8)
    padded[:, :7] = levels
    packed = np.zeros((3, padded.shape[1] // per_byte), np.uint8)
    for k in range(per_byte):
        packed |= (padded[:, k::per_byte] << (8 - bit_depth * (k + 1))).astype(np.uint8)
    stream = np.concatenate([np.zeros((3, 1), np.uint8), packed], 1).tobytes()
    out = codecs.decode_png(_png(7, 3, bit_depth, 0, stream))
    np.testing.assert_array_equal(out[..., 0], levels * (255 // ((1 << bit_depth) - 1)))


def test_png_palette_with_transparency_becomes_rgba():
    palette = np.array([[10, 20, 30], [200, 100, 0], [1, 2, 3]], np.uint8)
    index = np.array([[0, 1, 2], [2, 1, 0]], np.uint8)
    stream = np.concatenate([np.zeros((2, 1), np.uint8), index], 1).tobytes()
    extra = _chunk(b"PLTE", palette.tobytes()) + _chunk(b"tRNS", bytes([0, 128]))
    out = codecs.decode_png(_png(3, 2, 8, 3, stream, extra=extra))
    np.testing.assert_array_equal(out[..., :3], palette[index])
    np.testing.assert_array_equal(out[..., 3], np.array([0, 128, 255], np.uint8)[index])


def test_png_rgb_transparent_colour_becomes_alpha():
    image = np.array([[[1, 2, 3], [4, 5, 6]]], np.uint8)
    stream = np.concatenate([np.zeros((1, 1), np.uint8), image.reshape(1, -1)], 1).tobytes()
    extra = _chunk(b"tRNS", struct.pack(">HHH", 4, 5, 6))
    out = codecs.decode_png(_png(2, 1, 8, 2, stream, extra=extra))
    np.testing.assert_array_equal(out[0, :, 3], [255, 0])


def test_corrupt_png_is_named():
    data = bytearray(codecs.encode_png(_image(3, 3, 3)))
    data[40] ^= 0xFF  # inside IDAT: its CRC no longer matches
    with pytest.raises(codecs.ImageDecodeError, match="CRC"):
        codecs.decode_png(bytes(data))
    with pytest.raises(codecs.ImageDecodeError, match="Unknown image format"):
        codecs.decode_image(b"GIF00 nonsense", 3)


def test_bmp_24_and_32_bit_round_trip():
    rgb, rgba = _image(5, 7, 3), _image(4, 3, 4)
    assert np.array_equal(codecs.decode_bmp(codecs.encode_bmp(rgb)), rgb)
    assert np.array_equal(codecs.decode_bmp(codecs.encode_bmp(rgba)), rgba)  # 4th byte = alpha


def test_grey_and_alpha_conversions_follow_libpng_as_tensorflow():
    # Values TensorFlow's decode_png(channels=1) returned for these RGB pixels.
    rgb = np.array([[[255, 0, 0], [0, 255, 0], [0, 0, 255], [10, 200, 33]]], np.uint8)
    np.testing.assert_array_equal(codecs.convert_channels(rgb, 1)[0, :, 0], [76, 149, 29, 124])
    rgba = np.concatenate([rgb, np.full((1, 4, 1), 9, np.uint8)], -1)
    np.testing.assert_array_equal(codecs.convert_channels(rgba, 3), rgb)  # alpha dropped
    grey = np.array([[[7], [250]]], np.uint8)
    np.testing.assert_array_equal(codecs.convert_channels(grey, 4)[0],
                                  [[7, 7, 7, 255], [250, 250, 250, 255]])
    deep = np.array([[[0x1234, 0xFFFF, 0x00FF]]], np.uint16)
    np.testing.assert_array_equal(codecs.convert_channels(deep, 3), [[[0x12, 0xFF, 0x00]]])


def test_jpeg_without_pillow_names_the_extra(monkeypatch):
    monkeypatch.setattr(codecs, "_pil", lambda: None)
    with pytest.raises(codecs.ImageDecodeError, match=r"hoarfrost\[image\]"):
        codecs.decode_image(b"\xff\xd8\xff\xe0" + b"\0" * 20, 3)


def test_pillow_and_numpy_decoders_agree():
    Image = pytest.importorskip("PIL.Image")
    image = _image(6, 9, 3)
    for mode in ("RGB", "RGBA", "L", "LA", "P", "1"):
        buffer = io.BytesIO()
        Image.fromarray(image).convert(mode).save(buffer, "PNG", optimize=True)
        data = buffer.getvalue()
        assert np.array_equal(codecs._decode_with_pillow(data, "png", 3), codecs.decode_png(data))
    for mode in ("RGB", "P", "L", "1"):
        buffer = io.BytesIO()
        Image.fromarray(image).convert(mode).save(buffer, "BMP")
        pillow = np.asarray(Image.open(io.BytesIO(buffer.getvalue())).convert("RGB"))
        assert np.array_equal(codecs.decode_bmp(buffer.getvalue()), pillow)
