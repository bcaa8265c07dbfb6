"""Lambda and Identity, against Keras; saving a Lambda by function name."""

import json

import jax.numpy as jnp
import numpy as np
import pytest

from hoarfrost import Input, Sequential, layers, masking
from hoarfrost.layers.core import Identity, Lambda
from hoarfrost.saving import load_model, register_keras_serializable

from tests.layers.harness import check_keras_fixture, run_layer_test
from tests.layers.harness_extra import check_named_fixture


@register_keras_serializable(package="test_lambda")
def doubled_tail(x, keep=2):
    return 2.0 * x[:, -keep:]


def scaled_tanh(inputs, alpha):
    return alpha * jnp.tanh(inputs)


def test_identity_matches_keras():
    run_layer_test(Identity, {}, (2, 3), (2, 3), 0, train=False)
    check_keras_fixture("core_identity", rtol=0, atol=0)


def test_lambda_harness_with_a_registered_function():
    layer = run_layer_test(Lambda, {"function": doubled_tail, "arguments": {"keep": 3}},
                           (2, 5), (2, 3), 0, train=False)
    assert layer.get_config()["function"]["config"] == "test_lambda>doubled_tail"


def test_lambda_matches_keras():
    layer = Lambda(scaled_tanh, output_shape=(3, 4), arguments={"alpha": 2.5})
    check_named_fixture("core_lambda", layer, rtol=1e-6, atol=1e-6)
    assert layer.get_config()["output_shape"] == [3, 4]


def test_lambda_output_shape_forms_and_inference():
    x = Input((4, 3))
    assert Lambda(lambda t: t[:, 0])(x).shape == (None, 3)
    assert Lambda(lambda t: t[:, 0], output_shape=(3,))(x).shape == (None, 3)
    assert Lambda(lambda t: t, output_shape=lambda s: (s[0], 12)).compute_output_shape(
        (None, 4, 3)) == (None, 12)


def test_lambda_passes_mask_and_training_when_asked():
    seen = {}

    def fn(x, mask=None, training=None):
        seen.update(mask=mask, training=training)
        return x

    x = jnp.ones((2, 3, 1))
    masking.set_mask(x, jnp.array([[True, False, True]] * 2))
    out = Lambda(fn, mask=lambda inputs, mask: mask)(x, training=True)
    assert seen["training"] is True and seen["mask"].shape == (2, 3)
    assert masking.get_mask(out) is not None
    assert masking.get_mask(Lambda(lambda t: t + 1)(x)) is None  # no mask support: dropped


def test_python_lambdas_can_not_be_saved(tmp_path):
    layer = Lambda(lambda t: t * 2, name="doubler")
    with pytest.raises(ValueError, match=r'Lambda layer "doubler".*Python lambda.*named '
                                         r'function'):
        layer.get_config()
    model = Sequential([Input((2,)), layer])
    path = tmp_path / "model.keras"
    path.write_bytes(b"previous")
    with pytest.raises(ValueError, match='"doubler"'):
        model.save(path)
    assert path.read_bytes() == b"previous"


def test_named_functions_round_trip_through_save(tmp_path):
    model = Sequential([Input((4,)), Lambda(scaled_tanh, arguments={"alpha": 0.5}),
                        Lambda(jnp.square), Lambda(doubled_tail), layers.Dense(2)])
    x = np.random.default_rng(0).normal(size=(3, 4)).astype("float32")
    path = tmp_path / "model.keras"
    model.save(path)
    with pytest.raises(ValueError, match=r'Lambda layer "lambda".*scaled_tanh.*custom_objects'):
        load_model(path)
    loaded = load_model(path, custom_objects={"scaled_tanh": scaled_tanh})
    np.testing.assert_array_equal(np.asarray(loaded(x)), np.asarray(model(x)))
    config = json.loads(json.dumps(model.layers[1].get_config()))
    assert Lambda.from_config(config).function.__name__ == "square"  # hoarfrost.ops.square


def test_array_functions_resolve_in_the_library_they_were_saved_from():
    import jax

    from hoarfrost import ops

    def resolved(function):
        config = json.loads(json.dumps(Lambda(function).get_config()))
        return Lambda.from_config(config).function

    # Same names, other semantics: lax.slice takes end indices, jax.nn's leaky slope is 0.01.
    assert resolved(jax.lax.slice) is jax.lax.slice
    assert resolved(jax.nn.leaky_relu) is jax.nn.leaky_relu
    assert resolved(ops.slice) is ops.slice and resolved(np.square) is np.square
    # Only the names of Keras's ops and activations, never another library function.
    config = json.loads(json.dumps(Lambda(np.load).get_config()))
    with pytest.raises(ValueError, match="could not find the function 'load'"):
        Lambda.from_config(config)
