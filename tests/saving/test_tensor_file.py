"""Weight files carry a checksum per tensor: a flipped bit is an error naming the file,
a damaged header too, and files written before checksums still load."""

import json
import struct

import numpy as np
import pytest
from safetensors.numpy import save as st_save

from hoarfrost import Sequential, layers
from hoarfrost.models import load_model
from hoarfrost.saving import tensor_file
from tests.saving.crafting import altered, members


@pytest.fixture
def weights_file(tmp_path):
    model = Sequential([layers.Dense(3, input_dim=4), layers.Dense(2)])
    path = tmp_path / "m.weights.safetensors"
    model.save_weights(path)
    return model, path


def _data_start(blob: bytes) -> int:
    return 8 + struct.unpack_from("<Q", blob)[0]


def test_every_bit_flip_in_the_tensors_is_found(weights_file):
    model, path = weights_file
    before = [w.copy() for w in model.get_weights()]
    blob = path.read_bytes()
    start = _data_start(blob)
    rng = np.random.default_rng(0)
    for position in rng.integers(start, len(blob), size=20):
        flipped = bytearray(blob)
        flipped[position] ^= 1 << int(rng.integers(8))
        path.write_bytes(bytes(flipped))
        with pytest.raises(ValueError, match=r"m\.weights\.safetensors' is corrupted: tensor "
                                             r"'0000\d' does not match its checksum"):
            model.load_weights(path)
    assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights()))
    path.write_bytes(blob)
    model.load_weights(path)  # the intact file still loads


def test_a_damaged_header_names_the_file(weights_file):
    model, path = weights_file
    blob = path.read_bytes()
    header = blob[8:_data_start(blob)]
    for damaged in (header.replace(b"{", b"[", 1), header.replace(b'"shape"', b'"shapf"'),
                    header.replace(b'"F32"', b'"X32"', 1), header[:-1] + b"\x00"):
        path.write_bytes(blob[:8] + damaged + blob[8 + len(header):])
        with pytest.raises(ValueError, match=r"m\.weights\.safetensors'.* is corrupted"):
            model.load_weights(path)
    path.write_bytes(struct.pack("<Q", 1 << 40) + blob[8:])  # a header larger than the file
    with pytest.raises(ValueError, match=r"header declares 1099511627776 bytes"):
        model.load_weights(path)
    path.write_bytes(blob[:len(blob) - 3])  # truncated
    with pytest.raises(ValueError, match=r"m\.weights\.safetensors' is corrupted"):
        model.load_weights(path)


def test_files_without_checksums_still_load(weights_file):
    model, path = weights_file
    tensors, metadata = tensor_file.read_file(path)
    assert set(json.loads(metadata["sha256"])) == set(tensors)
    del metadata["sha256"]  # as an older version wrote it
    changed = {name: t + 1 for name, t in tensors.items()}
    path.write_bytes(st_save(changed, metadata=metadata))
    model.load_weights(path)
    assert all(np.array_equal(w, changed[f"{i:05d}"])
               for i, w in enumerate(model.get_weights()))


@pytest.mark.parametrize("fixture, member", [("saved_model", "hoarfrost/optimizer.safetensors"),
                                             ("saved_v1", "model.safetensors")])
def test_tensors_inside_a_keras_file_are_checked_too(fixture, member, request, tmp_path):
    """The safetensors members: hoarfrost's optimizer slots beside Keras's layout, the
    weights of format 1."""
    path, x, predictions = request.getfixturevalue(fixture)
    blob = bytearray(members(path)[member])
    assert "sha256" in tensor_file.loads(bytes(blob), "blob")[1]  # written with checksums
    blob[-1] ^= 0x10  # rewritten with a fresh zip CRC: only the checksum can tell
    crafted = altered(path, tmp_path / "flip.keras", **{member: bytes(blob)})
    with pytest.raises(ValueError, match=rf"flip\.keras', member {member} is corrupted: "
                                         r"tensor '.*' does not match its checksum"):
        load_model(crafted)
    raw = bytearray(path.read_bytes())  # flipped in place: the zip's CRC finds it first
    raw[raw.index(bytes(blob[-8:-1]))] ^= 0x01
    (tmp_path / "raw.keras").write_bytes(bytes(raw))
    with pytest.raises(ValueError, match=r"raw\.keras', member .* is corrupted"):
        load_model(tmp_path / "raw.keras")
    np.testing.assert_array_equal(load_model(path)(x), predictions)


def test_read_checks_entries_against_the_data(tmp_path):
    blob = tensor_file.dumps({"a": np.arange(6, dtype="float32").reshape(2, 3),
                              "b": np.array(True)})
    tensors, _ = tensor_file.loads(blob, "blob")
    assert tensors["a"].shape == (2, 3) and tensors["b"].dtype == np.bool_
    header = json.loads(blob[8:_data_start(blob)])
    header["a"]["shape"] = [3, 3]  # more than its bytes
    text = json.dumps(header).encode()
    with pytest.raises(ValueError, match=r"blob is corrupted: tensor 'a' of shape \[3, 3\]"):
        tensor_file.loads(struct.pack("<Q", len(text)) + text + blob[_data_start(blob):],
                          "blob")
