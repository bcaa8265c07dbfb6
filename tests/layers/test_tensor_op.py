"""Operators and `ops` on symbolic tensors become graph nodes (Keras 3's functional API)."""

import numpy as np
import pytest

from hoarfrost import Input, Model, layers, ops
from hoarfrost.layers import TensorOp
from hoarfrost.layers.tensor_op import ALLOWED_OPS
from hoarfrost.saving import load_model

X = np.random.default_rng(0).random((3, 5, 4)).astype("float32")


def _residual_model():
    inputs = Input((5, 4))
    hidden = layers.Dense(4)(inputs)
    mixed = 0.5 * (hidden + inputs) - 1.0          # reflected and plain operators
    pooled = ops.mean(mixed, axis=1) + mixed[:, 0]  # an op with keywords, indexing
    outputs = layers.Dense(2)(-pooled / 2.0 + abs(pooled) ** 2)
    return Model(inputs, outputs)


def _by_hand(model, x):
    dense, head = model.get_layer("dense"), [layer for layer in model.layers
                                             if isinstance(layer, layers.Dense)][-1]
    hidden = np.asarray(dense(x))
    mixed = 0.5 * (hidden + x) - 1.0
    pooled = mixed.mean(axis=1) + mixed[:, 0]
    return np.asarray(head(-pooled / 2.0 + np.abs(pooled) ** 2))


def test_graph_replays_the_recorded_operations():
    model = _residual_model()
    assert all(isinstance(layer, (layers.Dense, layers.InputLayer, TensorOp))
               for layer in model.layers)
    assert model.output_shape == (None, 2)
    np.testing.assert_allclose(model.predict(X, verbose=0), _by_hand(model, X), rtol=1e-5,
                               atol=1e-6)


def test_model_with_operations_trains_saves_and_loads(tmp_path):
    model = _residual_model()
    model.compile("adam", "mse")
    model.fit(X, np.ones((3, 2), "float32"), epochs=1, verbose=0)
    model.save(tmp_path / "ops.keras")
    loaded = load_model(tmp_path / "ops.keras")
    np.testing.assert_array_equal(loaded.predict(X, verbose=0), model.predict(X, verbose=0))
    assert [layer.name for layer in loaded.layers] == [layer.name for layer in model.layers]


def test_ops_on_arrays_are_unchanged():
    np.testing.assert_allclose(np.asarray(ops.mean(X, axis=1)), X.mean(axis=1), rtol=1e-6)


def test_arguments_that_can_not_be_recorded_name_themselves():
    with pytest.raises(TypeError, match="can not record argument"):
        ops.where(Input((3,)) > 0, object(), 1.0)


def test_iterating_a_symbolic_tensor_fails_at_once():
    with pytest.raises(TypeError, match="Iterating over a symbolic tensor"):
        list(Input((3,)))


def test_operations_outside_the_allowlist_are_refused_by_name():
    with pytest.raises(ValueError, match=r"A TensorOp layer: operation 'load' is not"):
        TensorOp("load", [[], {}])
    with pytest.raises(ValueError, match=r"TensorOp layer \"evil\": operation 'save' is not"):
        TensorOp.from_config({"name": "evil", "op": "save", "arguments": [[], {}]})
    with pytest.raises(ValueError, match=r"operation \['mean'\] is not"):
        TensorOp.from_config({"name": "odd", "op": ["mean"], "arguments": [[], {}]})
    assert {"add", "matmul", "mean", "getitem", "where"} <= ALLOWED_OPS
    assert not {"load", "save", "fromfile", "cond", "while_loop"} & ALLOWED_OPS
