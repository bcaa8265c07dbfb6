"""audio_dataset_from_directory reads WAV files and pads batches as Keras does."""

import wave

import numpy as np
import pytest

from hoarfrost.data.audio_dataset import read_wav
from hoarfrost.utils import audio_dataset_from_directory

from tests.data.fixture_files import batches, load, write_files

DATA, META = load("keras_text_audio.npz")


@pytest.fixture(scope="module")
def audio_dir(tmp_path_factory):
    return write_files(DATA, tmp_path_factory.mktemp("files")) / "audio"


@pytest.mark.parametrize("case", ["audio_padded", "audio_fixed_categorical"])
def test_batches_equal_keras(audio_dir, case):
    ds = audio_dataset_from_directory(audio_dir, shuffle=False, verbose=False,
                                      **META[case]["kwargs"])
    assert ds.class_names == META[case]["class_names"]
    got, expected = list(ds), batches(DATA, case)
    assert len(got) == len(expected)
    for mine, theirs in zip(got, expected):
        for a, b in zip(mine, theirs):
            assert a.dtype == b.dtype and a.shape == b.shape
            np.testing.assert_array_equal(a, b)


def _wav(path, samples, width):
    with wave.open(str(path), "wb") as f:
        f.setnchannels(samples.shape[1])
        f.setsampwidth(width)
        f.setframerate(16000)
        if width == 3:
            raw = samples.astype("<i4").view(np.uint8).reshape(-1, 4)[:, :3].tobytes()
        else:
            raw = samples.astype({1: "u1", 2: "<i2", 4: "<i4"}[width]).tobytes()
        f.writeframes(raw)


def test_other_pcm_widths_scale_to_the_same_range(tmp_path):
    _wav(tmp_path / "u8.wav", np.array([[0], [128], [255]]), 1)
    np.testing.assert_array_equal(read_wav(str(tmp_path / "u8.wav"))[:, 0], [-1, 0, 127 / 128])
    _wav(tmp_path / "s24.wav", np.array([[-8388608, 4194304]]), 3)
    np.testing.assert_array_equal(read_wav(str(tmp_path / "s24.wav"))[0], [-1, 0.5])
    _wav(tmp_path / "s32.wav", np.array([[-2147483648], [1073741824]]), 4)
    np.testing.assert_array_equal(read_wav(str(tmp_path / "s32.wav"))[:, 0], [-1, 0.5])


def test_unsupported_arguments_are_named(audio_dir, tmp_path):
    with pytest.raises(NotImplementedError, match="sampling_rate"):
        audio_dataset_from_directory(audio_dir, sampling_rate=16000)
    with pytest.raises(NotImplementedError, match="ragged"):
        audio_dataset_from_directory(audio_dir, ragged=True)
    with pytest.raises(ValueError, match="both `ragged` and `output_sequence_length`"):
        audio_dataset_from_directory(audio_dir, ragged=True, output_sequence_length=3)
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x.wav").write_bytes(b"RIFF....WAVEjunk")
    with pytest.raises(ValueError, match="x.wav is not a PCM WAV"):
        list(audio_dataset_from_directory(tmp_path, verbose=False))


def test_both_subsets_is_a_tuple(audio_dir):
    train, val = audio_dataset_from_directory(audio_dir, validation_split=0.5, subset="both",
                                              seed=1, verbose=False)
    assert train.class_names == val.class_names == ["x", "y"]
    assert sum(len(a) for a, _ in train.unbatch().batch(10)) + sum(
        len(a) for a, _ in val.unbatch().batch(10)) == 4
