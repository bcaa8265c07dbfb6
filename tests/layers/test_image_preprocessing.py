"""Resizing and CenterCrop; RandomFlip, RandomRotation, RandomTranslation, RandomZoom,
RandomContrast: Keras's transforms, the random ones live in training only."""

import json

import numpy as np
import pytest

import hoarfrost
from hoarfrost import Input, Sequential, layers
from hoarfrost.layers import (CenterCrop, RandomBrightness, RandomContrast, RandomCrop,
                             RandomFlip, RandomGrayscale, RandomRotation, RandomTranslation,
                             RandomZoom, Resizing)
from hoarfrost.saving import load_model

from tests.layers.fixture_checks import replay_preprocessing_fixture
from tests.layers.harness import check_keras_fixture
from tests.layers.harness_extra import assert_config_keys

IMAGES = np.random.default_rng(0).random((4, 7, 9, 3)).astype("float32")

FIXTURES = ["aug_rotation_quarter_nearest", "aug_rotation_bilinear_reflect",
            "aug_rotation_constant", "aug_translation_reflect", "aug_translation_wrap",
            "aug_zoom_in", "aug_zoom_out_nearest_fill", "aug_zoom_constant_nearest",
            "aug_contrast", "aug_contrast_range", "aug_brightness", "aug_brightness_range", "pre_resizing_bilinear",
            "pre_resizing_nearest_up", "pre_resizing_crop_aspect", "pre_resizing_pad_aspect",
            "pre_resizing_bicubic_antialias", "pre_center_crop", "pre_center_crop_smaller"]


@pytest.mark.parametrize("name", FIXTURES)
def test_fixed_draws_match_keras(name):
    # Equal-pair factors make every draw the same, so Keras's output is exact.
    layer = check_keras_fixture(name, rtol=1e-5, atol=1e-4)  # contrast: pixels up to 255
    assert_config_keys(layer, name)
    assert layer.count_params() == 0


def test_quarter_turn_is_a_counter_clockwise_rot90():
    square = np.random.default_rng(1).random((2, 5, 5, 1)).astype("float32")
    out = RandomRotation((0.25, 0.25), interpolation="nearest")(square, training=True)
    np.testing.assert_array_equal(np.asarray(out), np.rot90(square, k=1, axes=(1, 2)))


@pytest.mark.parametrize("mode, flip", [("horizontal", lambda a: a[:, ::-1]),
                                        ("vertical", lambda a: a[::-1]),
                                        ("horizontal_and_vertical", lambda a: a[::-1, ::-1])])
def test_flip_flips_each_image_or_leaves_it(mode, flip):
    batch = np.random.default_rng(2).random((32, 5, 6, 2)).astype("float32")
    out = np.asarray(RandomFlip(mode, seed=3)(batch, training=True))
    flipped = [np.array_equal(o, flip(b)) for o, b in zip(out, batch)]
    kept = [np.array_equal(o, b) for o, b in zip(out, batch)]
    assert all(f or k for f, k in zip(flipped, kept))
    assert any(flipped) and any(kept)  # each image draws its own flip


@pytest.mark.parametrize("layer", [RandomFlip(), RandomRotation(0.2), RandomTranslation(0.1, 0.2),
                                   RandomZoom(0.3), RandomContrast(0.5),
                                   RandomBrightness(0.2)])
def test_inference_passes_images_through(layer):
    ints = (IMAGES * 255).astype("uint8")
    out = layer(ints, training=False)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(np.asarray(out), ints.astype("float32"))


def test_resizing_and_center_crop_shapes_in_a_model():
    model = Sequential([Input((7, 9, 3)), Resizing(12, 10), CenterCrop(8, 8)])
    assert model.output_shape == (None, 8, 8, 3)
    assert model.predict(IMAGES, verbose=0).shape == (4, 8, 8, 3)
    first = Resizing(5, 4, data_format="channels_first")(np.moveaxis(IMAGES, -1, 1))
    np.testing.assert_allclose(np.moveaxis(np.asarray(first), 1, -1),
                               np.asarray(Resizing(5, 4)(IMAGES)), rtol=1e-6, atol=1e-6)


def test_contrast_draws_per_image_and_clips_to_the_value_range():
    pixels = IMAGES * 255
    out = np.asarray(RandomContrast((0.5, 0.5), seed=0)(pixels, training=True))
    assert out.min() >= 0 and out.max() <= 255
    spread = out.std(axis=(1, 2)) / pixels.std(axis=(1, 2))
    assert len(np.unique(np.round(spread[:, 0], 3))) > 1  # each image its own factor


def test_called_alone_it_augments_as_keras_does():
    # Keras 3's augmentation layers default to training=True when called directly.
    assert not np.array_equal(np.asarray(RandomRotation(0.2, seed=1)(IMAGES)), IMAGES)


def test_inside_a_model_called_directly_it_augments_as_keras_does():
    # Keras 3: a model called without `training` leaves it unresolved, so each layer
    # takes its own call's default: RandomFlip augments, Dropout stays off.
    ramp = np.arange(2 * 4 * 4, dtype="float32").reshape(2, 4, 4, 1) + 1
    for seed in range(8):
        sequential = Sequential([RandomFlip(seed=seed), layers.Dropout(0.5)])
        inputs = Input((4, 4, 1))
        functional = hoarfrost.Model(inputs, RandomFlip(seed=seed)(layers.Dropout(0.5)(inputs)))
        outs = [np.asarray(sequential(ramp)), np.asarray(functional(ramp))]
        if all(not np.array_equal(o, ramp) for o in outs):
            break
    else:
        raise AssertionError("a RandomFlip inside a model called directly never flipped")
    for out in outs:  # flipped or kept per image, never dropped out
        assert all(np.array_equal(o, r) or np.array_equal(o, r[::-1, ::-1])
                   for o, r in zip(out, ramp))
    np.testing.assert_array_equal(np.asarray(sequential(ramp, training=False)), ramp)
    np.testing.assert_array_equal(sequential.predict(ramp, verbose=0), ramp)


