"""Keras `.keras` files of the layers hoarfrost shares with Keras, both ways.

`tools/keras_fixtures/keras_layers_files.py` saved six Keras models (layers by
family: recurrent cells, convolutions 1-D/2-D/3-D, attention and merging,
preprocessing) with their predictions, then loaded hoarfrost's re-save of
each in Keras (`keras_reads_hoarfrost_layers.json`).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from hoarfrost import models

FIXTURES = Path(__file__).parent / "fixtures" / "layers"
RECORD = np.load(FIXTURES / "keras_layers.npz")
REPORT = json.loads((FIXTURES / "keras_reads_hoarfrost_layers.json").read_text())
MODELS = ("newer", "conv1d", "conv2d", "conv3d", "merging", "preprocessing")


def _inputs(name: str):
    x = [RECORD[k] for k in sorted(RECORD.files) if k.startswith(f"{name}/x_")]
    return x if len(x) > 1 else x[0]


@pytest.mark.parametrize("name", MODELS)
def test_keras_file_loads_with_keras_predictions(name):
    model = models.load_model(FIXTURES / f"{name}.keras")
    assert len(model.weights) == int(RECORD[f"{name}/weights"])
    outputs = model.predict(_inputs(name), verbose=0)
    outputs = outputs if isinstance(outputs, list) else [outputs]
    expected = [RECORD[k] for k in sorted(RECORD.files) if k.startswith(f"{name}/predict_")]
    assert len(outputs) == len(expected)
    for got, want in zip(outputs, expected):
        np.testing.assert_allclose(got, want, atol=1e-6, rtol=0)


def test_keras_loads_hoarfrost_saves_with_hoarfrost_predictions():
    assert set(REPORT["models"]) == set(MODELS)
    for name, entry in REPORT["models"].items():
        assert entry["weights"] == int(RECORD[f"{name}/weights"]), name
        assert entry["max_abs_diff"] < 1e-6, name
    newer = REPORT["models"]["newer"]  # trained on in hoarfrost, then read by Keras
    assert newer["iterations"] == newer["expected_iterations"] == 6
