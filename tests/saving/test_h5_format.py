"""Keras's HDF5 files are read defensively: every dataset's declared size is checked
against the file before it is read (a few KiB can declare GiBs), links and external or
virtual storage are refused, and what hoarfrost writes carries HDF5's checksums."""

import h5py
import numpy as np
import pytest

from hoarfrost import Sequential, layers
from hoarfrost.models import load_model
from tests.saving.crafting import altered, members

GIB = 1 << 30


@pytest.fixture(scope="module")
def model():
    return Sequential([layers.Input((3,)), layers.Dense(2, name="dense")])


@pytest.fixture
def never_read(monkeypatch):
    """Records every dataset read: a refused file must read none of its data."""
    reads = []
    original = h5py.Dataset.__getitem__
    monkeypatch.setattr(h5py.Dataset, "__getitem__",
                        lambda self, key: reads.append(self.name) or original(self, key))
    return reads


def _keras_weights(path, kernel=None, **kernel_options):
    """A Keras 3 `.weights.h5` for `model`, the kernel dataset made as told."""
    with h5py.File(path, "w") as f:
        f.create_group("vars")
        group = f.create_group("layers/dense/vars")
        if kernel is not None:
            group["0"] = kernel
        else:
            group.create_dataset("0", **kernel_options)
        group["1"] = np.zeros(2, "float32")
    return path


def test_a_dataset_declaring_more_than_the_file_holds_is_refused_unread(model, tmp_path,
                                                                      never_read):
    """4 GiB declared (never written: HDF5 would hand back the fill value) in a file of a
    few KiB, as a Keras 3 weights file, inside a .keras zip, and as a legacy file."""
    path = _keras_weights(tmp_path / "big.weights.h5", shape=(GIB,), dtype="float32")
    assert path.stat().st_size < 1 << 16
    message = (r"big\.weights\.h5'.*dataset /?layers/dense/vars/0 declares 4294967296 bytes "
               r"\(shape \(1073741824,\), float32\), more than the \d+-byte file")
    with pytest.raises(ValueError, match=message):
        model.load_weights(path)
    legacy = tmp_path / "legacy.h5"
    with h5py.File(legacy, "w") as f:
        f.attrs["layer_names"] = [b"dense"]
        group = f.create_group("dense")
        group.attrs["weight_names"] = [b"dense/kernel:0", b"dense/bias:0"]
        group.create_dataset("dense/kernel:0", shape=(GIB,), dtype="float32")
        group["dense/bias:0"] = np.zeros(2, "float32")
    with pytest.raises(ValueError, match=r"legacy\.h5'.*declares 4294967296 bytes"):
        model.load_weights(legacy)
    assert never_read == []
    saved = tmp_path / "m.keras"
    model.save(saved)
    crafted = altered(saved, tmp_path / "big.keras", **{"model.weights.h5": path.read_bytes()})
    with pytest.raises(ValueError, match=r"big\.keras', member model\.weights\.h5: HDF5 "
                                         r"dataset layers/dense/vars/0 declares 4294967296"):
        load_model(crafted)
    assert not any("layers/dense/vars/0" in name for name in never_read)


def test_a_compressed_dataset_inflating_past_the_bound_is_refused(model, tmp_path,
                                                                  never_read):
    path = _keras_weights(tmp_path / "bomb.weights.h5", shape=(1 << 24, 3), dtype="float32",
                          chunks=(1 << 16, 3), compression="gzip")
    with pytest.raises(ValueError, match=r"declares 201326592 bytes .* but stores 0 "
                                         r"compressed; refusing more than 100x"):
        model.load_weights(path)
    assert never_read == []


@pytest.mark.parametrize("make, message", [
    (lambda f: f.__setitem__("layers/dense/vars/2", h5py.ExternalLink("other.h5", "/x")),
     r"holds a ExternalLink at '/layers/dense/vars/2'"),
    (lambda f: f.__setitem__("layers/loop", h5py.SoftLink("/layers")),
     r"holds a SoftLink at '/layers/loop'"),
    (lambda f: f["layers/dense/vars"].create_dataset(
        "2", shape=(4,), dtype="float32", external=[("raw.bin", 0, 16)]),
     r"dataset layers/dense/vars/2 is external or virtual"),
    (lambda f: f["layers/dense/vars"].__setitem__("2", np.array([b"text"])),
     r"dataset layers/dense/vars/2 holds \|S4 data"),
])
def test_links_external_storage_and_non_numbers_are_refused(model, tmp_path, make, message):
    (tmp_path / "raw.bin").write_bytes(bytes(16))
    path = _keras_weights(tmp_path / "odd.weights.h5", kernel=np.zeros((3, 2), "float32"))
    with h5py.File(path, "a") as f:
        make(f)
    with pytest.raises(ValueError, match=message):
        model.load_weights(path)


