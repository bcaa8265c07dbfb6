"""Archives are checked from their directory before any member is read: zip bombs,
lying sizes, overlapping, duplicated and unknown members are refused by name."""

import struct
import zipfile

import pytest

from hoarfrost.models import load_model
from hoarfrost.saving import archive as archives
from tests.saving.crafting import altered, members, write_zip

GIB = 1 << 30


def _declare_size(path, name: str, size: int) -> None:
    """Make the zip's central directory declare `size` uncompressed bytes for `name`."""
    data = bytearray(path.read_bytes())
    start = data.index(b"PK\x01\x02")
    while True:  # the central directory entry of `name`
        name_length = struct.unpack_from("<H", data, start + 28)[0]
        if data[start + 46:start + 46 + name_length].decode() == name:
            break
        start = data.index(b"PK\x01\x02", start + 4)
    struct.pack_into("<I", data, start + 24, size)
    path.write_bytes(bytes(data))


def _bomb(saved, target):
    """A copy of a saved model whose model.safetensors is deflated and declares ~3.7 GiB."""
    contents = members(saved)
    path = write_zip(target, contents, compression=zipfile.ZIP_DEFLATED)
    _declare_size(path, "model.safetensors", 4_000_000_000)
    return path


def test_a_zip_bomb_is_refused_before_any_member_is_read(saved_model, tmp_path, monkeypatch):
    path, _, _ = saved_model
    bomb = _bomb(path, tmp_path / "bomb.keras")
    assert bomb.stat().st_size < 1 << 20
    with zipfile.ZipFile(bomb) as archive:  # what it claims
        assert archive.getinfo("model.safetensors").file_size > 3 * GIB
    opened = []
    original_open = zipfile.ZipFile.open
    monkeypatch.setattr(zipfile.ZipFile, "open",
                        lambda self, name, *a, **k: opened.append(name)
                        or original_open(self, name, *a, **k))
    with pytest.raises(ValueError, match=r"bomb\.keras', member model\.safetensors: declares "
                                         r"3\.7 GiB .*decompression bomb"):
        load_model(bomb)
    assert opened == []  # refused from the directory alone: nothing was inflated
    with pytest.raises(ValueError, match="decompression bomb"):
        archives.open_archive(bomb)


def test_a_stored_member_declaring_more_than_it_stores_is_refused(saved_model, tmp_path):
    path, _, _ = saved_model
    crafted = altered(path, tmp_path / "lie.keras")
    _declare_size(crafted, "model.safetensors", 2 * GIB)
    with pytest.raises(ValueError, match=r"member model\.safetensors: an uncompressed member "
                                         r"declares 2147483648 bytes"):
        load_model(crafted)


def test_read_member_refuses_more_than_its_bound_before_reading(tmp_path):
    path = write_zip(tmp_path / "a.zip", {"config.json": b"{}" * 100})
    with archives.open_archive(path) as archive:
        with pytest.raises(ValueError, match=r"member config\.json: declares 200 bytes, more "
                                             r"than the 100 bytes"):
            archives.read_member(archive, "config.json", max_bytes=100)
        assert archives.read_member(archive, "config.json") == b"{}" * 100
        with pytest.raises(ValueError, match=r"lacks the member state\.json"):
            archives.read_member(archive, "state.json")


def test_overlapping_and_duplicated_members_are_refused(tmp_path):
    path = write_zip(tmp_path / "dup.zip", {"a": b"1"})
    with zipfile.ZipFile(path, "a") as archive, pytest.warns(UserWarning):
        archive.writestr("a", b"2")
    with pytest.raises(ValueError, match=r"member a: the name appears twice"):
        archives.open_archive(path)
    # Two directory entries pointing at one stored block of data.
    path = write_zip(tmp_path / "overlap.zip", {"a": b"x" * 4000, "b": b"y"})
    data = bytearray(path.read_bytes())
    second = data.index(b"PK\x01\x02", data.index(b"PK\x01\x02") + 4)
    struct.pack_into("<I", data, second + 20, 4000)  # compressed size
    struct.pack_into("<I", data, second + 24, 4000)  # uncompressed size
    struct.pack_into("<I", data, second + 42, 0)     # local header offset: a's
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="overlapping members"):
        archives.open_archive(path)


def test_unsafe_names_are_refused(tmp_path):
    path = write_zip(tmp_path / "names.zip", {"../evil": b"1"})
    with pytest.raises(ValueError, match=r"member \.\./evil: an absolute or parent-relative"):
        archives.open_archive(path)


def test_an_unknown_member_is_refused_by_name(saved_model, tmp_path):
    path, _, _ = saved_model
    crafted = altered(path, tmp_path / "extra.keras", **{"payload.pkl": b"\x80\x04."})
    with pytest.raises(ValueError, match=r"extra\.keras' holds unknown members "
                                         r"\['payload\.pkl'\]"):
        load_model(crafted)


def test_a_file_that_is_not_a_zip_names_itself(tmp_path):
    path = tmp_path / "junk.keras"
    path.write_bytes(b"not a zip at all")
    with pytest.raises(ValueError, match=r"junk\.keras' is not a valid \.keras file"):
        load_model(path)
    with pytest.raises(ValueError, match="is a directory"):
        load_model(tmp_path)
