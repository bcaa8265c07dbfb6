"""Merge layers: called on lists of tensors, eagerly and in functional models."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hoarfrost import Input, Model, layers
from hoarfrost.layers import merging
from hoarfrost.layers.merging import (Add, Average, Concatenate, Maximum, Minimum, Multiply,
                                      Subtract)
from hoarfrost.saving import load_model

from tests.layers.harness import check_keras_fixture

REDUCE = {Add: np.add, Multiply: np.multiply, Maximum: np.maximum, Minimum: np.minimum}


def arrays(*shapes, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.normal(size=s).astype("float32") for s in shapes]


def run_merge_test(cls, kwargs, shapes, expected):
    """The merge analogue of run_layer_test: symbolic vs eager, counts, config."""
    xs = arrays(*shapes)
    layer = cls(**kwargs)
    inputs = [Input(shape=s[1:]) for s in shapes]
    symbolic = layer(inputs)
    assert symbolic.shape == (None,) + tuple(expected[1:])
    assert tuple(layer(xs).shape) == tuple(expected)
    assert tuple(layer(tuple(xs)).shape) == tuple(expected)  # a tuple is a list of inputs
    assert layer.weights == [] and layer.count_params() == 0
    config = layer.get_config()
    clone = cls.from_config(config)
    assert clone.get_config() == config
    np.testing.assert_array_equal(np.asarray(clone(xs)), np.asarray(layer(xs)))
    model = Model(inputs, symbolic)
    np.testing.assert_allclose(model.predict(xs, verbose=0), np.asarray(layer(xs)), rtol=1e-6)
    return layer


@pytest.mark.parametrize("cls", [Add, Multiply, Average, Maximum, Minimum])
def test_elementwise_merges(cls):
    run_merge_test(cls, {}, [(2, 3), (2, 3), (2, 3)], (2, 3))


def test_subtract():
    a, b = arrays((2, 3), (2, 3))
    layer = run_merge_test(Subtract, {}, [(2, 3), (2, 3)], (2, 3))
    np.testing.assert_array_equal(np.asarray(layer([a, b])), a - b)
    with pytest.raises(ValueError, match=r'"sub".*exactly 2 inputs'):
        Subtract(name="sub")([a, b, a])


def test_concatenate():
    run_merge_test(Concatenate, {}, [(2, 3), (2, 4)], (2, 7))
    run_merge_test(Concatenate, {"axis": 1}, [(2, 1, 4), (2, 3, 4)], (2, 4, 4))


def test_broadcasting_and_lower_rank_inputs_follow_keras():
    run_merge_test(Add, {}, [(2, 3, 4), (2, 1, 4)], (2, 3, 4))
    a, b = arrays((2, 4), (2, 3, 4))
    out = np.asarray(Multiply()([a, b]))
    np.testing.assert_allclose(out, a[:, None, :] * b, rtol=1e-6)  # new axis after batch


@pytest.mark.parametrize("name,cls", [
    ("merge_add", Add), ("merge_multiply", Multiply), ("merge_average", Average),
    ("merge_maximum", Maximum), ("merge_minimum", Minimum), ("merge_subtract", Subtract),
    ("merge_concatenate", Concatenate), ("merge_concatenate_axis1", Concatenate),
    ("merge_add_broadcast", Add), ("merge_multiply_ranks", Multiply)])
def test_matches_keras(name, cls):
    check_keras_fixture(name, cls=cls, rtol=0, atol=0)


def test_functional_model_with_merges_trains_and_saves(tmp_path):
    a, b = Input((4,), name="a"), Input((2,), name="b")
    ha = layers.Dense(3, name="da")(a)
    hb = layers.Dense(3, name="db")(b)
    merged = merging.concatenate([merging.add([ha, hb]), merging.multiply([ha, hb]), b])
    assert merged.shape == (None, 8)
    out = layers.Dense(1)(merging.maximum([merged, merging.subtract([merged, merged])]))
    model = Model([a, b], out)
    model.compile(optimizer="adam", loss="mse")
    xa, xb, y = arrays((16, 4), (16, 2), (16, 1))
    before = model.get_layer("da").kernel.numpy()
    model.fit([xa, xb], y, epochs=1, batch_size=8, verbose=0)
    assert not np.array_equal(before, model.get_layer("da").kernel.numpy())
    path = tmp_path / "merge.keras"
    model.save(path)
    custom = {c.__name__: c for c in (Add, Multiply, Concatenate, Maximum, Subtract)}
    loaded = load_model(path, custom_objects=custom)
    np.testing.assert_allclose(loaded.predict([xa, xb], verbose=0),
                               model.predict([xa, xb], verbose=0), rtol=1e-6)


@settings(max_examples=10, deadline=None)
@given(n=st.integers(1, 4), shape=st.lists(st.integers(1, 4), min_size=1, max_size=3),
       which=st.sampled_from(sorted(REDUCE, key=lambda c: c.__name__)), data=st.data())
def test_elementwise_merges_fuzzed(n, shape, which, data):
    # Some axes of some inputs are 1 (broadcast), as NumPy broadcasting allows.
    shapes = [(2,) + tuple(d if data.draw(st.booleans()) else 1 for d in shape)
              for _ in range(n)]
    xs = arrays(*shapes, seed=len(shapes))
    want = xs[0]
    for x in xs[1:]:
        want = REDUCE[which](want, x)
    got = which()(xs)
    np.testing.assert_allclose(np.asarray(got), want, rtol=1e-6)
    symbolic = which()([Input(s[1:]) for s in shapes])
    assert symbolic.shape == (None,) + want.shape[1:]


def test_bad_inputs_name_the_layer():
    a, b = arrays((2, 3), (2, 4))
    with pytest.raises(ValueError, match=r'"add_x".*list'):
        Add(name="add_x")(a)
    with pytest.raises(ValueError, match=r'"add_y".*incompatible shapes.*\(None, 3\).*\(None, 4\)'):
        Add(name="add_y")([a, b])
    with pytest.raises(ValueError, match=r'"cat".*matching shapes.*axis 1'):
        Concatenate(axis=1, name="cat")([Input((2, 3)), Input((4, 5))])
    with pytest.raises(ValueError, match=r'"avg".*different batch sizes'):
        Average(name="avg")([a, np.ones((3, 3), np.float32)])
    with pytest.raises(ValueError, match=r'"cat2".*different batch sizes'):
        Concatenate(name="cat2")([a, b[:1]])
    with pytest.raises(ValueError, match=r'"sub2".*at least 2'):
        Subtract(name="sub2")([Input((3,))])
