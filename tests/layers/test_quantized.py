"""int8 layers: Keras 3's quantized weights, outputs and gradients; frozen by definition."""

import json

import jax.numpy as jnp
import numpy as np
import pytest

from hoarfrost import layers
from hoarfrost.quantizers import Int8QuantizationConfig

from tests.layers.test_lora import CASES, FIXTURE, grad_of_inputs, replay


@pytest.mark.parametrize("name", [n for n in CASES if "int8" in n])
def test_int8_equals_keras(name):
    layer, data = replay(name)
    stored = {w.path.rpartition("/")[2]: w.numpy() for w in layer.weights}
    for key in data:
        if key.startswith("q/"):  # the int8 weights and scales, bit for bit
            np.testing.assert_array_equal(stored[key[2:]], data[key], err_msg=key)
            assert stored[key[2:]].dtype == data[key].dtype
    np.testing.assert_allclose(np.asarray(layer(data["x"])), data["y"], rtol=1e-6, atol=1e-6)
    if "dx" in data:  # Keras's gradient: through the dequantized kernel
        np.testing.assert_allclose(np.asarray(grad_of_inputs(layer, data)), data["dx"],
                                   rtol=1e-5, atol=1e-5)
    if "merged/kernel" in data:  # merging on int8 re-quantizes as Keras's save does
        layer.merge_lora()
        np.testing.assert_array_equal(layer.weights[0].numpy(), data["merged/kernel"])
        scale = layer.embeddings_scale if hasattr(layer, "embeddings_scale") else \
            layer.kernel_scale
        np.testing.assert_allclose(scale.numpy(), data["merged/scale"], rtol=1e-6)


def test_weights_order_and_config_are_keras_and_round_trip():
    layer, data = replay("dense_int8_lora")
    assert [w.path.rpartition("/")[2] for w in layer.weights] == [
        "kernel", "bias", "kernel_scale", "lora_kernel_a", "lora_kernel_b"]
    assert [w.trainable for w in layer.weights] == [False, True, False, True, True]
    config = layer.get_config()
    assert config["dtype"] == "int8_from_float32"
    assert config["quantization_config"]["class_name"] == "Int8QuantizationConfig"
    rebuilt = layers.Dense.from_config(config)
    rebuilt.build((None, 5))
    assert [(w.path.rpartition("/")[2], w.dtype) for w in rebuilt.weights] == [
        (w.path.rpartition("/")[2], w.dtype) for w in layer.weights]
    rebuilt.set_weights(layer.get_weights())
    np.testing.assert_array_equal(np.asarray(rebuilt(data["x"])), np.asarray(layer(data["x"])))
    # Keras's config dict form of the policy is read too.
    keras_dtype = {"class_name": "QuantizedDTypePolicy",
                   "config": {"mode": "int8", "source_name": "float32"}}
    assert layers.Dense(2, dtype=keras_dtype).quantization_mode == "int8"


def test_an_int8_weight_is_frozen_by_definition():
    layer = layers.Dense(4, name="frozen_int8")
    layer.build((None, 3))
    layer.quantize("int8")
    with pytest.raises(ValueError, match="'frozen_int8'.*frozen by definition"):
        layer.kernel.trainable = True
    with pytest.raises(ValueError, match="frozen by definition"):
        layer.kernel_scale.trainable = True
    layer.trainable = False
    layer.trainable = True  # the layer trains (its bias); the int8 weights never do
    assert [w.trainable for w in layer.weights] == [False, True, False]


def test_modes_and_misuse_raise_by_name():
    layer = layers.Dense(4, name="q")
    with pytest.raises(ValueError, match="isn't yet built"):
        layer.quantize("int8")
    layer.build((None, 3))
    for mode in ("int4", "float8", "gptq"):
        with pytest.raises(NotImplementedError, match=f"'{mode}'.*int8"):
            layer.quantize(mode)
    with pytest.raises(ValueError, match="invalid quantization mode"):
        layer.quantize("int3")
    layer.quantize("int8")
    with pytest.raises(ValueError, match="already quantized"):
        layer.quantize("int8")
    with pytest.raises(NotImplementedError, match="int4"):
        layers.Dense(2, dtype="int4_from_float32")

    class MyDense(layers.Dense):
        pass

    mine = MyDense(2)
    mine.build((None, 3))
    with pytest.raises(NotImplementedError, match="type_check=False"):
        mine.quantize("int8")


def test_ellipsis_equations_quantize():
    # Keras 3.15 raises a TypeError here; the formula is the same as for the others.
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 3, 5)).astype("float32")
    layer = layers.EinsumDense("...b,bc->...c", output_shape=4)
    before = np.asarray(layer(x))
    layer.quantize("int8", config=Int8QuantizationConfig(activation_quantizer=None))
    assert layer.kernel_scale.shape == (1, 1, 4)
    np.testing.assert_allclose(np.asarray(layer(x)), before, atol=0.02 * np.abs(before).max())


def test_quantized_embedding_keeps_its_mask_and_lookup():
    layer = layers.Embedding(6, 3, mask_zero=True)
    ids = jnp.array([[0, 2, 5]])
    before = np.asarray(layer(ids))
    layer.quantize("int8")
    assert layer.embeddings.dtype == jnp.int8 and layer.embeddings_scale.shape == (6,)
    np.testing.assert_allclose(np.asarray(layer(ids)), before, atol=0.01 * np.abs(before).max())
    np.testing.assert_array_equal(np.asarray(layer.compute_mask(ids)), [[False, True, True]])
    assert json.loads(json.dumps(layer.get_config()))["dtype"] == "int8_from_float32"
    assert FIXTURE["keras_version"].item().startswith("3.")


@pytest.mark.parametrize("make", [
    lambda **kw: layers.Dense(3, **kw), lambda **kw: layers.Embedding(5, 3, **kw),
    lambda **kw: layers.EinsumDense("ab,bc->ac", output_shape=3, **kw)])
def test_quantization_config_on_a_float_layer_is_refused_by_name(make):
    """Keras stores it and never reads it (its `quantize` replaces the config), so a
    config given to a float layer would do nothing: refused, naming the argument. Given
    with an int8 dtype it is the layer's config, as in Keras."""
    config = Int8QuantizationConfig(activation_quantizer=None)
    with pytest.raises(ValueError, match=r"layer 'q'.*`quantization_config`.*quantize"):
        make(name="q", quantization_config=config)
    layer = make(name="q", dtype="int8_from_float32", quantization_config=config)
    assert layer.quantization_config is config
    assert layer.get_config()["quantization_config"]["config"]["activation_quantizer"] is None
