"""keras.remat / keras.RematScope: which layers are rematerialized (as Keras 3 selects
them), and that rematerialization changes neither values nor gradients nor state."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import hoarfrost
from hoarfrost import layers
from hoarfrost.rematerialization import RematMode, get_current_remat_mode

X = np.random.RandomState(0).randn(2, 40).astype("float32")


def _checkpoints(layer, x=X) -> int:
    """How many `jax.checkpoint` regions a stateless call of `layer` traces to."""
    if not layer.built:
        layer.build(x.shape)
    trainable = [v.value for v in layer.trainable_variables]
    state = [v.value for v in layer.non_trainable_variables]
    jaxpr = str(jax.make_jaxpr(lambda t, n, a: layer.stateless_call(t, n, a)[0])(
        trainable, state, x))
    return jaxpr.count("checkpoint") + jaxpr.count("remat")


def _four_layers():
    return [layers.Dense(32, activation="relu", name="a"), layers.Dense(64, name="b"),
            layers.Activation("relu", name="c"), layers.LayerNormalization(name="d")]


# Counts measured with Keras 3 (JAX backend) on the same four layers and input:
# Dense(32, relu) -> 64 elements out, Dense(64) -> 128, Activation -> 80, LayerNorm -> 80.
@pytest.mark.parametrize("mode, kwargs, expected", [
    ("full", {}, [1, 1, 1, 1]),
    ("activations", {}, [1, 1, 1, 0]),  # Dense(64) has the linear activation, not None
    ("larger_than", {"output_size_threshold": 100}, [0, 1, 0, 0]),
    ("larger_than", {"output_size_threshold": 60}, [1, 1, 1, 1]),
    ("list_of_layers", {"layer_names": ["b"]}, [0, 1, 0, 0]),
    (None, {}, [0, 0, 0, 0]),
])
def test_scope_selects_layers_as_keras(mode, kwargs, expected):
    with hoarfrost.RematScope(mode=mode, **kwargs):
        made = _four_layers()
    assert [_checkpoints(layer) for layer in made] == expected


def test_scope_applies_at_creation_not_at_call():
    with hoarfrost.RematScope(mode="full"):
        inside = layers.Dense(4)
    outside = layers.Dense(4)
    with hoarfrost.RematScope(mode="full"):
        assert _checkpoints(outside) == 0
    assert _checkpoints(inside) == 1


def test_nested_scopes_and_current_mode():
    assert get_current_remat_mode() is None
    with hoarfrost.RematScope(mode="full"):
        with hoarfrost.RematScope(mode="larger_than", output_size_threshold=512):
            assert get_current_remat_mode() == RematMode("larger_than", 512, [])
        assert get_current_remat_mode() == RematMode("full", 1024, [])
    assert get_current_remat_mode() is None


def test_invalid_mode_raises_keras_message():
    with pytest.raises(ValueError, match="Invalid mode 'everything'. Supported modes are"):
        hoarfrost.RematScope(mode="everything")


def test_model_in_full_scope_nests_checkpoints_as_keras():
    with hoarfrost.RematScope(mode="full"):
        model = hoarfrost.Sequential([hoarfrost.Input((40,)), layers.Dense(16, activation="relu"),
                                      layers.Dense(1)])
    assert _checkpoints(model) == 3  # the model's call and each layer's (Keras: 3)


def _twin_models(remat_mode, batch_norm=True):
    """The same model (same seeds, so same weights) built without and with a RematScope."""
    def build():
        hoarfrost.utils.set_random_seed(0)
        return hoarfrost.Sequential(
            [hoarfrost.Input((8,)), layers.Dense(16, activation="relu")]
            + ([layers.BatchNormalization()] if batch_norm else [])
            + [layers.Dropout(0.25, seed=3), layers.Dense(1, activity_regularizer="l2")])
    plain = build()
    with hoarfrost.RematScope(mode=remat_mode):
        remat = build()
    return plain, remat


def _assert_equal(a, b, exact):
    """Bit for bit where the checkpointed program is the same XLA computation; with a
    BatchNormalization XLA fuses the recomputed normalization differently in the
    backward pass, so the gradients may differ in the last bit (allclose)."""
    a, b = np.asarray(a), np.asarray(b)
    if exact:
        assert np.array_equal(a, b)
    else:
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("batch_norm", [False, True])
@pytest.mark.parametrize("mode", ["full", "activations", "larger_than"])
def test_values_and_gradients_equal_without_remat(mode, batch_norm):
    plain, remat = _twin_models(mode, batch_norm)
    x = jnp.asarray(np.random.RandomState(1).randn(16, 8), jnp.float32)

    def loss_and_state(model, trainable, state):
        out, new_state, losses = model.stateless_call(
            trainable, state, x, training=True, return_losses=True, rng=jax.random.key(7))
        return jnp.mean(out ** 2) + sum(losses), new_state

    results = []
    for model in (plain, remat):
        trainable = [v.value for v in model.trainable_variables]
        state = [v.value for v in model.non_trainable_variables]
        fn = jax.jit(jax.value_and_grad(lambda t, n, m=model: loss_and_state(m, t, n),
                                        has_aux=True))
        results.append(fn(trainable, state))
    for a, b in zip(jax.tree.leaves(results[0]), jax.tree.leaves(results[1])):
        _assert_equal(a, b, exact=not batch_norm)


@pytest.mark.parametrize("batch_norm", [False, True])
def test_fit_with_state_and_randomness_equals_without_remat(batch_norm):
    """BatchNormalization's moving statistics, Dropout's seed state and the activity
    loss are assigned/added inside the checkpoint: they come out of it, unleaked."""
    plain, remat = _twin_models("full", batch_norm)
    x = np.random.RandomState(1).randn(32, 8).astype("float32")
    y = np.random.RandomState(2).randn(32, 1).astype("float32")
    histories = []
    for model in (plain, remat):
        model.compile(optimizer="sgd", loss="mse")
        hoarfrost.utils.set_random_seed(1)  # the same training keys for both fits
        histories.append(model.fit(x, y, batch_size=8, epochs=2, verbose=0,
                                   shuffle=False).history["loss"])
    _assert_equal(histories[0], histories[1], exact=not batch_norm)
    assert len(plain.weights) == len(remat.weights)
    for a, b in zip(plain.weights, remat.weights):
        _assert_equal(a.value, b.value, exact=not batch_norm)


def test_eager_call_updates_state_as_without_remat():
    plain, remat = _twin_models("full")
    x = np.random.RandomState(1).randn(16, 8).astype("float32")
    out_a, out_b = plain(x, training=True), remat(x, training=True)
    assert np.array_equal(np.asarray(out_a), np.asarray(out_b))
    for a, b in zip(plain.weights, remat.weights):
        assert not isinstance(b.value, jax.core.Tracer)
        assert np.array_equal(np.asarray(a.value), np.asarray(b.value))
    assert np.array_equal(np.asarray(plain.losses[0]), np.asarray(remat.losses[0]))


def test_remat_function_value_and_gradient():
    def f(x, scale, training=False):
        y = jnp.sin(x) * scale
        return y * 2 if training else y

    wrapped = hoarfrost.remat(f)
    x = jnp.linspace(0.0, 1.0, 5)
    assert np.array_equal(wrapped(x, 3.0, training=True), f(x, 3.0, training=True))
    grad_plain = jax.grad(lambda v: f(v, 3.0).sum())(x)
    grad_remat = jax.grad(lambda v: wrapped(v, 3.0).sum())(x)
    assert np.array_equal(grad_plain, grad_remat)
    assert "checkpoint" in str(jax.make_jaxpr(wrapped)(x, 3.0)) or \
        "remat" in str(jax.make_jaxpr(wrapped)(x, 3.0))


def test_remat_inside_custom_layer_as_keras_docs():
    class CustomRematLayer(hoarfrost.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.remat_function = hoarfrost.remat(self.intermediate_function)

        def intermediate_function(self, x):
            for _ in range(2):
                x = x + x * 0.1
            return x

        def call(self, inputs):
            return self.remat_function(inputs)

    inputs = hoarfrost.Input((4,))
    x = layers.Dense(4, activation="relu")(inputs)
    x = CustomRematLayer()(x)
    model = hoarfrost.Model(inputs, layers.Dense(1)(x))
    model.compile(optimizer="sgd", loss="mse")
    history = model.fit(np.ones((8, 4), "float32"), np.ones((8, 1), "float32"), epochs=1,
                        verbose=0)
    assert np.isfinite(history.history["loss"][0])


def test_clear_session_closes_the_open_remat_scopes_as_keras_does():
    scope = hoarfrost.RematScope(mode="full")
    scope.__enter__()  # left open, as an interrupted program would leave it
    assert get_current_remat_mode().mode == "full"
    hoarfrost.backend.clear_session()
    assert get_current_remat_mode() is None
