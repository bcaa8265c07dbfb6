"""`Layer` behaviour every layer shares: activity regularization, the own-flag setter."""

import numpy as np
import pytest

from hoarfrost import Sequential, layers, regularizers
from hoarfrost.variables import StatelessScope

X = np.random.default_rng(0).normal(size=(4, 5, 3)).astype("float32")


@pytest.mark.parametrize("make, inputs", [
    (lambda r: layers.Dense(2, activity_regularizer=r), X[:, 0]),
    (lambda r: layers.Conv1D(2, 3, activity_regularizer=r), X),
    (lambda r: layers.Embedding(7, 2, activity_regularizer=r), np.arange(8).reshape(4, 2) % 7),
    (lambda r: layers.SimpleRNN(2, return_state=True, activity_regularizer=r), X),
])
def test_activity_regularizer_adds_each_outputs_penalty_over_the_batch(make, inputs):
    """Keras's rule: `regularizer(output) / batch_size`, for every output (and state)."""
    layer = make(regularizers.L2(0.1))
    with StatelessScope() as scope:
        outputs = layer(inputs)
    flat = outputs if isinstance(outputs, (list, tuple)) else [outputs]
    expected = [0.1 * np.sum(np.square(np.asarray(o))) / 4 for o in flat]
    np.testing.assert_allclose(np.asarray(scope.losses), expected, rtol=1e-5)
    with StatelessScope() as plain:
        make(None)(inputs)
    assert plain.losses == []


def test_set_trainable_own_flag_only():
    model = Sequential([layers.Dense(2, input_dim=3), layers.Dense(1)])
    model.trainable = False
    model.set_trainable(True, recursive=False)
    assert model.trainable and not any(layer.trainable for layer in model.layers)
    assert model.trainable_weights == []  # the layers inside are still frozen
    model.set_trainable(True)
    assert all(layer.trainable for layer in model.layers) and len(model.trainable_weights) == 4


class _Penalized(layers.Layer):
    """Adds the mean of its input as a loss, and holds a regularized Dense."""

    def __init__(self):
        super().__init__()
        self.dense = layers.Dense(2, kernel_regularizer=regularizers.L2(0.5))

    def call(self, inputs):
        self.add_loss(inputs.mean())
        return self.dense(inputs)


def test_losses_after_an_eager_call_and_add_loss_outside_a_step():
    """As Keras: `losses` lists the last call's `add_loss` values (sublayers' too), then
    the trainable weights' penalties; a value added outside a call is listed until the
    next call; a frozen weight's penalty is not listed."""
    layer = _Penalized()
    x = X[:, 0]
    layer(x)
    kernel = np.asarray(layer.dense.kernel.value)
    penalty = 0.5 * np.sum(kernel ** 2)
    np.testing.assert_allclose([float(v) for v in layer.losses], [x.mean(), penalty],
                               rtol=1e-5)
    np.testing.assert_allclose([float(v) for v in layer.dense.losses], [penalty], rtol=1e-5)
    layer.add_loss(3.0)
    assert [float(v) for v in layer.losses][-2:] == [3.0, pytest.approx(penalty, rel=1e-5)]
    layer(x)  # a new call: the earlier values go
    assert len(layer.losses) == 2
    layer.dense.trainable = False
    np.testing.assert_allclose([float(v) for v in layer.losses], [x.mean()], rtol=1e-5)
