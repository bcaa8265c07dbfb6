"""The top-level `hoarfrost` namespace and the small namespaces hold Keras 3's names."""

import json
from pathlib import Path

import pytest

import hoarfrost

KERAS = json.loads((Path(__file__).parent / "fixtures" / "keras_namespaces.json").read_text())


def test_every_keras_name_of_the_small_namespaces_exists():
    for space in ("activations", "backend", "config", "constraints", "initializers", "random",
                  "tree"):
        module = getattr(hoarfrost, space)
        missing = [name for name in KERAS[space] if not hasattr(module, name)]
        assert not missing, f"hoarfrost.{space} lacks {missing}"


def test_top_level_names_are_the_library_objects():
    assert {"Loss", "Metric", "Optimizer", "Initializer", "Regularizer", "InputSpec",
            "KerasTensor", "Input", "Layer", "Model", "Sequential", "Variable", "ops", "random",
            "tree", "config", "constraints", "backend", "StatelessScope",
            "DTypePolicy"} <= set(KERAS["keras"])
    assert hoarfrost.Loss is hoarfrost.losses.Loss
    assert hoarfrost.Metric is hoarfrost.metrics.Metric
    assert hoarfrost.Optimizer is hoarfrost.optimizers.Optimizer
    assert hoarfrost.Initializer is hoarfrost.initializers.Initializer
    assert hoarfrost.Regularizer is hoarfrost.regularizers.Regularizer
    assert hoarfrost.InputSpec is hoarfrost.layers.InputSpec
    assert hoarfrost.KerasTensor is type(hoarfrost.Input((2,)))
    assert isinstance(hoarfrost.optimizers.Adam(), hoarfrost.Optimizer)
    assert isinstance(hoarfrost.losses.MeanSquaredError(), hoarfrost.Loss)
    assert isinstance(hoarfrost.initializers.get("zeros"), hoarfrost.Initializer)
    assert hoarfrost.version() == hoarfrost.__version__
    with hoarfrost.device("cpu"):
        assert hoarfrost.random.uniform((2,), seed=0).devices() == {
            __import__("jax").devices("cpu")[0]}


def test_plain_import_exposes_keras_top_level_submodules():
    """`import keras` alone gives `keras.preprocessing.*` and `keras.export.*` (the weather
    forecasting guide calls `keras.preprocessing.timeseries_dataset_from_array`); a fresh
    interpreter, so no other test's import can hide a missing one."""
    import subprocess
    import sys

    code = ("import hoarfrost as keras\n"
            "assert callable(keras.preprocessing.timeseries_dataset_from_array)\n"
            "assert callable(keras.preprocessing.image_dataset_from_directory)\n"
            "assert hasattr(keras.export, 'ExportArchive')\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_keras_namespaces_hoarfrost_lacks_say_so():
    """`keras.wrappers`, `keras.visualization`, `keras.distillation`: an AttributeError
    naming the namespace and what is missing, not a bare one."""
    import hoarfrost
    for name in ("wrappers", "visualization", "distillation"):
        with pytest.raises(AttributeError, match=f"no `{name}` namespace.*not implemented"):
            getattr(hoarfrost, name)
    with pytest.raises(AttributeError, match="has no attribute 'nothing_here'"):
        hoarfrost.nothing_here  # noqa: B018
