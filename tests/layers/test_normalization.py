"""BatchNormalization and LayerNormalization: Keras parity and contract points 2 and 5."""

import jax
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hoarfrost import Input, Model, layers
from hoarfrost.layers.normalization import BatchNormalization, LayerNormalization
from hoarfrost.models import Sequential
from hoarfrost.summary import count_params

from tests.layers.harness import FIXTURES, check_keras_fixture, run_layer_test


def data(n=32, features=3, seed=0):
    rng = np.random.default_rng(seed)
    x = (rng.normal(size=(n, features)) * 2.0 + 1.5).astype("float32")
    y = rng.normal(size=(n, 1)).astype("float32")
    return x, y


def bn_model(bn, features=3):
    model = Sequential([layers.Dense(features, input_dim=features), bn, layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    return model


def snapshot(layer):
    return [w.numpy().copy() for w in layer.weights]


def reference_bn(x, axis, mean, var, gamma, beta, eps):
    shape = [1] * x.ndim
    shape[axis] = -1
    out = (x - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + eps)
    if gamma is not None:
        out = out * gamma.reshape(shape)
    if beta is not None:
        out = out + beta.reshape(shape)
    return out


# --- the generic harness -------------------------------------------------------------------
def test_batch_normalization_harness():
    bn = run_layer_test(BatchNormalization, {}, (4, 3), (4, 3), expected_trainable=6,
                        expected_non_trainable=6)
    assert [w.name.split("/")[1] for w in bn.weights] == [
        "gamma", "beta", "moving_mean", "moving_variance"]


def test_batch_normalization_harness_channels_first_without_center():
    run_layer_test(BatchNormalization, {"axis": 1, "center": False, "momentum": 0.9},
                   (2, 3, 4, 4), (2, 3, 4, 4), expected_trainable=3, expected_non_trainable=6)


def test_layer_normalization_harness():
    ln = run_layer_test(LayerNormalization, {}, (4, 5), (4, 5), expected_trainable=10)
    assert [w.name.split("/")[1] for w in ln.weights] == ["gamma", "beta"]


def test_layer_normalization_harness_two_axes():
    run_layer_test(LayerNormalization, {"axis": [1, 2], "scale": False}, (2, 3, 4), (2, 3, 4),
                   expected_trainable=12)


# --- Keras parity ---------------------------------------------------------------------------
BN_FIXTURES = ["norm_bn_basic", "norm_bn_axis1_rank4", "norm_bn_no_center_rank3",
               "norm_bn_no_scale_no_center"]


@pytest.mark.parametrize("name", BN_FIXTURES)
def test_batch_normalization_matches_keras_in_both_modes_and_updates_like_keras(name):
    """Inference (moving stats), training (batch stats) and the momentum update."""
    assert "output_training_0" in np.load(FIXTURES / f"{name}.npz")
    layer = check_keras_fixture(name, cls=BatchNormalization, rtol=1e-6, atol=1e-6)
    # check_keras_fixture made one eager training-mode call: the moving statistics moved
    # exactly as Keras's did after its own training-mode call.
    expected = np.load(FIXTURES / f"{name}.npz")
    for i, w in enumerate(layer.get_weights()):
        np.testing.assert_allclose(w, expected[f"after_training_weight_{i}"], rtol=1e-6,
                                   atol=1e-6, err_msg=layer.weights[i].name)


def test_batch_normalization_training_output_uses_batch_statistics():
    x = np.load(FIXTURES / "norm_bn_basic.npz")["input_0"]
    bn = BatchNormalization()
    bn(x)
    out = np.asarray(bn(x, training=True))
    np.testing.assert_allclose(out.mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(out.var(axis=0), x.var(axis=0) / (x.var(axis=0) + 1e-3),
                               rtol=1e-5)


@pytest.mark.parametrize("name", ["norm_ln_basic", "norm_ln_axes_12",
                                  "norm_ln_axis1_rank3_no_center", "norm_ln_rms_scaling"])
def test_layer_normalization_matches_keras(name):
    with pytest.warns(DeprecationWarning) if "rms" in name else _no_warning():
        check_keras_fixture(name, cls=LayerNormalization, rtol=1e-6, atol=1e-6)


class _no_warning:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_defaults_are_keras_defaults():
    bn, ln = BatchNormalization(), LayerNormalization()
    assert (bn.axis, bn.momentum, bn.epsilon, bn.center, bn.scale) == (-1, 0.99, 1e-3, True, True)
    assert (ln.axis, ln.epsilon, ln.center, ln.scale, ln.rms_scaling) == (-1, 1e-3, True, True,
                                                                           False)


# --- contract point 5: state updates in training only -----------------------------------------
def test_moving_statistics_update_in_fit_not_in_predict_or_evaluate():
    bn = BatchNormalization()
    model = bn_model(bn)
    x, y = data()
    before = snapshot(bn)
    model.predict(x, verbose=0)
    model.evaluate(x, y, verbose=0)
    model.test_on_batch(x, y)
    assert all(np.array_equal(a, b) for a, b in zip(before, snapshot(bn)))
    model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    after = snapshot(bn)
    assert not np.array_equal(after[2], before[2])  # moving_mean
    assert not np.array_equal(after[3], before[3])  # moving_variance
    # The moving mean heads towards the statistics of its inputs.
    hidden = np.asarray(model.layers[0](x))
    assert np.all(np.abs(after[2] - hidden.mean(0)) < np.abs(before[2] - hidden.mean(0)))


def test_predict_normalizes_with_the_moving_statistics():
    bn = BatchNormalization()
    model = Sequential([Input((3,)), bn])
    model.compile(optimizer="sgd", loss="mse")
    x, _ = data()
    model.fit(x, x, epochs=3, batch_size=8, verbose=0)
    gamma, beta, mean, var = bn.get_weights()
    np.testing.assert_allclose(model.predict(x, verbose=0),
                               reference_bn(x, 1, mean, var, gamma, beta, 1e-3), rtol=1e-5,
                               atol=1e-5)


def test_one_step_moving_update_is_keras_momentum_formula():
    bn = BatchNormalization(momentum=0.8)
    model = Sequential([Input((3,)), bn])
    model.compile(optimizer="sgd", loss="mse")
    x, _ = data(n=16)
    model.train_on_batch(x, x)
    np.testing.assert_allclose(bn.moving_mean.numpy(), 0.2 * x.mean(0), rtol=1e-5)
    np.testing.assert_allclose(bn.moving_variance.numpy(), 0.8 + 0.2 * x.var(0), rtol=1e-5)


# --- contract point 2: a frozen BatchNormalization is bit-identical and in inference mode ---
def test_frozen_after_training_is_bit_identical_and_uses_moving_statistics():
    bn = BatchNormalization()
    model = bn_model(bn)
    x, y = data()
    model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    bn.trainable = False
    assert count_params(model)[1:] == (12 + 4, 12)
    trained = snapshot(bn)
    slots = [jax.tree.map(np.array, model.optimizer.slots_for(w)) for w in (bn.gamma, bn.beta)]
    model.fit(x, y, epochs=3, batch_size=8, verbose=0)
    for before, w in zip(trained, bn.weights):
        assert np.array_equal(before, w.numpy()), w.name
    for before, w in zip(slots, (bn.gamma, bn.beta)):
        after = jax.tree.map(np.array, model.optimizer.slots_for(w))
        assert all(np.array_equal(a, b) for a, b in zip(jax.tree.leaves(before),
                                                         jax.tree.leaves(after))), w.name
    # Frozen: training mode is inference mode, and a training-mode call changes nothing.
    h = np.asarray(model.layers[0](x))
    np.testing.assert_array_equal(np.asarray(bn(h, training=True)), np.asarray(bn(h)))
    assert all(np.array_equal(a, b) for a, b in zip(trained, snapshot(bn)))


def test_frozen_batch_normalization_trains_the_model_in_inference_mode():
    """In fit, a frozen BN normalizes with its moving statistics: with nothing else
    trainable, the training loss of a step equals the inference loss."""
    bn = BatchNormalization()
    model = Sequential([Input((3,)), bn])
    model.compile(optimizer="sgd", loss="mse")
    x, _ = data()
    y = np.zeros_like(x)
    model.fit(x, x, epochs=1, batch_size=8, verbose=0)  # moving stats away from (0, 1)
    inference = float(model.evaluate(x, y, batch_size=len(x), verbose=0))
    trainable_loss = float(model.train_on_batch(x, y))
    assert abs(trainable_loss - inference) > 1e-3  # batch statistics differ from moving ones
    bn.trainable = False
    frozen = snapshot(bn)
    inference = float(model.evaluate(x, y, batch_size=len(x), verbose=0))
    assert float(model.train_on_batch(x, y)) == pytest.approx(inference, rel=1e-6)
    assert all(np.array_equal(a, b) for a, b in zip(frozen, snapshot(bn)))


def test_frozen_enclosing_model_freezes_batch_normalization_state():
    bn = BatchNormalization()
    inner = Sequential([layers.Dense(3, input_dim=3), bn], name="base")
    model = Sequential([inner, layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    x, y = data()
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    inner.trainable = False
    trained = snapshot(bn)
    model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    for before, w in zip(trained, bn.weights):
        assert np.array_equal(before, w.numpy()), w.name


def test_per_variable_freezing_keeps_statistics_updating():
    """The documented option: freeze gamma and beta, not the layer."""
    bn = BatchNormalization()
    model = bn_model(bn)
    x, y = data()
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    bn.gamma.trainable = False
    bn.beta.trainable = False
    assert bn.trainable
    assert bn.gamma not in model.trainable_weights and bn.beta not in model.trainable_weights
    assert count_params(model)[1:] == (12 + 4, 12)
    gamma, beta, mean, var = snapshot(bn)
    model.fit(x * 3.0 - 1.0, y, epochs=2, batch_size=8, verbose=0)  # shifted data
    assert np.array_equal(bn.gamma.numpy(), gamma)
    assert np.array_equal(bn.beta.numpy(), beta)
    assert not np.array_equal(bn.moving_mean.numpy(), mean)
    assert not np.array_equal(bn.moving_variance.numpy(), var)
    # Setting the layer flag sets the parameter flags again (as for any layer).
    bn.trainable = True
    assert bn.gamma in model.trainable_weights


def test_unfreezing_resumes_updating_statistics():
    bn = BatchNormalization()
    model = bn_model(bn)
    x, y = data()
    bn.trainable = False
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    assert np.array_equal(bn.moving_mean.numpy(), np.zeros(3, np.float32))
    bn.trainable = True
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    assert not np.array_equal(bn.moving_mean.numpy(), np.zeros(3, np.float32))


# --- numerics, fuzzed -------------------------------------------------------------------------
@settings(max_examples=6, deadline=None)
@given(shape=st.lists(st.integers(1, 4), min_size=2, max_size=3), axis_index=st.integers(0, 3),
       center=st.booleans(), scale=st.booleans(), seed=st.integers(0, 100))
def test_batch_normalization_matches_numpy_reference(shape, axis_index, center, scale, seed):
    shape = [shape[0] + 1] + shape[1:]
    axis = 1 + axis_index % (len(shape) - 1)
    rng = np.random.default_rng(seed)
    x = (rng.normal(size=shape) * 3 + 1).astype("float32")
    bn = BatchNormalization(axis=axis, center=center, scale=scale, momentum=0.7)
    bn(x)
    weights = [rng.normal(size=w.shape).astype("float32") for w in bn.weights]
    weights[-1] = np.abs(weights[-1]) + 0.5
    bn.set_weights(weights)
    gamma = weights[0] if scale else None
    beta = weights[int(scale)] if center else None
    mean, var = weights[-2], weights[-1]
    np.testing.assert_allclose(np.asarray(bn(x)),
                               reference_bn(x, axis, mean, var, gamma, beta, 1e-3),
                               rtol=1e-4, atol=1e-4)
    axes = tuple(i for i in range(x.ndim) if i != axis)
    np.testing.assert_allclose(
        np.asarray(bn(x, training=True)),
        reference_bn(x, axis, x.mean(axes), x.var(axes), gamma, beta, 1e-3), rtol=1e-4,
        atol=1e-4)
    np.testing.assert_allclose(bn.moving_mean.numpy(), 0.7 * mean + 0.3 * x.mean(axes),
                               rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(bn.moving_variance.numpy(), 0.7 * var + 0.3 * x.var(axes),
                               rtol=1e-5, atol=1e-5)


@settings(max_examples=6, deadline=None)
@given(shape=st.lists(st.integers(1, 4), min_size=2, max_size=4), data_=st.data())
def test_layer_normalization_matches_numpy_reference(shape, data_):
    rank = len(shape)
    axes = data_.draw(st.lists(st.integers(1, rank - 1), min_size=1, unique=True))
    rng = np.random.default_rng(len(shape))
    x = rng.normal(size=shape).astype("float32") * 2
    ln = LayerNormalization(axis=axes if len(axes) > 1 else axes[0])
    ln(x)
    gamma, beta = [rng.normal(size=w.shape).astype("float32") for w in ln.weights]
    ln.set_weights([gamma, beta])
    axes = tuple(sorted(axes))
    bshape = [x.shape[i] if i in axes else 1 for i in range(rank)]
    want = ((x - x.mean(axes, keepdims=True)) / np.sqrt(x.var(axes, keepdims=True) + 1e-3)
            * gamma.reshape(bshape) + beta.reshape(bshape))
    np.testing.assert_allclose(np.asarray(ln(x)), want, rtol=1e-4, atol=1e-4)
    np.testing.assert_array_equal(np.asarray(ln(x, training=True)), np.asarray(ln(x)))


def test_batch_normalization_mask_excludes_positions_from_statistics():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(2, 5, 3)).astype("float32")
    mask = np.array([[1, 1, 1, 0, 0], [1, 0, 1, 1, 0]], bool)
    bn = BatchNormalization(momentum=0.0)
    bn(x)
    bn(x, training=True, mask=mask)
    kept = x[mask]
    np.testing.assert_allclose(bn.moving_mean.numpy(), kept.mean(0), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(bn.moving_variance.numpy(), kept.var(0), rtol=1e-4, atol=1e-6)


# --- bad input ----------------------------------------------------------------------------------
def test_bad_arguments_and_inputs_name_the_layer():
    with pytest.raises(ValueError, match=r'"bn".*axis 3.*rank 2'):
        BatchNormalization(axis=3, name="bn")(np.ones((2, 3), np.float32))
    bn = BatchNormalization(name="bn2")
    bn(np.ones((2, 3), np.float32))
    with pytest.raises(ValueError, match=r'"bn2".*expected axis -1.*value 3'):
        bn(np.ones((2, 4), np.float32))
    with pytest.raises(ValueError, match="synchronized"):
        BatchNormalization(synchronized=True)
    with pytest.raises(ValueError, match="renorm_clipping"):
        BatchNormalization(renorm=True, renorm_clipping={"dmax": -1})
    with pytest.raises(ValueError, match=r'"ln".*axis 2.*rank 2'):
        LayerNormalization(axis=2, name="ln")(np.ones((2, 3), np.float32))
    with pytest.raises(ValueError, match=r"Input\(\).*|must be known"):
        BatchNormalization(axis=1)(Input(batch_shape=(None, None, 3)))


# --- symbolic calls with an explicit training argument ----------------------------------------
def test_symbolic_call_in_training_mode_leaves_variables_concrete():
    bn = BatchNormalization()
    bn(Input((3,)), training=True)
    assert not isinstance(bn.moving_mean._value, jax.core.Tracer)
    assert np.array_equal(bn.moving_mean.numpy(), np.zeros(3, np.float32))


def test_functional_node_with_explicit_training_false_keeps_inference_mode():
    """The transfer-learning idiom `base(inputs, training=False)`: BN stays in inference."""
    bn = BatchNormalization()
    inputs = Input((3,))
    model = Model(inputs, layers.Dense(1)(bn(inputs, training=False)))
    model.compile(optimizer="sgd", loss="mse")
    x, y = data()
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    assert np.array_equal(bn.moving_mean.numpy(), np.zeros(3, np.float32))
    assert np.array_equal(bn.moving_variance.numpy(), np.ones(3, np.float32))


def test_model_with_normalization_saves_and_loads(tmp_path):
    from hoarfrost.saving import load_model
    bn = BatchNormalization(momentum=0.9)
    model = Sequential([Input((3,)), bn, LayerNormalization(axis=[1]), layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    x, y = data()
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    model.save(tmp_path / "norm.keras")
    loaded = load_model(tmp_path / "norm.keras", custom_objects={
        "BatchNormalization": BatchNormalization, "LayerNormalization": LayerNormalization})
    for a, b in zip(model.get_weights(), loaded.get_weights()):
        assert np.array_equal(a, b)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    assert loaded.layers[0].momentum == 0.9
