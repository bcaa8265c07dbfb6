"""Operations in Keras's config dialect: Keras's class and module names, both ways.

Fixtures: `tools/keras_fixtures/keras_op_files.py` (Keras graphs with
`ops.image.rgb_to_grayscale`, `rgb_to_hsv`, `hsv_to_rgb`, `math`'s `erf`
and `rsqrt`, `core`'s `cast`; with `extract_patches(_3d)`, `layer_normalization`,
`rms_normalization`, `batch_normalization`, a constant tensor argument; and
whether Keras reads hoarfrost's saves of them).
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
    ("BatchNorm", "keras.src.ops.nn", "batch_normalization"),
    ("LayerNorm", "keras.src.ops.nn", "layer_normalization"),
    ("RMSNorm", "keras.src.ops.nn", "rms_normalization"),
    ("ExtractPatches", "keras.src.ops.image", "image.extract_patches"),
])
def test_names_map_both_ways(class_name, module, op):
    assert keras_ops.op_name(class_name, module) == op
    assert (keras_ops.op_class(op), keras_ops.op_module(op)) == (class_name, module)


def test_every_allowed_op_comes_back_from_its_keras_name():
    # one Keras class for both (Keras records extract_patches_3d as the ExtractPatches of
    # extract_patches, which a 3-D size makes 3-D)
    aliases = {"absolute": "abs", "get_item": "getitem",
               "image.extract_patches_3d": "image.extract_patches",
               "swish": "silu", "hard_swish": "hard_silu"}
    lacking = {"positive", "remainder"}  # no hoarfrost op
    for op in sorted(ALLOWED_OPS - lacking):
        assert keras_ops.op_name(keras_ops.op_class(op), keras_ops.op_module(op)) == \
            aliases.get(op, op), op


def _op_layouts(path) -> list:
    """Each op-layer's class, module, config (less its name) and number of call arguments."""
    with zipfile.ZipFile(path) as archive:
        config = json.loads(archive.read("config.json"))
    return sorted((e["class_name"], e["module"],
                   json.dumps({k: v for k, v in e["config"].items() if k != "name"},
                              sort_keys=True),
                   len(e["inbound_nodes"][0]["args"]) + len(e["inbound_nodes"][0]["kwargs"]))
                  for e in config["config"]["layers"]
                  if str(e.get("module")).startswith("keras.src.ops"))


def test_keras_ops_of_other_class_names_load_and_are_written_as_keras_writes_them(tmp_path):
    """`ExtractPatches` (of extract_patches_3d, an int size), `LayerNorm` with a constant
    gamma, `RMSNorm`, `BatchNorm` (its call's order is not the function's)."""
    record = np.load(FIXTURES / "jax_patch_norm_ops.npz")
    model = models.load_model(FIXTURES / "jax_patch_norm_ops.keras")
    outputs = model(record["x"])
    assert len(outputs) == 6
    for i, output in enumerate(outputs):
        np.testing.assert_allclose(output, record[f"output_{i}"], atol=5e-6, rtol=0)
    model.save(tmp_path / "ops.keras")
    assert _op_layouts(tmp_path / "ops.keras") == _op_layouts(FIXTURES / "jax_patch_norm_ops.keras")
    report = json.loads((FIXTURES / "keras_reads_hoarfrost_patch_norm_ops.json").read_text())
    assert report["outputs"] == 6 and report["max_abs_diff"] < 1e-5


def test_positional_arguments_are_written_where_keras_reads_them(tmp_path):
    """A hoarfrost graph's op with its options given by position (`ops.mean(x, 1)`) keeps
    them in the op-layer's config, as Keras builds the operation from it; a call argument
    Keras's function always passes (RMSNorm's scale) is written with its default; an alias
    (`swish`) is written as Keras's class (`Silu`): the layout Keras 3.15's own files have
    (the test above) and reads back."""
    from hoarfrost import Input, Model, ops
    inputs = Input((4, 4, 4, 2))
    model = Model(inputs, [ops.mean(inputs, 1), ops.image.extract_patches_3d(inputs, 2),
                           ops.average(inputs, 1), ops.rms_normalization(inputs), inputs + 2.0,
                           ops.swish(inputs)])
    model.save(tmp_path / "ops.keras")
    with zipfile.ZipFile(tmp_path / "ops.keras") as archive:
        config = json.loads(archive.read("config.json"))
    entries = {e["class_name"]: e for e in config["config"]["layers"]
               if str(e.get("module")).startswith("keras.src.ops")}
    assert entries["Mean"]["config"]["axis"] == 1
    assert entries["Average"]["config"]["axis"] == 1
    assert entries["ExtractPatches"]["config"]["size"] == [2, 2, 2]
    assert len(entries["Mean"]["inbound_nodes"][0]["args"]) == 1
    node = entries["RMSNorm"]["inbound_nodes"][0]
    assert len(node["args"]) + len(node["kwargs"]) == 2  # x, scale=None
    assert entries["Add"]["inbound_nodes"][0]["args"][1] == 2.0  # x2, Add's call argument
    assert entries["Silu"]["module"] == "keras.src.ops.nn"  # Keras's swish is its silu
    x = np.random.default_rng(0).normal(size=(2, 4, 4, 4, 2)).astype("float32")
    loaded = models.load_model(tmp_path / "ops.keras")
    for got, want in zip(loaded(x), model(x)):
        np.testing.assert_array_equal(got, want)
