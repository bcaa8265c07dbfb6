"""Reading and writing image files: PNG and BMP in NumPy, JPEG and GIF through Pillow.

PNG and BMP need nothing but NumPy and `zlib`; JPEG and GIF need Pillow
(`pip install hoarfrost[image]`), imported only when such a file is read.
When Pillow is installed it also decodes PNG (it is faster); the pixels are
the same either way.

`decode_image(data, channels)` returns what TensorFlow's
`tf.image.decode_image(data, channels=channels, expand_animations=False)`
returns, which is what Keras's `image_dataset_from_directory` feeds on:
uint8 pixels, 16-bit PNGs reduced to their high byte, transparency (`tRNS`)
turned into an alpha channel, alpha dropped without compositing, and colour
turned grey with libpng's weights (0.299, 0.587, 0.114 in 15-bit fixed point,
truncated) -- except a JPEG, whose grey is its decoded luma, as in TF.
"""

from __future__ import annotations

import struct
import zlib

import numpy as np

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}  # colour type -> samples per pixel
# Adam7 passes: (x start, y start, x step, y step).
_ADAM7 = ((0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2),
          (0, 1, 1, 2))
# libpng's rgb_to_gray coefficients for png_set_rgb_to_gray(png, 1, 0.299, 0.587), as TF calls it.
_GRAY_RED = 29900 * 32768 // 100000
_GRAY_GREEN = 58700 * 32768 // 100000
_GRAY_BLUE = 32768 - _GRAY_RED - _GRAY_GREEN
PILLOW_HINT = "Install Pillow (`pip install hoarfrost[image]`, or `pip install pillow`)"


class ImageDecodeError(ValueError):
    """An image file is malformed, or in a format hoarfrost cannot read without Pillow."""


def _pil():
    try:
        from PIL import Image
    except ImportError:
        return None
    return Image


def image_format(data: bytes) -> str | None:
    """'png', 'bmp', 'jpeg' or 'gif' from the file's first bytes (None if none of them)."""
    if data.startswith(PNG_SIGNATURE):
        return "png"
    if data[:2] == b"BM":
        return "bmp"
    if data[:3] == b"\xff\xd8\xff":
        return "jpeg"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    return None


# --- PNG ---------------------------------------------------------------------------------------
def _paeth_row(raw: bytes, prior: bytes, bpp: int) -> bytearray:
    out = bytearray(raw)
    for i in range(len(out)):
        a = out[i - bpp] if i >= bpp else 0
        b = prior[i]
        c = prior[i - bpp] if i >= bpp else 0
        p = a + b - c
        pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
        predictor = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
        out[i] = (out[i] + predictor) & 0xFF
    return out


def _average_row(raw: bytes, prior: bytes, bpp: int) -> bytearray:
    out = bytearray(raw)
    for i in range(len(out)):
        left = out[i - bpp] if i >= bpp else 0
        out[i] = (out[i] + ((left + prior[i]) >> 1)) & 0xFF
    return out


def _unfilter(data: bytes, height: int, row_bytes: int, bpp: int) -> np.ndarray:
    """Undo PNG's per-row filters; returns `(height, row_bytes)` uint8."""
    expected = height * (row_bytes + 1)
    if len(data) < expected:
        raise ImageDecodeError(f"PNG image data is truncated: {len(data)} bytes, {expected} "
                               "expected.")
    rows = np.frombuffer(data, np.uint8, count=expected).reshape(height, row_bytes + 1)
    out = np.empty((height, row_bytes), np.uint8)
    prior = np.zeros(row_bytes, np.uint8)
    for y in range(height):
        kind, raw = int(rows[y, 0]), rows[y, 1:]
        if kind == 0:
            row = raw
        elif kind == 1:  # Sub: a running sum along each byte lane
            lanes = raw.reshape(-1, bpp).astype(np.uint32)
            row = (np.cumsum(lanes, axis=0) & 0xFF).astype(np.uint8).reshape(-1)
        elif kind == 2:  # Up
            row = raw + prior  # uint8 arithmetic wraps, as the filter does
        elif kind == 3:
            row = np.frombuffer(_average_row(raw.tobytes(), prior.tobytes(), bpp), np.uint8)
        elif kind == 4:
            row = np.frombuffer(_paeth_row(raw.tobytes(), prior.tobytes(), bpp), np.uint8)
        else:
            raise ImageDecodeError(f"PNG row {y} has an unknown filter type {kind}.")
        out[y] = row
        prior = out[y]
    return out