def test_channels_first_and_unbatched_images():
    layer = RandomZoom((-0.2, -0.2), data_format="channels_first")
    first = np.moveaxis(IMAGES, -1, 1)
    expected = np.asarray(RandomZoom((-0.2, -0.2))(IMAGES, training=True))
    np.testing.assert_allclose(np.moveaxis(np.asarray(layer(first, training=True)), 1, -1),
                               expected, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(np.asarray(RandomZoom((-0.2, -0.2))(IMAGES[0], training=True)),
                               expected[0], rtol=1e-6, atol=1e-6)


def test_augmentation_trains_inside_fit_and_predict_is_clean(tmp_path):
    hoarfrost.utils.set_random_seed(0)
    model = Sequential([Input((8, 8, 1)), RandomFlip("horizontal"), RandomRotation(0.1),
                        RandomZoom(0.1), layers.Conv2D(4, 3, activation="relu"),
                        layers.GlobalAveragePooling2D(), layers.Dense(2, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy")
    x = np.random.default_rng(4).random((64, 8, 8, 1)).astype("float32")
    y = (x[:, :, :4].mean((1, 2, 3)) > x[:, :, 4:].mean((1, 2, 3))).astype("int32")
    history = model.fit(x, y, batch_size=16, epochs=2, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    # Inference skips the augmentation: predict equals the layers after it.
    head = x
    for layer in model.layers[3:]:
        head = layer(head)
    np.testing.assert_allclose(model.predict(x, verbose=0), np.asarray(head), rtol=1e-5,
                               atol=1e-6)
    model.save(tmp_path / "m.keras")
    loaded = load_model(tmp_path / "m.keras")
    assert [type(layer).__name__ for layer in loaded.layers[:3]] == [
        "RandomFlip", "RandomRotation", "RandomZoom"]
    assert loaded.layers[1].get_config() == model.layers[1].get_config()
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


@pytest.mark.parametrize("make, message", [
    (lambda: RandomRotation(1.5), "`factor` must be a number or a pair"),
    (lambda: RandomTranslation(0.1, (0.1, 0.2, 0.3)), "`width_factor`"),
    (lambda: RandomZoom(0.1, fill_mode="mirror"), "`fill_mode` must be one of"),
    (lambda: RandomRotation(0.1, interpolation="cubic"), "`interpolation` must be one of"),
    (lambda: RandomFlip("diagonal"), "`mode` must be one of"),
    (lambda: RandomContrast(1.5), "`factor` must be in"),
    (lambda: Resizing(4, 4, interpolation="area"), "`interpolation` must be one of"),
    (lambda: Resizing(4, 4, crop_to_aspect_ratio=True, pad_to_aspect_ratio=True), "not both"),
])
def test_bad_arguments_name_themselves(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_config_round_trip_is_json():
    for layer in (RandomFlip("vertical", seed=2), RandomRotation((-0.1, 0.2), fill_mode="wrap"),
                  RandomTranslation(0.1, 0.2, fill_value=1.0), RandomZoom(0.2, (0.1, 0.3)),
                  RandomContrast(0.3, value_range=(0, 1)), RandomBrightness((-0.2, 0.1)),
                  Resizing(4, 5, antialias=True),
                  CenterCrop(3, 2)):
        config = json.loads(json.dumps(layer.get_config()))
        assert type(layer).from_config(config).get_config() == layer.get_config()


# --- RandomCrop, RandomGrayscale --------------------------------------------------------------
@pytest.mark.parametrize("name", ["aug_random_crop_smaller", "aug_random_crop_equal_height",
                                  "aug_random_grayscale_all", "aug_random_grayscale_none_first"])
def test_crop_and_grayscale_match_keras(name):
    replay_preprocessing_fixture(name)


def test_random_crop_takes_one_window_per_batch_and_resizes_in_inference():
    crop = RandomCrop(3, 4, seed=2)
    out = np.asarray(crop(IMAGES, training=True))
    windows = [(t, l) for t in range(5) for l in range(6)
               if np.array_equal(out, IMAGES[:, t:t + 3, l:l + 4])]
    assert len(windows) == 1  # the same window for every image, as Keras
    expected = Resizing(3, 4, crop_to_aspect_ratio=True)(IMAGES)
    np.testing.assert_allclose(np.asarray(crop(IMAGES, training=False)), np.asarray(expected),
                               rtol=1e-6)
    assert Sequential([Input((7, 9, 3)), crop]).output_shape == (None, 3, 4, 3)


def test_random_grayscale_draws_per_image():
    out = np.asarray(RandomGrayscale(0.5, seed=1)(np.repeat(IMAGES, 8, axis=0), training=True))
    gray = [np.allclose(o[..., 0], o[..., 1]) and np.allclose(o[..., 1], o[..., 2]) for o in out]
    assert any(gray) and not all(gray)
