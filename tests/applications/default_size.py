"""Shared checks of the application tests: a model at Keras's default size against
Keras's numbers, and `weights="imagenet"` offline naming Keras's file and URL."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest

import hoarfrost
from hoarfrost.applications import WeightsUnavailableError


def check_against_keras(constructor, input_shape, include_top, count, trainable, n_layers,
                        names_hash, name) -> None:
    """Parameter counts, model name, and sha256(json.dumps(sorted layer names))[:16],
    as recorded from Keras 3 after keras.backend.clear_session()."""
    hoarfrost.backend.clear_session()  # unnamed layers are numbered per session, as in Keras
    model = constructor(weights=None, include_top=include_top, input_shape=input_shape)
    assert model.name == name
    assert model.count_params() == count
    assert sum(int(np.prod(w.shape)) for w in model.trainable_weights) == trainable
    names = sorted(layer.name for layer in model.layers)
    assert len(names) == n_layers
    assert hashlib.sha256(json.dumps(names).encode()).hexdigest()[:16] == names_hash


def check_offline_error(tmp_path, monkeypatch, build, url: str) -> None:
    """With empty caches and nothing to download, `build()` raises naming `url`."""
    monkeypatch.setenv("HOARFROST_HOME", str(tmp_path / "hoarfrost"))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.setenv("HOARFROST_WEIGHTS_ORIGIN", (tmp_path / "origin").as_uri())
    (tmp_path / "origin").mkdir()
    with pytest.raises(WeightsUnavailableError) as error:
        build()
    assert url in str(error.value)
    assert url.rsplit("/", 1)[-1] in str(error.value)
