"""Archives are checked from their directory before any member is read: zip bombs,
lying sizes, overlapping, duplicated and unknown members are refused by name, in the
Keras-layout files `save()` writes as in hoarfrost's first format."""

import struct
import zipfile

import numpy as np
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


# (the fixture, the weights member): the Keras layout save() writes, and format 1
FILES = [("saved_model", "model.weights.h5"), ("saved_v1", "model.safetensors")]


def _bomb(saved, target, member):
    """A copy of a saved model whose weights member is deflated and declares ~3.7 GiB."""
    contents = members(saved)
    path = write_zip(target, contents, compression=zipfile.ZIP_DEFLATED)
    _declare_size(path, member, 4_000_000_000)
    return path


@pytest.mark.parametrize("fixture, member", FILES)
def test_a_zip_bomb_is_refused_before_any_member_is_read(fixture, member, request, tmp_path,
                                                         monkeypatch):
    path, _, _ = request.getfixturevalue(fixture)
    bomb = _bomb(path, tmp_path / "bomb.keras", member)
    assert bomb.stat().st_size < 1 << 20
    with zipfile.ZipFile(bomb) as archive:  # what it claims
        assert archive.getinfo(member).file_size > 3 * GIB
    model = load_model(path)
    opened = []
    original_open = zipfile.ZipFile.open
    monkeypatch.setattr(zipfile.ZipFile, "open",
                        lambda self, name, *a, **k: opened.append(name)
                        or original_open(self, name, *a, **k))
    message = rf"bomb\.keras', member {member}: declares 3\.7 GiB .*decompression bomb"
    with pytest.raises(ValueError, match=message):
        load_model(bomb)
    with pytest.raises(ValueError, match=message):
        model.load_weights(bomb)
    assert opened == []  # refused from the directory alone: nothing was inflated
    with pytest.raises(ValueError, match="decompression bomb"):
        archives.open_archive(bomb)


@pytest.mark.parametrize("fixture, member", FILES)
def test_a_stored_member_declaring_more_than_it_stores_is_refused(fixture, member, request,
                                                                  tmp_path):
    path, _, _ = request.getfixturevalue(fixture)
    crafted = altered(path, tmp_path / "lie.keras")
    _declare_size(crafted, member, 2 * GIB)
    with pytest.raises(ValueError, match=rf"member {member}: an uncompressed member "
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


@pytest.mark.parametrize("fixture", ["saved_model", "saved_v1"])
def test_an_unknown_member_is_refused_by_name(fixture, request, tmp_path):
    path, _, _ = request.getfixturevalue(fixture)
    crafted = altered(path, tmp_path / "extra.keras", **{"payload.pkl": b"\x80\x04."})
    with pytest.raises(ValueError, match=r"extra\.keras' holds unknown members "
                                         r"\['payload\.pkl'\]"):
        load_model(crafted)


def test_keras_assets_are_size_checked_and_refused_by_load_model(saved_model, tmp_path):
    """Keras writes `assets/<layer path>/vocabulary.txt` for an adapted lookup layer:
    with no layer there whose load_assets() reads it, load_model refuses the file, naming
    it, rather than load the layer without its vocabulary; load_weights ignores assets,
    as Keras."""
    path, x, predictions = saved_model
    asset = "assets/layers/string_lookup/vocabulary.txt"
    crafted = altered(path, tmp_path / "assets.keras", **{asset: b"[UNK]\na\nb"})
    with pytest.raises(ValueError, match=rf"assets\.keras', member {asset}: Keras saved an "
                                         r"asset file.*load_assets\(\)"):
        load_model(crafted)
    model = load_model(path)
    model.load_weights(crafted)
    np.testing.assert_array_equal(model(x), predictions)
    _declare_size(crafted, asset, 2 * GIB)  # checked like every member
    with pytest.raises(ValueError, match=rf"member {asset}: an uncompressed member"):
        model.load_weights(crafted)


def test_a_file_that_is_not_a_zip_names_itself(tmp_path):
    path = tmp_path / "junk.keras"
    path.write_bytes(b"not a zip at all")
    with pytest.raises(ValueError, match=r"junk\.keras' is not a model or weights file "
                                         r"hoarfrost knows"):
        load_model(path)
    path.write_bytes(b"PK\x03\x04 a truncated zip")
    with pytest.raises(ValueError, match=r"junk\.keras' is not a valid \.keras file"):
        load_model(path)
    with pytest.raises(ValueError, match="is a directory"):
        load_model(tmp_path)
