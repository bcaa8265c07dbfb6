"""Checks of the fixtures recorded by tools/keras_fixtures/breadth.py.

`check_breadth_fixture` replays one with `harness.check_keras_fixture`
(Keras's weights in Keras's order, inference and training outputs), then
compares the weights after the training call (moving statistics) and the
config keys. Keras's quantization config, which hoarfrost does not have,
is left out of the comparison.
"""

from __future__ import annotations

import json

import numpy as np

from tests.layers.harness import FIXTURES, check_keras_fixture

_NOT_SERIALISED = ("quantization_config",)


def config_keys_match(layer, keras_keys) -> None:
    keras_keys = {k for k in keras_keys if not k.endswith(_NOT_SERIALISED)}
    ours = set(layer.get_config()) - {"batch_input_shape"}
    assert ours | {"trainable"} == keras_keys | {"trainable"}, (
        f"config keys differ from Keras: extra {sorted(ours - keras_keys)}, "
        f"missing {sorted(keras_keys - ours)}")


def check_breadth_fixture(name: str, rtol: float = 1e-5, atol: float = 1e-5, cls=None):
    """Replay fixture `name`; returns the hoarfrost layer (after the training call)."""
    layer = check_keras_fixture(name, rtol=rtol, atol=atol, cls=cls)
    with np.load(FIXTURES / f"{name}.npz") as data:
        after = [data[f"after_training_{i}"] for i in range(int(data["num_weights"]))
                 if f"after_training_{i}" in data]
        keras_keys = json.loads(str(data["config_keys"]))
    for variable, expected in zip(layer.weights, after):
        np.testing.assert_allclose(variable.numpy(), expected, rtol=rtol, atol=atol,
                                   err_msg=f"{name}: {variable.path} after a training call")
    config_keys_match(layer, keras_keys)
    return layer


def replay_preprocessing_fixture(name: str, rtol: float = 1e-5, atol: float = 1e-6):
    """Replay a fixture of tools/keras_fixtures/preprocessing_lookup.py: build the
    layer, adapt it as Keras was adapted, call it, compare outputs (values and
    dtype kind), the vocabulary and the config keys. Returns the layer."""
    import hoarfrost.layers as hf_layers

    with np.load(FIXTURES / f"{name}.npz") as f:
        data = {k: f[k] for k in f.files}
    layer = getattr(hf_layers, str(data["class_name"]))(**json.loads(str(data["kwargs"])))
    if "adapt_0" in data:
        layer.adapt(data["adapt_0"])
    batches = [data[k] for k in sorted(k for k in data if k.startswith("adapt_batch_"))]
    if batches:
        layer.adapt(iter(batches))
    kwargs = json.loads(str(data["call_kwargs"]))
    if "training" in data:
        kwargs["training"] = bool(data["training"])
    out = layer(data["input_0"], **kwargs)
    outs = out if isinstance(out, (list, tuple)) else [out]
    assert len(outs) == int(data["num_outputs"])
    for i, o in enumerate(outs):
        expected, got = data[f"output_{i}"], np.asarray(o)
        assert got.shape == expected.shape, (name, got.shape, expected.shape)
        assert got.dtype.kind == expected.dtype.kind, (name, got.dtype, expected.dtype)
        if expected.dtype.kind == "f":
            np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol, err_msg=name)
        else:
            np.testing.assert_array_equal(got, expected, err_msg=name)
    if "vocabulary" in data:
        assert layer.get_vocabulary() == json.loads(str(data["vocabulary"]))
    config_keys_match(layer, json.loads(str(data["config_keys"])))
    return layer
