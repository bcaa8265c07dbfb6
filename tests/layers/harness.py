"""One harness for every layer (the Keras `run_layer_test` idea).

`run_layer_test` (one input) and `run_multi_input_layer_test` (several)
check that symbolic and eager output shapes agree, the trainable /
non-trainable / total counts, that freezing moves the counts and keeps values
bit-identical under `fit`, the `get_config` round trip and the
`get_weights`/`set_weights` round trip. `check_keras_fixture` replays a Keras
fixture (positional inputs); `check_named_fixture` one recorded by
tools/keras_fixtures/extra_layers.py in its `record` format (the layer called
with named arguments, e.g. `mha(query=..., value=..., attention_mask=...)`);
`assert_config_keys` checks a config has the keys of Keras's.
"""

from __future__ import annotations

import json
from pathlib import Path

import jax
import numpy as np

from hoarfrost import Input, Model, layers
from hoarfrost.summary import count_params


def run_layer_test(layer_cls, init_kwargs: dict, input_shape: tuple, expected_output_shape,
                   expected_trainable: int, expected_non_trainable: int = 0,
                   input_dtype="float32", train: bool = True):
    """Run every generic check on `layer_cls(**init_kwargs)`; returns the layer."""
    rng = np.random.default_rng(0)
    if np.issubdtype(np.dtype(input_dtype), np.integer):
        x = rng.integers(0, 5, size=input_shape).astype(input_dtype)
    else:
        x = rng.normal(size=input_shape).astype(input_dtype)

    # Symbolic and eager shapes agree.
    layer = layer_cls(**init_kwargs)
    inputs = Input(shape=input_shape[1:], dtype=input_dtype)
    symbolic = layer(inputs)
    assert symbolic.shape == (None,) + tuple(expected_output_shape[1:])
    eager = layer(x)
    assert tuple(eager.shape) == tuple(expected_output_shape)

    # Counts.
    count = lambda ws: sum(int(np.prod(w.shape)) for w in ws)  # noqa: E731
    assert count(layer.trainable_weights) == expected_trainable
    assert count(layer.non_trainable_weights) == expected_non_trainable
    assert layer.count_params() == expected_trainable + expected_non_trainable

    # get_config round trip: same config, same computation with the same weights.
    config = layer.get_config()
    clone = layer_cls.from_config(config)
    assert clone.get_config() == config
    clone(x)
    clone.set_weights(layer.get_weights())
    np.testing.assert_array_equal(np.asarray(clone(x)), np.asarray(layer(x)))

    # get_weights / set_weights round trip.
    values = [rng.normal(size=w.shape).astype(w.dtype) for w in layer.weights]
    layer.set_weights(values)
    for got, want in zip(layer.get_weights(), values):
        assert np.array_equal(got, want)

    if train:
        check_freezing_under_fit(layer, inputs, symbolic, x, expected_output_shape,
                                 expected_trainable, expected_non_trainable, rng)
    return layer


def check_freezing_under_fit(layer, inputs, symbolic, x, output_shape, expected_trainable,
                             expected_non_trainable, rng) -> None:
    """Freezing moves the counts and keeps the values bit-identical under fit."""
    model = Model(inputs, layers.Flatten()(symbolic))
    samples = len(jax.tree.leaves(x)[0])
    y = rng.normal(size=(samples, int(np.prod(output_shape[1:]))))
    model.compile(optimizer="adam", loss="mse")
    layer.trainable = False
    frozen = [w.numpy() for w in layer.weights]
    total = expected_trainable + expected_non_trainable
    assert count_params(model)[1:] == (0, total)
    model.fit(x, y.astype("float32"), epochs=2, batch_size=2, verbose=0)
    for before, w in zip(frozen, layer.weights):
        assert np.array_equal(before, w.numpy()), w.name
    layer.trainable = True
    assert count_params(model)[1] == expected_trainable


FIXTURES = Path(__file__).resolve().parent / "fixtures"


def check_keras_fixture(name: str, rtol: float = 1e-5, atol: float = 1e-5, cls=None):
    """Load a Keras fixture into the hoarfrost layer of the same name and compare.

    The fixture holds Keras's constructor kwargs, inputs, weights (in Keras's
    `get_weights` order, which `set_weights` here must accept unchanged) and
    outputs. `cls` (a class or any callable taking the kwargs) overrides the
    lookup of the class by name in `hoarfrost.layers`. Returns the hoarfrost layer.
    """
    data = np.load(FIXTURES / f"{name}.npz")
    if cls is None:
        cls = getattr(layers, str(data["class_name"]))
    layer = cls(**json.loads(str(data["kwargs"])))
    call_kwargs = json.loads(str(data["call_kwargs"]))
    count = int(data["num_inputs"])
    x = [data[f"input_{i}"] for i in range(count)] if count else data["input_0"]
    layer(x)
    weights = [data[f"weight_{i}"] for i in range(int(data["num_weights"]))]
    assert [tuple(w.shape) for w in layer.weights] == [w.shape for w in weights], (
        "weight shapes/order differ from Keras: "
        f"{[w.path for w in layer.weights]} vs {json.loads(str(data['weight_paths']))}")
    layer.set_weights(weights)
    for mode, training in (("inference", False), ("training", True)):
        if f"num_outputs_{mode}" not in data:
            continue
        out = layer(x, training=training, **call_kwargs)
        outs = list(out) if isinstance(out, (list, tuple)) else [out]
        assert len(outs) == int(data[f"num_outputs_{mode}"])
        for i, o in enumerate(outs):
            np.testing.assert_allclose(np.asarray(o), data[f"output_{mode}_{i}"], rtol=rtol,
                                       atol=atol, err_msg=f"{name} {mode} output {i}")
    return layer


