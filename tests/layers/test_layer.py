"""`Layer` behaviour every layer shares: Layer.stateless_call (equal to Keras 3's), calls
traced with symbolic shapes, activity regularization, the own-flag setter."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import hoarfrost
from hoarfrost import Sequential, layers, regularizers
from hoarfrost.variables import StatelessScope

from tests.layers.harness import FIXTURES


def _keras_model():
    """The model of tools/keras_fixtures/stateless_call.py, with Keras's weights."""
    keras = dict(np.load(FIXTURES / "stateless_call.npz"))
    inputs = hoarfrost.Input((3,))
    x = layers.Dense(4, name="frozen")(inputs)
    x = layers.Dense(5, kernel_regularizer=regularizers.L2(0.01),
                     activity_regularizer=regularizers.L1(0.001), name="dense")(x)
    x = layers.BatchNormalization(momentum=0.9, name="bn")(x)
    model = hoarfrost.Model(inputs, layers.Dense(2, name="head")(x))
    model.get_layer("frozen").trainable = False
    model.set_weights([keras[f"weight_{i}"] for i in range(int(keras["num_weights"]))])
    return model, keras


def _values(variables):
    return [v.value for v in variables]


def test_stateless_call_equals_keras():
    model, keras = _keras_model()
    assert [v.path for v in model.trainable_variables] == list(keras["trainable_paths"])
    assert [v.path for v in model.non_trainable_variables] == list(keras["non_trainable_paths"])
    before = model.get_weights()
    tv, ntv = _values(model.trainable_variables), _values(model.non_trainable_variables)

    out, new_ntv, losses = model.stateless_call(tv, ntv, keras["x"], training=True,
                                                return_losses=True)
    np.testing.assert_allclose(out, keras["out_train"], rtol=1e-5, atol=1e-6)
    for i, value in enumerate(new_ntv):  # the moving statistics moved, the frozen Dense not
        np.testing.assert_allclose(value, keras[f"ntv_train_{i}"], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose([float(loss) for loss in losses], keras["losses"], rtol=1e-5)

    out, new_ntv = model.stateless_call(tv, ntv, keras["x"], training=False)
    np.testing.assert_allclose(out, keras["out_infer"], rtol=1e-5, atol=1e-6)
    for i, value in enumerate(new_ntv):
        np.testing.assert_array_equal(value, keras[f"ntv_infer_{i}"])
    for now, then in zip(model.get_weights(), before):  # no side effect
        np.testing.assert_array_equal(now, then)


def test_stateless_call_is_a_pure_function_for_jit_and_grad():
    """A custom training step on stateless_call: gradients for the trainable values only,
    new moving statistics returned, the model's own variables untouched."""
    model, keras = _keras_model()
    before = model.get_weights()
    x, y = jnp.asarray(keras["x"]), jnp.ones((6, 2))

    @jax.jit
    def step(tv, ntv):
        def loss_fn(tv):
            out, new_ntv, losses = model.stateless_call(tv, ntv, x, training=True,
                                                        return_losses=True)
            return jnp.mean((out - y) ** 2) + sum(losses), new_ntv
        (loss, new_ntv), grads = jax.value_and_grad(loss_fn, has_aux=True)(tv)
        return [v - 0.1 * g for v, g in zip(tv, grads)], new_ntv, loss

    tv, ntv = _values(model.trainable_variables), _values(model.non_trainable_variables)
    new_tv, new_ntv, loss = step(tv, ntv)
    assert all(not np.array_equal(a, b) for a, b in zip(new_tv, tv))
    np.testing.assert_allclose(new_ntv[2], keras["ntv_train_2"], rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(new_ntv[0], ntv[0])  # the frozen kernel, bit for bit
    for now, then in zip(model.get_weights(), before):
        np.testing.assert_array_equal(now, then)


def test_stateless_call_random_layers_take_the_key():
    inputs = hoarfrost.Input((64,))
    model = hoarfrost.Model(inputs, layers.Dropout(0.5)(inputs))
    x = jnp.ones((2, 64))
    call = jax.jit(lambda key: model.stateless_call([], [], x, training=True, rng=key)[0])
    first, second = call(jax.random.key(0)), call(jax.random.key(1))
    assert not np.array_equal(first, second)
    np.testing.assert_array_equal(first, call(jax.random.key(0)))
    with pytest.raises(ValueError, match="rng=jax.random.key"):
        jax.jit(lambda x: model.stateless_call([], [], x, training=True)[0])(x)
    eager, _ = model.stateless_call([], [], x, training=True)  # the global stream
    assert 0 < int(jnp.sum(eager == 0)) < 128


def test_stateless_call_checks_its_arguments():
    dense = layers.Dense(2)
    with pytest.raises(ValueError, match="must be built"):
        dense.stateless_call([], [], jnp.ones((1, 3)))
    dense.build((None, 3))
    with pytest.raises(ValueError, match="`trainable_variables`.*length 1, but expected 2"):
        dense.stateless_call([dense.kernel.value], [], jnp.ones((1, 3)))
    out, ntv = dense.stateless_call([jnp.ones((3, 2)), jnp.zeros(2)], [], jnp.ones((1, 3)))
    np.testing.assert_array_equal(out, [[3.0, 3.0]])
    assert ntv == []


def test_call_traced_with_a_symbolic_batch_size():
    """jax.export traces with symbolic dimensions; layers build and run on them."""
    inputs = hoarfrost.Input((8, 8, 3))
    x = layers.Conv2D(4, 3)(inputs)
    x = layers.BatchNormalization()(x)
    x = layers.MaxPooling2D()(x)
    model = hoarfrost.Model(inputs, layers.Dense(2)(layers.Flatten()(x)))
    fresh = layers.Dense(3)  # built during the trace, from a symbolic shape
    variables = model.weights

    def forward(x):
        return fresh(model.stateless_call(_values(model.trainable_variables),
                                          _values(model.non_trainable_variables), x)[0])

    batch, = jax.export.symbolic_shape("batch")
    exported = jax.export.export(jax.jit(forward))(
        jax.ShapeDtypeStruct((batch, 8, 8, 3), jnp.float32))
    assert str(exported.out_avals[0].shape) == "(batch, 3)"
    assert fresh.kernel.shape == (2, 3)
    x = np.random.default_rng(0).normal(size=(5, 8, 8, 3)).astype("float32")
    np.testing.assert_allclose(exported.call(x), fresh(model(x)), rtol=1e-5, atol=1e-6)
    assert variables == model.weights


def test_unknown_spatial_sizes_stay_unknown_through_convs_and_pools():
    """Keras: `Input((None, None, 3))` -> Conv2D -> MaxPooling2D has unknown sizes, and the
    model runs on any image size (unknown axes are evaluated symbolically, not at a
    stand-in size that a pool could map to a wrong constant)."""
    from hoarfrost import Input, Model, layers
    x = Input((None, None, 3))
    y = layers.MaxPooling2D(2)(layers.Conv2D(4, 3)(x))
    assert y.shape == (None, None, None, 4)
    model = Model(x, layers.Dense(2)(layers.GlobalAveragePooling2D()(y)))
    for size in [(17, 9), (8, 30)]:
        assert model(np.zeros((1,) + size + (3,), np.float32)).shape == (1, 2)
    a, b = Input((None, 4)), Input((None, 4))
    assert layers.Add()([a, b]).shape == (None, None, 4)
    assert layers.Concatenate(axis=1)([a, b]).shape == (None, None, 4)
    assert layers.Reshape((-1, 2))(Input((6,))).shape == (None, 3, 2)


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


def test_stateless_call_returns_added_losses_as_a_list():
    """return_losses=True gives `self.losses`, a Python list (Keras 3 too), so the JAX guide's
    `jax.numpy.sum(losses)` raises the same TypeError in both; `sum(losses)` is the sum."""
    class Activity(layers.Layer):
        def call(self, inputs):
            self.add_loss(1e-2 * jnp.sum(inputs))
            return inputs

    inputs = hoarfrost.Input((4,))
    model = hoarfrost.Model(inputs, Activity()(layers.Dense(3)(inputs)))
    x = np.ones((2, 4), "float32")
    out, _, losses = model.stateless_call(_values(model.trainable_variables), [], x,
                                          return_losses=True)
    assert type(losses) is list and len(losses) == 1
    np.testing.assert_allclose(float(losses[0]), 1e-2 * float(jnp.sum(out)), rtol=1e-6)
    with pytest.raises(TypeError, match="sum requires ndarray or scalar arguments"):
        jnp.sum(losses)


def test_training_reaches_call_only_when_call_takes_it():
    """Keras 3: `__call__` drops `training=` for a `call(self, data)`; stateless_call passes
    its keyword arguments to `call` unchanged, so an explicit training= is a TypeError there."""
    class NoTraining(hoarfrost.Model):
        def __init__(self):
            super().__init__()
            self.dense = layers.Dense(2)

        def call(self, data):
            return self.dense(data)

    model, x = NoTraining(), np.ones((2, 3), "float32")
    np.testing.assert_array_equal(model(x, training=True), model(x))
    tv = _values(model.trainable_variables)
    out, _ = model.stateless_call(tv, [], x)
    np.testing.assert_allclose(out, model(x), rtol=1e-6)
    with pytest.raises(TypeError, match="unexpected keyword argument 'training'"):
        model.stateless_call(tv, [], x, training=True)
