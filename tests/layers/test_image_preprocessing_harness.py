"""The eight image-preprocessing layers through the shared layer harness.

Shapes (symbolic and eager), zero parameters, the config and weights round
trips; a seeded random layer called twice alike draws alike, so its clone
from the config computes the same images.
"""

import pytest

from hoarfrost.layers import (CenterCrop, RandomBrightness, RandomContrast, RandomFlip,
                             RandomRotation, RandomTranslation, RandomZoom, Resizing)
from tests.layers.harness import run_layer_test

IMAGES = (2, 7, 9, 3)


@pytest.mark.parametrize("cls, kwargs, output_shape", [
    (Resizing, {"height": 5, "width": 4}, (2, 5, 4, 3)),
    (CenterCrop, {"height": 4, "width": 6}, (2, 4, 6, 3)),
    (RandomFlip, {"seed": 1}, IMAGES),
    (RandomRotation, {"factor": 0.2, "seed": 1}, IMAGES),
    (RandomTranslation, {"height_factor": 0.1, "width_factor": 0.2, "seed": 1}, IMAGES),
    (RandomZoom, {"height_factor": 0.3, "seed": 1}, IMAGES),
    (RandomContrast, {"factor": 0.5, "seed": 1}, IMAGES),
    (RandomBrightness, {"factor": 0.2, "seed": 1}, IMAGES),
], ids=lambda value: value.__name__ if isinstance(value, type) else "")
def test_image_layer_through_the_harness(cls, kwargs, output_shape):
    run_layer_test(cls, kwargs, IMAGES, output_shape, expected_trainable=0, train=False)
