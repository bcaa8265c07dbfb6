"""get_file: hoarfrost's cache, then Keras's, then the network; clear offline errors."""

import hashlib
import io
import os
import tarfile
import zipfile
from pathlib import Path

import pytest

from hoarfrost.file_utils import DownloadError, get_file
from hoarfrost.utils import get_file as exported

OFFLINE = "http://127.0.0.1:1/files/data.bin"


@pytest.fixture(autouse=True)
def homes(tmp_path, monkeypatch):
    monkeypatch.setenv("HOARFROST_HOME", str(tmp_path / "hoarfrost"))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    return tmp_path / "hoarfrost" / "datasets", tmp_path / "keras" / "datasets"


def _source(tmp_path, name="data.bin", content=b"payload"):
    path = tmp_path / "www" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path.as_uri(), hashlib.sha256(content).hexdigest()


def test_download_then_cache(tmp_path, homes, capsys):
    assert exported is get_file
    origin, sha = _source(tmp_path)
    path = get_file(origin=origin, file_hash=sha)
    assert path == str(homes[0] / "data.bin") and Path(path).read_bytes() == b"payload"
    assert f"Downloading data from {origin}" in capsys.readouterr().out
    os.remove(tmp_path / "www" / "data.bin")  # the cached copy is used from now on
    assert get_file("data.bin", origin=origin, file_hash=sha) == path
    assert "Downloading" not in capsys.readouterr().out


def test_keras_cache_is_used_in_place(homes):
    homes[1].mkdir(parents=True)
    (homes[1] / "data.bin").write_bytes(b"from keras")
    md5 = hashlib.md5(b"from keras").hexdigest()
    assert get_file(origin=OFFLINE, md5_hash=md5) == str(homes[1] / "data.bin")
    assert not (homes[0] / "data.bin").exists()  # nothing copied, Keras's cache untouched


def test_offline_error_names_the_file_and_both_places(homes):
    homes[1].mkdir(parents=True)
    (homes[1] / "data.bin").write_bytes(b"stale")  # wrong hash: not used
    sha = hashlib.sha256(b"right").hexdigest()
    with pytest.raises(DownloadError) as info:
        get_file(origin=OFFLINE, file_hash=sha)
    message = str(info.value)
    assert OFFLINE in message and str(homes[0] / "data.bin") in message
    assert str(homes[1] / "data.bin") in message and sha in message
    assert list(homes[0].iterdir()) == []  # no partial file left


def test_hash_mismatch_after_download_raises_and_removes(tmp_path, homes):
    origin, _ = _source(tmp_path)
    with pytest.raises(ValueError, match="Incomplete or corrupted file"):
        get_file(origin=origin, file_hash="0" * 64)
    assert not (homes[0] / "data.bin").exists()


def _tar(tmp_path, members: dict, name="archive.tar.gz"):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for member, content in members.items():
            info = tarfile.TarInfo(member)
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
    return _source(tmp_path, name, buffer.getvalue())[0]


def test_extract_names_as_keras_and_skips_unsafe_members(tmp_path, homes):
    origin = _tar(tmp_path, {"top/a.txt": b"a", "../evil.txt": b"x", "/abs.txt": b"y"})
    with pytest.warns(UserWarning, match="Skipping invalid path"):
        folder = get_file("things", origin=origin, extract=True)
    assert folder == str(homes[0] / "things")
    assert (Path(folder) / "top" / "a.txt").read_bytes() == b"a"
    assert (homes[0] / "things_archive").is_file()
    assert not (homes[0] / "evil.txt").exists() and not Path("/abs.txt").exists()
    with pytest.warns(UserWarning):
        dotted = get_file("things.tar.gz", origin=origin, extract=True)
    assert dotted == str(homes[0] / "things_extracted")


def test_extracted_keras_folder_is_used(homes):
    homes[1].mkdir(parents=True)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("x.txt", "x")
    (homes[1] / "pack_archive").write_bytes(buffer.getvalue())
    (homes[1] / "pack").mkdir()
    assert get_file("pack", origin=OFFLINE, extract=True) == str(homes[1] / "pack")
    os.rmdir(homes[1] / "pack")  # archive only: extracted into hoarfrost's cache
    folder = get_file("pack", origin=OFFLINE, extract=True)
    assert folder == str(homes[0] / "pack") and (Path(folder) / "x.txt").read_text() == "x"


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="origin"):
        get_file("x")
    with pytest.raises(ValueError, match="fname=a/b"):
        get_file("a/b", origin=OFFLINE)
