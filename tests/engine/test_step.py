"""`predict` joins the batches' outputs along their first axis, as Keras does.

Keras 3 (`backend/jax/trainer.py` `predict`) calls `np.concatenate` on each
output's per-batch arrays, so an output whose first dimension is not the batch
(`ops.reshape(x, (-1, 2))`) comes back with the rows of every batch; a scalar
output cannot be joined (Keras's JAX trainer raises "zero-dimensional arrays
cannot be concatenated"), and hoarfrost names the output instead.
"""

import numpy as np
import pytest

import hoarfrost as keras
from hoarfrost import layers, ops

X = np.arange(40, dtype="float32").reshape(10, 4)


def pairs_model():
    inputs = keras.Input((4,))
    return keras.Model(inputs, layers.Lambda(lambda x: ops.reshape(x, (-1, 2)))(inputs))


@pytest.mark.parametrize("batch_size", [32, 4, 3, 1])
def test_output_without_batch_axis_concatenates_rows(batch_size):
    """Keras gives (20, 2) for every batch size: each batch's 2*b rows, in order."""
    out = pairs_model().predict(X, batch_size=batch_size, verbose=0)
    np.testing.assert_array_equal(out, X.reshape(-1, 2))


def test_output_without_batch_axis_beside_a_batch_output():
    """Per-batch reductions with keepdims: one row per batch (Keras: (3, 4) and (10, 1))."""
    inputs = keras.Input((4,))
    summed = layers.Lambda(lambda x: ops.sum(x, axis=0, keepdims=True))(inputs)
    model = keras.Model(inputs, [summed, layers.Dense(1)(inputs)])
    first, second = model.predict(X, batch_size=4, verbose=0)
    np.testing.assert_array_equal(first, np.stack([X[0:4].sum(0), X[4:8].sum(0),
                                                   X[8:].sum(0)]))
    assert second.shape == (10, 1)


def test_predict_on_batch_and_steps_per_execution():
    model = pairs_model()
    np.testing.assert_array_equal(model.predict_on_batch(X), X.reshape(-1, 2))
    model.compile(loss="mse", steps_per_execution=2)
    np.testing.assert_array_equal(model.predict(X, batch_size=3, verbose=0), X.reshape(-1, 2))


class Pairs(keras.Sequential):
    """A custom `predict_step` whose output is not batch-major."""

    def predict_step(self, state, data):
        x, _, _ = keras.utils.unpack_x_y_sample_weight(data)
        outputs, non_trainable = self.stateless_call(state[0], state[1], x, training=False)
        return ops.reshape(outputs, (-1, 2)), non_trainable


def test_custom_predict_step_output_without_batch_axis():
    model = Pairs([keras.Input((4,)), layers.Identity()])
    np.testing.assert_array_equal(model.predict(X, batch_size=4, verbose=0), X.reshape(-1, 2))


def test_scalar_output_names_the_output():
    inputs = keras.Input((4,))
    model = keras.Model(inputs, layers.Lambda(lambda x: ops.sum(x), name="total")(inputs))
    with pytest.raises(ValueError, match=r"output 'total' is a scalar"):
        model.predict(X, batch_size=4, verbose=0)
