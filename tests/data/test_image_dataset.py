"""image_dataset_from_directory yields what Keras (TensorFlow format) yields for the same files."""

import os

import numpy as np
import pytest

import hoarfrost
from hoarfrost import layers
from hoarfrost.data.dataset import Dataset
from hoarfrost.utils import image_dataset_from_directory

from tests.data.fixture_files import batches, load, write_files

DATA, META = load("keras_image_dir.npz")


@pytest.fixture(scope="module")
def image_dir(tmp_path_factory):
    return write_files(DATA, tmp_path_factory.mktemp("images"))


def _relative(paths, root):
    return [os.path.relpath(p, root) for p in paths]


@pytest.mark.parametrize("case", [c for c in META if not c.startswith("split_")])
def test_batches_equal_keras(image_dir, case, capsys):
    kwargs = META[case]["kwargs"]
    if "image_size" in kwargs:
        kwargs = dict(kwargs, image_size=tuple(kwargs["image_size"]))
    ds = image_dataset_from_directory(image_dir, shuffle=False, **kwargs)
    assert ds.class_names == META[case]["class_names"]
    assert _relative(ds.file_paths, image_dir) == META[case]["file_paths"]
    expected = batches(DATA, case)
    got = [b if isinstance(b, tuple) else (b,) for b in ds]
    assert len(ds) == len(got) == len(expected)
    assert [[(a.shape, a.dtype) for a in b] for b in got] == [
        [(a.shape, a.dtype) for a in b] for b in expected]
    rows = np.concatenate([b[0] if kwargs.get("batch_size") else b[0][None] for b in got])
    keras_rows = np.concatenate([b[0] if kwargs.get("batch_size") else b[0][None]
                                 for b in expected])
    for path, mine, theirs in zip(ds.file_paths, rows, keras_rows):
        # JPEG: Pillow decodes with libjpeg's accurate DCT, TF with its fast one (a few levels).
        atol = 8.0 if path.endswith(".jpg") else 2e-4
        np.testing.assert_allclose(mine, theirs, rtol=1e-5, atol=atol, err_msg=path)
    for mine, theirs in zip(got, expected):
        for a, b in zip(mine[1:], theirs[1:]):
            np.testing.assert_array_equal(a, b)
    out = capsys.readouterr().out
    assert out.startswith("Found ")


@pytest.mark.parametrize("seed", [7, 1337])
def test_seeded_validation_split_equals_keras(image_dir, seed, capsys):
    train, val = image_dataset_from_directory(image_dir, image_size=(3, 3), validation_split=0.3,
                                              subset="both", seed=seed, batch_size=2)
    expected = META[f"split_{seed}"]
    assert _relative(train.file_paths, image_dir) == expected["train"]
    assert _relative(val.file_paths, image_dir) == expected["val"]
    assert [train.cardinality(), val.cardinality()] == expected["cardinality"]
    assert capsys.readouterr().out.splitlines() == [
        "Found 9 files belonging to 3 classes.", "Using 7 files for training.",
        "Using 2 files for validation."]
    # Training is reshuffled every epoch; validation is not; both hold their files each epoch.
    first, second = ([y.tolist() for _, y in train.unbatch()] for _ in range(2))
    assert sorted(first) == sorted(second)
    training = image_dataset_from_directory(image_dir, image_size=(3, 3), validation_split=0.3,
                                            subset="training", seed=seed, verbose=False)
    assert training.file_paths == train.file_paths


def test_fit_evaluate_predict_consume_the_dataset(image_dir, capsys):
    train = image_dataset_from_directory(image_dir, image_size=(4, 4), batch_size=3, seed=3,
                                         label_mode="categorical")
    assert isinstance(train, Dataset) and len(train) == 3  # 9 files: one batch shape
    model = hoarfrost.Sequential([layers.Input((4, 4, 3)), layers.Rescaling(1 / 255),
                                  layers.Flatten(), layers.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(train, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2
    assert len(model.evaluate(train, verbose=0)) == 2
    rebatched = train.unbatch().batch(3)  # no len(): fit's progress bar must not ask for it
    assert not hasattr(rebatched, "__len__")
    assert len(model.evaluate(rebatched, verbose=0)) == 2
    images = image_dataset_from_directory(image_dir, image_size=(4, 4), label_mode=None,
                                          shuffle=False, verbose=False)
    assert model.predict(images, verbose=0).shape == (10, 3)  # .hidden is read without labels


def test_channels_first_is_the_transpose(image_dir):
    kwargs = dict(image_size=(3, 4), batch_size=None, shuffle=False, verbose=False)
    last = image_dataset_from_directory(image_dir, **kwargs)
    first = image_dataset_from_directory(image_dir, data_format="channels_first", **kwargs)
    for (a, y), (b, z) in zip(last, first):
        np.testing.assert_array_equal(a.transpose(2, 0, 1), b)
        assert y == z


def test_files_are_read_as_batches_are_drawn(image_dir, monkeypatch):
    from hoarfrost.data import image_dataset
    opened = []
    original = image_dataset.load_image
    monkeypatch.setattr(image_dataset, "load_image",
                        lambda path, *a: opened.append(path) or original(path, *a))
    ds = image_dataset_from_directory(image_dir, image_size=(2, 2), batch_size=2, shuffle=False,
                                      verbose=False)
    assert opened == []
    next(iter(ds.take(1)))
    assert len(opened) >= 2  # the first batch (and what prefetching read ahead)


def test_errors_name_the_argument(image_dir, tmp_path):
    with pytest.raises(ValueError, match="`seed` argument"):
        image_dataset_from_directory(image_dir, validation_split=0.2, subset="training")
    with pytest.raises(ValueError, match="color_mode=cmyk"):
        image_dataset_from_directory(image_dir, color_mode="cmyk")
    with pytest.raises(ValueError, match="exactly 2"):
        image_dataset_from_directory(image_dir, label_mode="binary", verbose=False)
    with pytest.raises(ValueError, match="class_names=\\['zebra'\\]"):
        image_dataset_from_directory(image_dir, class_names=["zebra"])
    with pytest.raises(ValueError, match="grain"):
        image_dataset_from_directory(image_dir, format="grain")
    with pytest.raises(ValueError, match="Only one of"):
        image_dataset_from_directory(image_dir, crop_to_aspect_ratio=True,
                                     pad_to_aspect_ratio=True)
    (tmp_path / "empty" / "a").mkdir(parents=True)
    with pytest.raises(ValueError, match="No image files found"):
        image_dataset_from_directory(tmp_path / "empty", verbose=False)