def _unpack(rows: np.ndarray, width: int, samples: int, bit_depth: int) -> np.ndarray:
    """Filtered-free rows of bytes -> `(height, width, samples)` samples (uint8 or uint16)."""
    height = rows.shape[0]
    if bit_depth == 16:
        return rows.view(">u2").astype(np.uint16).reshape(height, width, samples)
    if bit_depth == 8:
        return rows.reshape(height, width, samples)
    shifts = np.arange(8 - bit_depth, -1, -bit_depth, dtype=np.uint8)
    values = (rows[:, :, None] >> shifts) & ((1 << bit_depth) - 1)
    return values.reshape(height, -1)[:, :width * samples].reshape(height, width, samples)


def decode_png(data: bytes) -> np.ndarray:
    """Decode a PNG into `(height, width, channels)`: gray, gray+alpha, RGB or RGBA.

    Palette images become RGB (RGBA with a `tRNS` chunk); a `tRNS` colour
    becomes an alpha channel; grey below 8 bits is scaled to 0-255 (as libpng's
    `expand_gray_1_2_4_to_8`). 16-bit images stay uint16, other uint8.
    """
    if not data.startswith(PNG_SIGNATURE):
        raise ImageDecodeError("Not a PNG file (bad signature).")
    pos, header, palette, transparency, idat = 8, None, None, None, []
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        crc = data[pos + 8 + length:pos + 12 + length]
        if len(body) < length or len(crc) < 4:
            raise ImageDecodeError(f"PNG chunk {kind!r} is truncated.")
        if zlib.crc32(kind + body) != struct.unpack(">I", crc)[0]:
            raise ImageDecodeError(f"PNG chunk {kind.decode('latin-1')} has a bad CRC "
                                   "(corrupt file).")
        pos += 12 + length
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"PLTE":
            palette = np.frombuffer(body, np.uint8).reshape(-1, 3)
        elif kind == b"tRNS":
            transparency = body
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
    if header is None or not idat:
        raise ImageDecodeError("PNG file has no IHDR or no IDAT chunk.")
    width, height, bit_depth, color_type, _, _, interlace = header
    if color_type not in _PNG_CHANNELS or bit_depth not in (1, 2, 4, 8, 16):
        raise ImageDecodeError(f"PNG colour type {color_type} with bit depth {bit_depth} is "
                               "not valid.")
    samples = _PNG_CHANNELS[color_type]
    try:
        raw = zlib.decompress(b"".join(idat))
    except zlib.error as err:
        raise ImageDecodeError(f"PNG image data is corrupt ({err}).") from err
    bits = samples * bit_depth
    bpp = max(1, bits // 8)

    def pass_pixels(block: bytes, w: int, h: int) -> tuple[np.ndarray, int]:
        row_bytes = (w * bits + 7) // 8
        rows = _unfilter(block, h, row_bytes, bpp)
        return _unpack(rows, w, samples, bit_depth), h * (row_bytes + 1)

    if interlace == 0:
        pixels, _ = pass_pixels(raw, width, height)
    else:
        pixels = np.zeros((height, width, samples), np.uint16 if bit_depth == 16 else np.uint8)
        offset = 0
        for x0, y0, dx, dy in _ADAM7:
            w, h = -(-(width - x0) // dx), -(-(height - y0) // dy)
            if w <= 0 or h <= 0:
                continue
            part, used = pass_pixels(raw[offset:], w, h)
            pixels[y0::dy, x0::dx] = part
            offset += used
    if color_type == 3:
        if palette is None:
            raise ImageDecodeError("PNG palette image has no PLTE chunk.")
        index = pixels[..., 0]
        if index.size and int(index.max()) >= len(palette):
            raise ImageDecodeError("PNG palette index out of range.")
        if transparency is not None:
            alpha = np.full(len(palette), 255, np.uint8)
            alpha[:len(transparency)] = np.frombuffer(transparency, np.uint8)[:len(palette)]
            return np.concatenate([palette, alpha[:, None]], axis=1)[index]
        return palette[index]
    if color_type == 0 and bit_depth < 8:
        pixels = (pixels * (255 // ((1 << bit_depth) - 1))).astype(np.uint8)
    if transparency is not None and color_type in (0, 2):
        key = np.frombuffer(transparency, ">u2").astype(np.int64)
        if color_type == 0 and bit_depth < 8:
            key = key * (255 // ((1 << bit_depth) - 1))
        opaque = np.any(pixels != key[:samples], axis=-1)
        top = 65535 if bit_depth == 16 else 255
        alpha = np.where(opaque, top, 0).astype(pixels.dtype)
        pixels = np.concatenate([pixels, alpha[..., None]], axis=-1)
    return pixels


def _filter_rows(rows: np.ndarray, bpp: int, filter_type: int) -> np.ndarray:
    """Apply one PNG filter to every row (all filters read original bytes: vectorised)."""
    x = rows.astype(np.int32)
    left = np.zeros_like(x)
    left[:, bpp:] = x[:, :-bpp]
    up = np.zeros_like(x)
    up[1:] = x[:-1]
    upleft = np.zeros_like(x)
    upleft[1:, bpp:] = x[:-1, :-bpp]
    if filter_type == 0:
        predictor = np.zeros_like(x)
    elif filter_type == 1:
        predictor = left
    elif filter_type == 2:
        predictor = up
    elif filter_type == 3:
        predictor = (left + up) >> 1
    elif filter_type == 4:
        p = left + up - upleft
        pa, pb, pc = np.abs(p - left), np.abs(p - up), np.abs(p - upleft)
        predictor = np.where((pa <= pb) & (pa <= pc), left, np.where(pb <= pc, up, upleft))
    else:
        raise ValueError(f"PNG filter_type must be 0-4, got {filter_type}.")
    return ((x - predictor) & 0xFF).astype(np.uint8)


def encode_png(pixels: np.ndarray, filter_type: int = 2, compress_level: int = 6) -> bytes:
    """Encode `(height, width[, channels])` uint8 or uint16 pixels as a PNG.

    Args:
        pixels: 1 (grey), 2 (grey+alpha), 3 (RGB) or 4 (RGBA) channels.
        filter_type: the PNG row filter (0 none, 1 sub, 2 up, 3 average, 4 paeth).
        compress_level: zlib level, 0-9.
    """
    pixels = np.asarray(pixels)
    if pixels.ndim == 2:
        pixels = pixels[..., None]
    if pixels.ndim != 3 or pixels.shape[-1] not in (1, 2, 3, 4):
        raise ValueError(f"encode_png expects (height, width, 1-4 channels), got {pixels.shape}.")
    if pixels.dtype not in (np.uint8, np.uint16):
        raise ValueError(f"encode_png expects uint8 or uint16 pixels, got {pixels.dtype}.")
    height, width, channels = pixels.shape
    bit_depth = 16 if pixels.dtype == np.uint16 else 8
    color_type = {1: 0, 2: 4, 3: 2, 4: 6}[channels]
    data = pixels.astype(">u2").view(np.uint8) if bit_depth == 16 else pixels
    rows = np.ascontiguousarray(data).reshape(height, -1)
    filtered = _filter_rows(rows, channels * bit_depth // 8, filter_type)
    stream = np.concatenate([np.full((height, 1), filter_type, np.uint8), filtered], axis=1)

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body)))

    header = struct.pack(">IIBBBBB", width, height, bit_depth, color_type, 0, 0, 0)
    return (PNG_SIGNATURE + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(stream.tobytes(), compress_level))
            + chunk(b"IEND", b""))


# --- BMP ---------------------------------------------------------------------------------------
def decode_bmp(data: bytes) -> np.ndarray:
    """Decode an uncompressed BMP (1/4/8-bit palette, 24-bit, 32-bit) to RGB or RGBA uint8.

    A 32-bit BMP's fourth byte is its alpha, as TensorFlow reads it.
    """
    if len(data) < 26 or data[:2] != b"BM":
        raise ImageDecodeError("Not a BMP file (bad signature).")
    offset, header_size = struct.unpack("<I", data[10:14])[0], struct.unpack("<I", data[14:18])[0]
    if header_size == 12:  # OS/2 BITMAPCOREHEADER
        width, height, _, bpp = struct.unpack("<hhHH", data[18:26])
        compression, colors, entry = 0, 0, 3
    elif header_size >= 40 and len(data) >= 54:
        width, height, _, bpp, compression = struct.unpack("<iiHHI", data[18:34])
        colors, entry = struct.unpack("<I", data[46:50])[0], 4
    else:
        raise ImageDecodeError(f"BMP header of size {header_size} is not supported.")
    masks = None
    if compression == 3 and bpp == 32:  # BI_BITFIELDS
        masks = struct.unpack("<III", data[54:66])  # after a 40-byte header, or inside V4/V5
        if masks != (0x00FF0000, 0x0000FF00, 0x000000FF):
            raise ImageDecodeError(f"BMP bit fields {[hex(m) for m in masks]} are not supported."
                                   f" {PILLOW_HINT} to read it.")
    elif compression != 0:
        raise ImageDecodeError(f"Compressed BMP (compression {compression}) is not supported. "
                               f"{PILLOW_HINT} to read it.")
    if bpp not in (1, 4, 8, 24, 32):
        raise ImageDecodeError(f"{bpp}-bit BMP is not supported. {PILLOW_HINT} to read it.")
    top_down = height < 0
    height, width = abs(height), abs(width)
    stride = ((width * bpp + 31) // 32) * 4
    if len(data) < offset + stride * height:
        raise ImageDecodeError("BMP pixel data is truncated.")
    rows = np.frombuffer(data, np.uint8, count=stride * height, offset=offset)
    rows = rows.reshape(height, stride)
    if not top_down:
        rows = rows[::-1]
    if bpp >= 24:
        step = bpp // 8
        pixels = rows[:, :width * step].reshape(height, width, step)
        rgb = pixels[..., 2::-1]
        if bpp == 32 and masks is None:
            return np.concatenate([rgb, pixels[..., 3:4]], axis=-1)
        return np.ascontiguousarray(rgb)
    count = colors or (1 << bpp)
    table_start = 14 + header_size
    table = np.frombuffer(data, np.uint8, count=count * entry, offset=table_start)
    palette = table.reshape(count, entry)[:, 2::-1]
    shifts = np.arange(8 - bpp, -1, -bpp, dtype=np.uint8)
    index = ((rows[:, :, None] >> shifts) & ((1 << bpp) - 1)).reshape(height, -1)[:, :width]
    if index.size and int(index.max()) >= count:
        raise ImageDecodeError("BMP palette index out of range.")
    return palette[index]


def encode_bmp(pixels: np.ndarray) -> bytes:
    """Encode `(height, width, 3 or 4)` uint8 pixels as a 24- or 32-bit bottom-up BMP."""
    pixels = np.asarray(pixels)
    if pixels.ndim != 3 or pixels.shape[-1] not in (3, 4) or pixels.dtype != np.uint8:
        raise ValueError(f"encode_bmp expects uint8 (height, width, 3 or 4), got "
                         f"{pixels.dtype} {pixels.shape}.")
    height, width, channels = pixels.shape
    stride = ((width * channels * 8 + 31) // 32) * 4
    bgr = pixels[..., [2, 1, 0, 3][:channels]][::-1].reshape(height, -1)
    rows = np.zeros((height, stride), np.uint8)
    rows[:, :bgr.shape[1]] = bgr
    body = rows.tobytes()
    header = struct.pack("<2sIHHI", b"BM", 54 + len(body), 0, 0, 54)
    info = struct.pack("<IiiHHIIiiII", 40, width, height, 1, channels * 8, 0, len(body), 2835,
                       2835, 0, 0)
    return header + info + body


# --- through Pillow ----------------------------------------------------------------------------
def _decode_with_pillow(data: bytes, kind: str, channels: int) -> np.ndarray:
    import io
    Image = _pil()
    if Image is None:
        raise ImageDecodeError(f"Reading {kind.upper()} images needs Pillow. {PILLOW_HINT}.")
    try:
        img = Image.open(io.BytesIO(data))
        if kind == "jpeg" and channels == 1:
            img.draft("L", img.size)  # libjpeg's own grey output (the luma), as TF's decoder
        img.load()
    except Exception as err:  # Pillow raises many kinds for a bad file
        raise ImageDecodeError(f"Could not decode the {kind.upper()} image: {err}") from err
    if img.mode in ("I;16", "I;16B", "I;16L", "I"):
        return (np.asarray(img).astype(np.uint32) >> 8).astype(np.uint8)[..., None]
    if img.mode == "1":
        img = img.convert("L")
    if img.mode in ("P", "PA") or (kind == "png" and "transparency" in img.info
                                   and img.mode in ("L", "RGB")):
        img = img.convert("RGBA" if "transparency" in img.info or img.mode == "PA" else "RGB")
    if img.mode not in ("L", "LA", "RGB", "RGBA"):
        img = img.convert("RGB")
    pixels = np.asarray(img)
    return pixels[..., None] if pixels.ndim == 2 else pixels


def decode_pixels(data: bytes, channels: int = 0) -> np.ndarray:
    """Decode any supported image to its own channels (1-4), uint8 (16-bit PNG: uint16)."""
    kind = image_format(data)
    if kind is None:
        raise ImageDecodeError("Unknown image format: the file is not a PNG, BMP, JPEG or GIF "
                               f"(it starts with {data[:8]!r}).")
    if kind in ("jpeg", "gif"):
        return _decode_with_pillow(data, kind, channels)
    if kind == "png":
        # Pillow is faster; 16-bit files stay here, so grey is computed before the high byte.
        if _pil() is not None and not _png_is_16_bit(data):
            return _decode_with_pillow(data, kind, channels)
        return decode_png(data)
    try:
        return decode_bmp(data)
    except ImageDecodeError:
        if _pil() is None:
            raise
        return _decode_with_pillow(data, kind, channels)


def _png_is_16_bit(data: bytes) -> bool:
    return len(data) > 24 and data[24] == 16


def _to_gray(rgb: np.ndarray) -> np.ndarray:
    r, g, b = (rgb[..., i].astype(np.int64) for i in range(3))
    if rgb.dtype == np.uint16:
        return (_GRAY_RED * r + _GRAY_GREEN * g + _GRAY_BLUE * b + 16384) >> 15
    return (_GRAY_RED * r + _GRAY_GREEN * g + _GRAY_BLUE * b) >> 15


def convert_channels(pixels: np.ndarray, channels: int) -> np.ndarray:
    """`(h, w, 1-4)` pixels to `channels` (1, 3 or 4) as libpng does for TensorFlow; uint8 out."""
    have = pixels.shape[-1]
    color = pixels[..., :3] if have >= 3 else None
    gray = pixels[..., :1] if have <= 2 else None
    alpha = pixels[..., have - 1:] if have in (2, 4) else None
    if channels == 1:
        out = gray if gray is not None else _to_gray(color)[..., None].astype(pixels.dtype)
    elif channels in (3, 4):
        out = color if color is not None else np.repeat(gray, 3, axis=-1)
        if channels == 4:
            if alpha is None:
                top = 65535 if pixels.dtype == np.uint16 else 255
                alpha = np.full(out.shape[:-1] + (1,), top, pixels.dtype)
            out = np.concatenate([out, alpha], axis=-1)
    else:
        raise ValueError(f"channels must be 1, 3 or 4, got {channels}.")
    if out.dtype == np.uint16:
        out = out >> 8  # libpng's strip_16 keeps the high byte
    return np.ascontiguousarray(out, dtype=np.uint8)


def decode_image(data: bytes, channels: int) -> np.ndarray:
    """`tf.image.decode_image(data, channels, expand_animations=False)`, uint8 (h, w, c)."""
    return convert_channels(decode_pixels(data, channels), channels)
