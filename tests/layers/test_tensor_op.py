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
    assert [layer.name for layer in loaded._layers] == [layer.name for layer in model._layers]
    # The operations are not layers (Keras's `model.layers`): the input and two Dense.
    assert [type(layer).__name__ for layer in loaded.layers] == ["InputLayer", "Dense", "Dense"]


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
def test_ops_of_every_namespace_record_train_save_and_load(tmp_path):
    inputs = Input((4, 4, 3))
    assert ops.shape(inputs) == (None, 4, 4, 3) and ops.dtype(inputs) == "float32"
    flat = ops.reshape(ops.image.resize(inputs, (2, 2)), (-1, 12))
    probs = ops.nn.softmax(layers.Dense(12)(flat))
    classes = ops.one_hot(ops.argmax(probs, axis=-1), 12)
    model = Model(inputs, ops.concatenate([probs, classes * 0.5], axis=-1))
    assert {layer.op for layer in model._layers if isinstance(layer, TensorOp)} == {
        "image.resize", "reshape", "softmax", "argmax", "one_hot", "multiply", "concatenate"}
    images = np.random.default_rng(1).random((2, 4, 4, 3)).astype("float32")
    dense = model.get_layer("dense")
    logits = dense(ops.reshape(ops.image.resize(images, (2, 2)), (-1, 12)))
    expected_probs = ops.softmax(logits)
    expected = np.concatenate([expected_probs, 0.5 * np.eye(12)[np.argmax(expected_probs, -1)]],
                              -1)
    np.testing.assert_allclose(model.predict(images, verbose=0), expected, rtol=1e-5, atol=1e-6)
    model.save(tmp_path / "namespaces.keras")
    loaded = load_model(tmp_path / "namespaces.keras")
    np.testing.assert_array_equal(loaded.predict(images, verbose=0),
                                  model.predict(images, verbose=0))


def test_keras_tensor_operators_are_keras_ops():
    inputs = Input((4,))
    kept = (inputs != 0) & ~(inputs > 1) | (inputs < -1)
    model = Model(inputs, ops.cast(kept, "float32") + round(inputs * 10, 1) % 3)
    x = np.array([[0.0, 0.5, 2.0, -3.0]], "float32")
    expected = (((x != 0) & ~(x > 1)) | (x < -1)).astype("float32") + np.round(x * 10, 1) % 3
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-6)
    with pytest.raises(TypeError, match="Python bool"):
        bool(inputs > 0)


def test_operations_saved_under_earlier_names_still_load():
    x = np.array([5.0, -1.0], "float32")
    remainder = TensorOp("remainder", [[{"__tensor__": 0}, 3.0], {"__dict__": {}}])
    np.testing.assert_array_equal(remainder([x]), [2.0, 2.0])
    positive = TensorOp("positive", [[{"__tensor__": 0}], {"__dict__": {}}])
    np.testing.assert_array_equal(positive([x]), x)


def test_only_keras_ops_are_resolved():
    for name in ("system", "__import__", "_core.jax", "numpy.load", "image.jax"):
        with pytest.raises(ValueError, match="is not one of the pure array operations"):
            TensorOp(name, [[{"__tensor__": 0}], {"__dict__": {}}])


def test_ops_taking_python_functions_can_not_be_recorded():
    with pytest.raises(TypeError, match="can not record argument"):
        ops.map(np.negative, Input((3,)))


def test_every_recordable_keras_op_is_in_the_allowlist():
    """What a functional model records (ops and Python operators) must load again."""
    from hoarfrost.symbolic import COMPARISONS, OPERATORS, UNARY
    # Ops taking Python functions, and those that answer on the host (no graph node).
    not_recorded = {"associative_scan", "cond", "fori_loop", "map", "scan", "switch",
                    "vectorized_map", "while_loop", "custom_gradient", "jvp", "vectorize",
                    "convert_to_numpy", "dtype", "is_tensor"}
    names = {n for n in ops.__all__ if n not in ("image", "linalg", "nn", "numpy")}
    missing = sorted((names - not_recorded - ALLOWED_OPS)
                     | (set(OPERATORS.values()) | set(COMPARISONS.values())
                        | set(UNARY.values())) - ALLOWED_OPS)
    assert not missing, missing