# --- layers called with several inputs or named arguments ---------------------------------
def load(name: str) -> dict:
    with np.load(FIXTURES / f"{name}.npz") as data:
        return {key: data[key] for key in data.files}


def assert_config_keys(layer, name: str) -> None:
    """The layer's config has Keras's keys (hoarfrost always adds `trainable`)."""
    keras_keys = set(json.loads(str(load(name)["config_keys"])))
    ours = set(layer.get_config()) - {"batch_input_shape"}
    assert ours | {"trainable"} == keras_keys | {"trainable"}, (
        f"config keys differ from Keras: extra {sorted(ours - keras_keys)}, "
        f"missing {sorted(keras_keys - ours)}")


def named_inputs(data: dict) -> dict:
    lists = json.loads(str(data.get("input_lists", "{}")))
    inputs = {}
    for key in json.loads(str(data["input_names"])):
        if key in lists:
            inputs[key] = [data[f"in_{key}_{i}"] for i in range(lists[key])]
        else:
            inputs[key] = data[f"in_{key}"]
    return inputs


def check_named_fixture(name: str, layer, rtol: float = 1e-5, atol: float = 1e-5):
    """Build `layer` by calling it as Keras was called, load Keras's weights
    (order and shapes must match) and compare the inference outputs and the
    config keys. Returns the layer."""
    data = load(name)
    inputs = named_inputs(data)
    call_kwargs = json.loads(str(data["call_kwargs"]))
    # Build by abstract evaluation and run the call compiled as one program: one
    # compilation instead of one per operation (eager), so the fixtures stay fast.
    jax.eval_shape(lambda kw: layer(**kw, **call_kwargs), inputs)
    weights = [data[f"weight_{i}"] for i in range(int(data["num_weights"]))]
    assert [tuple(w.shape) for w in layer.weights] == [w.shape for w in weights], (
        "weight shapes/order differ from Keras: "
        f"{[w.path for w in layer.weights]} vs {json.loads(str(data['weight_paths']))}")
    layer.set_weights(weights)
    out = jax.jit(lambda kw: layer(**kw, **call_kwargs, training=False))(inputs)
    outs = list(out) if isinstance(out, (list, tuple)) else [out]
    assert len(outs) == int(data["num_outputs_inference"])
    for i, o in enumerate(outs):
        np.testing.assert_allclose(np.asarray(o), data[f"output_inference_{i}"], rtol=rtol,
                                   atol=atol, err_msg=f"{name} output {i}")
    assert_config_keys(layer, name)
    return layer


def run_multi_input_layer_test(layer_cls, init_kwargs: dict, input_shapes: list, call,
                               expected_output_shape, expected_trainable: int,
                               expected_non_trainable: int = 0, train: bool = True):
    """`run_layer_test` for a layer called as `call(layer, inputs)` on several inputs."""
    rng = np.random.default_rng(0)
    xs = [rng.normal(size=s).astype("float32") for s in input_shapes]
    layer = layer_cls(**init_kwargs)
    inputs = [Input(shape=s[1:]) for s in input_shapes]
    symbolic = call(layer, inputs)
    assert symbolic.shape == (None,) + tuple(expected_output_shape[1:])
    assert tuple(call(layer, xs).shape) == tuple(expected_output_shape)

    count = lambda ws: sum(int(np.prod(w.shape)) for w in ws)  # noqa: E731
    assert count(layer.trainable_weights) == expected_trainable
    assert count(layer.non_trainable_weights) == expected_non_trainable
    assert layer.count_params() == expected_trainable + expected_non_trainable

    config = layer.get_config()
    clone = layer_cls.from_config(json.loads(json.dumps(config)))
    assert json.loads(json.dumps(clone.get_config())) == json.loads(json.dumps(config))
    call(clone, xs)
    clone.set_weights(layer.get_weights())
    np.testing.assert_array_equal(np.asarray(call(clone, xs)), np.asarray(call(layer, xs)))

    values = [rng.normal(size=w.shape).astype(w.dtype) for w in layer.weights]
    layer.set_weights(values)
    for got, want in zip(layer.get_weights(), values):
        assert np.array_equal(got, want)

    if train:
        check_freezing_under_fit(layer, inputs, symbolic, xs, expected_output_shape,
                                 expected_trainable, expected_non_trainable, rng)
    return layer