def test_written_datasets_carry_checksums_that_catch_a_flipped_bit(model, tmp_path):
    path = tmp_path / "m.weights.h5"
    model.layers[0].kernel.assign(np.arange(6, dtype="float32").reshape(3, 2) + 1)
    model.save_weights(path)
    with h5py.File(path, "r") as f:
        kernel = f["layers/dense/vars/0"]
        assert kernel.fletcher32
        offset = kernel.id.get_offset() if kernel.chunks is None else \
            kernel.id.get_chunk_info(0).byte_offset
    blob = bytearray(path.read_bytes())
    blob[offset + 5] ^= 0x04
    flipped = tmp_path / "flipped.weights.h5"
    flipped.write_bytes(bytes(blob))
    before = [w.copy() for w in model.get_weights()]
    with pytest.raises(ValueError, match=r"flipped\.weights\.h5' is corrupted: its HDF5 data "
                                         r"can not be read .*filter returned failure"):
        model.load_weights(flipped)
    assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights()))
    model.load_weights(path)
    saved = tmp_path / "m.keras"
    model.save(saved)  # the same inside a .keras zip (its CRC rewritten: only HDF5 can tell)
    inner = bytearray(members(saved)["model.weights.h5"])
    start = inner.index(np.arange(6, dtype="float32").tobytes()[4:12])
    inner[start] ^= 0x04
    with pytest.raises(ValueError, match=r"member model\.weights\.h5 is corrupted"):
        load_model(altered(saved, tmp_path / "flipped.keras",
                           **{"model.weights.h5": bytes(inner)}))


# --- load_weights(skip_mismatch=True), against Keras 3 (tools/keras_fixtures/
# skip_mismatch_files.py): the layers that fit load, the others keep their values ----------
FIXTURES = __import__("pathlib").Path(__file__).parent / "fixtures"


def _dense_model(widths, names):
    from hoarfrost import Input, Model
    inputs = Input((3,), name="x")
    h = inputs
    for width, name in zip(widths, names):
        h = layers.Dense(width, name=name, kernel_initializer="ones",
                         bias_initializer="zeros")(h)
    return Model(inputs, h)


SKIP_CASES = {"wider_second": ([4, 5], ["first", "second"]),
              "extra_layer": ([4, 2, 1], ["first", "second", "third"])}


@pytest.mark.parametrize("case", sorted(SKIP_CASES))
@pytest.mark.parametrize("kind,name", [("keras", "skip_mismatch_source.weights.h5"),
                                       ("legacy", "skip_mismatch_source_legacy.h5")])
def test_skip_mismatch_loads_what_fits_as_keras(case, kind, name):
    import json
    expected = json.loads((FIXTURES / "skip_mismatch.json").read_text())
    widths, names = SKIP_CASES[case]
    with pytest.raises(ValueError, match="'second'|'third'"):  # without: nothing loads
        _dense_model(widths, names).load_weights(FIXTURES / name)
    target = _dense_model(widths, names)
    with pytest.warns(UserWarning, match="skip_mismatch=True.*skipping"):
        target.load_weights(FIXTURES / name, skip_mismatch=True)
    keras_result = expected[f"{case}/{kind}"]
    if isinstance(keras_result, str):
        # Keras's legacy loader goes by position and refuses another layer count; hoarfrost's
        # goes by layer name (Keras's `by_name=True`), which skips the layer the file lacks.
        assert keras_result.startswith("ValueError: Layer count mismatch")
        keras_result = expected["source"] + [np.ones((2, 1)).tolist(), [0.0]]
    got = target.get_weights()
    assert len(got) == len(keras_result)
    for value, want in zip(got, keras_result):
        np.testing.assert_array_equal(value, np.asarray(want, "float32"))


def test_skip_mismatch_in_hoarfrost_safetensors_skips_weights_of_another_shape(tmp_path):
    """Matched by position: each weight of another shape keeps its value; another count
    of weights still raises (Keras's positional rule)."""
    source = _dense_model([4, 2], ["first", "second"])
    source.set_weights([np.full(w.shape, i + 2.0, "float32")
                        for i, w in enumerate(source.weights)])
    path = tmp_path / "w.weights.safetensors"
    source.save_weights(path)
    target = _dense_model([4, 5], ["first", "second"])
    with pytest.raises(ValueError, match="second/kernel"):
        target.load_weights(path)
    with pytest.warns(UserWarning, match="skipping weight second/kernel"):
        target.load_weights(path, skip_mismatch=True)
    got = target.get_weights()
    np.testing.assert_array_equal(got[0], source.get_weights()[0])
    np.testing.assert_array_equal(got[1], source.get_weights()[1])
    np.testing.assert_array_equal(got[2], np.ones((4, 5), "float32"))
    with pytest.raises(ValueError, match="holds 4 weights"):
        _dense_model([4, 2, 1], ["first", "second", "third"]).load_weights(
            path, skip_mismatch=True)
    with pytest.raises(TypeError, match="skip_mismatch must be True or False"):
        target.load_weights(path, skip_mismatch="yes")


def test_skip_mismatch_in_keras_zip_keeps_a_whole_layer(tmp_path):
    source = _dense_model([4, 2], ["first", "second"])
    path = tmp_path / "m.keras"
    source.save(path)
    target = _dense_model([4, 5], ["first", "second"])
    before = target.get_weights()
    with pytest.warns(UserWarning, match="skipping layer 'second'"):
        target.load_weights(path, skip_mismatch=True)
    after = target.get_weights()
    np.testing.assert_array_equal(after[0], source.get_weights()[0])
    np.testing.assert_array_equal(after[2], before[2])
    np.testing.assert_array_equal(after[3], before[3])
