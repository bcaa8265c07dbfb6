"""Operations in Keras's config dialect: Keras's class and module names, both ways.

Fixtures: `tools/keras_fixtures/keras_op_files.py` (a Keras graph with
`ops.image.rgb_to_grayscale`, `rgb_to_hsv`, `hsv_to_rgb`, `math`'s `erf`
and `rsqrt`, `core`'s `cast`; and whether Keras reads hoarfrost's save of it).
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import pytest

from hoarfrost import models
from hoarfrost.layers.tensor_op import ALLOWED_OPS
from hoarfrost.saving import keras_ops

FIXTURES = Path(__file__).parent / "fixtures"


def _op_entries(path) -> list:
    with zipfile.ZipFile(path) as archive:
        config = json.loads(archive.read("config.json"))
    return sorted((e["class_name"], e["module"]) for e in config["config"]["layers"]
                  if str(e.get("module")).startswith("keras.src.ops"))


def test_keras_graph_with_image_ops_loads_and_is_written_with_keras_names(tmp_path):
    record = np.load(FIXTURES / "jax_image_ops.npz")
    model = models.load_model(FIXTURES / "jax_image_ops.keras")
    outputs = model.predict(record["x"], verbose=0)
    assert len(outputs) == 6
    for i, output in enumerate(outputs):
        np.testing.assert_allclose(output, record[f"output_{i}"], atol=1e-6, rtol=0)
    model.save(tmp_path / "ops.keras")
    keras_names = _op_entries(FIXTURES / "jax_image_ops.keras")
    assert ("RGBToGrayscale", "keras.src.ops.image") in keras_names
    assert _op_entries(tmp_path / "ops.keras") == keras_names


def test_keras_reads_hoarfrost_image_ops():
    report = json.loads((FIXTURES / "keras_reads_hoarfrost_image_ops.json").read_text())
    assert report["outputs"] == 6 and report["max_abs_diff"] < 1e-6


@pytest.mark.parametrize("class_name, module, op", [
    ("RGBToGrayscale", "keras.src.ops.image", "image.rgb_to_grayscale"),
    ("HSVToRGB", "keras.src.ops.image", "image.hsv_to_rgb"),
    ("SSIM", "keras.src.ops.image", "image.ssim"),
    ("FFT2", "keras.src.ops.math", "fft2"),
    ("SVD", "keras.src.ops.linalg", "svd"),
    ("CTCLoss", "keras.src.ops.nn", "ctc_loss"),
    ("SearchSorted", "keras.src.ops.numpy", "searchsorted"),
    ("Cast", "keras.src.ops.core", "cast"),
])
def test_names_map_both_ways(class_name, module, op):
    assert keras_ops.op_name(class_name, module) == op
    assert (keras_ops.op_class(op), keras_ops.op_module(op)) == (class_name, module)


def test_every_allowed_op_comes_back_from_its_keras_name():
    aliases = {"absolute": "abs", "get_item": "getitem"}  # one Keras class for both
    # No hoarfrost op (positive, remainder); Keras records extract_patches_3d as its
    # ExtractPatches, which hoarfrost reads as image.extract_patches.
    lacking = {"positive", "remainder", "image.extract_patches_3d"}
    for op in sorted(ALLOWED_OPS - lacking):
        assert keras_ops.op_name(keras_ops.op_class(op), keras_ops.op_module(op)) == \
            aliases.get(op, op), op
