"""hoarfrost.config: each setter changes what hoarfrost does, or raises naming itself."""

import importlib
import logging

import jax
import numpy as np
import pytest

import hoarfrost
from hoarfrost import config, layers


@pytest.fixture(autouse=True)
def restore_config():
    saved = dict(config._state)
    yield
    config._state.clear()
    config._state.update(saved)


def test_defaults_are_keras_defaults():
    assert config.floatx() == "float32" and config.epsilon() == 1e-7
    assert config.image_data_format() == "channels_last" and config.backend() == "jax"
    assert config.dtype_policy().name == "float32" and config.is_interactive_logging_enabled()
    assert config.max_epochs() is None and config.max_steps_per_epoch() is None


def test_set_floatx_sets_new_weights_inputs_draws_and_initializers():
    config.set_floatx("float16")
    dense = layers.Dense(2)
    dense(np.ones((1, 3), "float16"))
    assert dense.kernel.dtype == np.float16 and dense.bias.dtype == np.float16
    assert hoarfrost.Input((3,)).dtype == np.float16
    assert hoarfrost.random.normal((2,), seed=1).dtype == np.float16
    assert hoarfrost.initializers.GlorotUniform()((2, 2)).dtype == np.float16
    assert hoarfrost.backend.floatx() == "float16"
    with pytest.raises(ValueError, match="set_floatx"):
        config.set_floatx("float8")
    if not jax.config.jax_enable_x64:
        with pytest.raises(ValueError, match="jax_enable_x64"):
            config.set_floatx("float64")
    config.set_floatx("float32")
    assert layers.Dense(2, dtype="bfloat16").dtype == "bfloat16"  # an explicit dtype wins


def test_set_dtype_policy_single_dtypes_only():
    config.set_dtype_policy("bfloat16")
    dense = layers.Dense(2)
    dense(np.ones((1, 3), "float32"))
    assert dense.kernel.dtype == jax.numpy.bfloat16
    assert config.dtype_policy() == hoarfrost.DTypePolicy("bfloat16")
    with pytest.raises(NotImplementedError, match="mixed_float16"):
        config.set_dtype_policy("mixed_float16")


def test_set_epsilon_reaches_losses_and_constraints():
    p, y = np.array([[0.0]], "float32"), np.array([[1.0]], "float32")
    assert np.isclose(hoarfrost.losses.binary_crossentropy(y, p)[0], -np.log(1e-7), rtol=1e-4)
    config.set_epsilon(1e-3)
    assert np.isclose(hoarfrost.losses.binary_crossentropy(y, p)[0], -np.log(1e-3), rtol=1e-4)
    unit = hoarfrost.constraints.UnitNorm()(np.array([[3.0], [4.0]], "float32"))
    np.testing.assert_allclose(unit, [[3 / 5.001], [4 / 5.001]], rtol=1e-6)
    with pytest.raises(ValueError, match="set_epsilon"):
        config.set_epsilon(0)


def test_set_image_data_format_is_the_default_of_every_layer_that_takes_one():
    config.set_image_data_format("channels_first")
    made = [layers.Conv2D(4, 3), layers.Conv1D(2, 3), layers.SeparableConv2D(2, 3),
            layers.DepthwiseConv2D(3), layers.Conv2DTranspose(2, 3), layers.MaxPooling2D(),
            layers.AveragePooling1D(), layers.GlobalAveragePooling2D(), layers.Flatten(),
            layers.ZeroPadding2D(), layers.Cropping2D(), layers.UpSampling2D(),
            layers.SpatialDropout2D(0.5), layers.RandomFlip(), layers.Resizing(2, 2)]
    assert all(layer.data_format == "channels_first" for layer in made)
    assert layers.Conv2D(4, 3, data_format="channels_last").data_format == "channels_last"
    conv = layers.Conv2D(4, 3)
    assert conv(np.ones((1, 2, 5, 6), "float32")).shape == (1, 4, 3, 4)
    with pytest.raises(ValueError, match="set_image_data_format"):
        config.set_image_data_format("channels_middle")


def test_disable_interactive_logging_sends_progress_and_summary_to_logging(capsys, caplog):
    model = hoarfrost.Sequential([hoarfrost.Input((2,)), layers.Dense(1)])
    model.compile("sgd", "mse")
    config.disable_interactive_logging()
    with caplog.at_level(logging.INFO, logger="hoarfrost"):
        model.fit(np.ones((4, 2)), np.ones((4, 1)), epochs=1, verbose=1)
        model.summary()
    out = capsys.readouterr().out
    assert "Epoch 1/1" not in out and "Total params" not in out
    assert "Epoch 1/1" in caplog.text and "1/1" in caplog.text and "Total params" in caplog.text
    config.enable_interactive_logging()
    model.summary()
    assert "Total params" in capsys.readouterr().out


def test_unsupported_settings_raise_by_name():
    with pytest.raises(NotImplementedError, match="enable_traceback_filtering"):
        config.enable_traceback_filtering()
    with pytest.raises(NotImplementedError, match="enable_flash_attention"):
        config.enable_flash_attention()
    with pytest.raises(NotImplementedError, match="set_max_epochs"):
        config.set_max_epochs(3)
    with pytest.raises(NotImplementedError, match="set_max_steps_per_epoch"):
        config.set_max_steps_per_epoch(3)
    with pytest.raises(ValueError, match="JAX only"):
        config.set_backend("torch")
    config.set_max_epochs(None)  # the default: no cap
    config.set_backend("jax")
    config.disable_traceback_filtering()
    config.disable_flash_attention()
    assert not config.is_traceback_filtering_enabled() and not config.is_flash_attention_enabled()
    assert not config.is_nnx_enabled()


def test_enable_unsafe_deserialization_forwards_to_safe_mode(monkeypatch):
    try:
        safe_mode = importlib.import_module("hoarfrost.saving.safe_mode")
    except ModuleNotFoundError:  # a build without safe mode refuses nothing
        config.enable_unsafe_deserialization()
        return
    calls = []
    monkeypatch.setattr(safe_mode, "enable_unsafe_deserialization", lambda: calls.append(1))
    config.enable_unsafe_deserialization()
    assert calls == [1]
