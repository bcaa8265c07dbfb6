"""LoRA and int8 over a whole model, under the trainability contract.

Adapters train; every base kernel (float or int8) and scale stays bit-identical
over any number of steps; the optimizer keeps slots for the adapters only; each
trainable set compiles once; summary() counts int8 weights as non-trainable
parameters.
"""

import warnings

import numpy as np
import pytest

from hoarfrost import Input, Model, layers
from hoarfrost.summary import count_params

RNG = np.random.default_rng(0)
IDS = RNG.integers(1, 20, size=(16, 6)).astype("int32")
LABELS = (IDS.sum(axis=1) % 3).astype("int32")


def encoder_classifier() -> Model:
    inputs = Input((6,), dtype="int32")
    x = layers.Embedding(20, 8, name="embedding")(inputs)
    x = layers.MultiHeadAttention(2, 4, name="attention")(x, x)
    x = layers.LayerNormalization(name="norm")(x)
    x = layers.GlobalAveragePooling1D()(x)
    x = layers.Dense(8, activation="relu", name="dense_1")(x)
    return Model(inputs, layers.Dense(3, name="head")(x))


def adapters_of(model) -> list:
    return [w for w in model.weights if "/lora_" in w.path]


def check_contract(model, fits: int = 2) -> None:
    """Train, and prove: frozen bits unchanged, adapters moved, slots only where trained."""
    frozen = {w.path: w.numpy() for w in model.weights if not w.trainable}
    trained = {w.path: w.numpy() for w in model.trainable_weights}
    for _ in range(fits):
        model.fit(IDS, LABELS, batch_size=8, epochs=1, verbose=0)
    for w in model.weights:
        if w.path in frozen:
            assert np.array_equal(w.numpy(), frozen[w.path]), f"{w.path} moved"
    assert all(not np.array_equal(w.numpy(), trained[w.path])
               for w in model.trainable_weights if w.path.endswith("lora_kernel_b"))
    optimizer = model.optimizer
    owners = [w for w in model.weights if w in optimizer._slots]
    assert owners == model.trainable_weights
    # Adam (Keras's order): the step count and the rate, then two moments and a step count
    # per trained variable, and nothing for the frozen ones.
    assert len(optimizer.variables) == 2 + 3 * len(owners)


def test_lora_trains_the_adapters_alone_bit_exactly():
    model = encoder_classifier()
    before = np.asarray(model(IDS))
    model.enable_lora(4, "*attention*", "dense_*")
    adapted = ["attention/query", "attention/key", "attention/value",
               "attention/attention_output", "dense_1"]
    assert [w.path for w in model.trainable_weights] == [
        f"{layer}/lora_kernel_{ab}" for layer in adapted for ab in "ab"]
    np.testing.assert_array_equal(np.asarray(model(IDS)), before)  # B = 0: unchanged
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    check_contract(model)
    assert model.trace_counts["train"] == 1  # one compile for the trainable set
    total, trainable, frozen = count_params(model)
    assert trainable == sum(w.size for w in adapters_of(model)) and total == trainable + frozen

    model.unfreeze("head")  # a new set: one more compile, then cached both ways
    model.fit(IDS, LABELS, batch_size=8, epochs=1, verbose=0)
    model.freeze("head")
    model.fit(IDS, LABELS, batch_size=8, epochs=1, verbose=0)
    assert model.trace_counts["train"] == 2

    expected = np.asarray(model(IDS))
    model.merge_lora()
    assert not adapters_of(model)
    assert all(w in model.weights for w in model.optimizer._slots)  # adapters' slots dropped
    np.testing.assert_allclose(np.asarray(model(IDS)), expected, rtol=1e-5, atol=1e-6)
    assert model.trainable_weights == []  # merged kernels keep their (frozen) flag
    model.trainable = True
    assert len(model.trainable_weights) == len(model.weights)


def test_qlora_int8_base_stays_bit_identical():
    model = encoder_classifier()
    float_out = np.asarray(model(IDS))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # every layer with a kernel has an int8 form here
        model.quantize("int8")
    int8 = [w for w in model.weights if w.dtype == np.int8]
    assert [w.path for w in int8] == ["embedding/embeddings", "attention/query/kernel",
                                      "attention/key/kernel", "attention/value/kernel",
                                      "attention/attention_output/kernel", "dense_1/kernel",
                                      "head/kernel"]
    assert np.abs(np.asarray(model(IDS)) - float_out).max() < 0.05 * np.abs(float_out).max()
    model.enable_lora(2, "attention", lora_alpha=4)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    check_contract(model)
    assert model.trace_counts["train"] == 1
    lines = []
    model.summary(print_fn=lines.append)
    total, trainable, frozen = count_params(model)
    # query/key/value kernels (8, 2, 4): A (8, 2, 2), B (2, 4); output (2, 4, 8): A (2, 4, 2),
    # B (2, 8). Keras's shapes: A = kernel.shape[:-1] + (rank,), B = (rank, kernel.shape[-1]).
    assert trainable == 3 * (8 * 2 * 2 + 2 * 4) + (2 * 4 * 2 + 2 * 8)
    assert any(f"Non-trainable params: {frozen:,}" in line for line in lines)
    with pytest.raises(ValueError, match="attention/query.*frozen by definition"):
        model.unfreeze(model.get_layer("attention")._query_dense.kernel)
    model.unfreeze("*")  # a pattern: everything trains but the int8 weights and scales
    assert all(w.trainable == (w.dtype != np.int8 and not w.path.endswith("_scale"))
               for w in model.weights)


def test_selectors_name_the_layers_and_errors_name_the_selector():
    model = encoder_classifier()
    with pytest.raises(ValueError, match="'norm'.*Layers that support it"):
        model.enable_lora(2, "norm")
    with pytest.raises(ValueError, match=r"'\*/bias'"):
        model.enable_lora(2, "*/bias")
    model.enable_lora(2, "head", model.get_layer("embedding"))
    assert {w.path.rpartition("/")[0] for w in model.trainable_weights} == {"head",
                                                                              "embedding"}
    assert model.get_layer("embedding").lora_embeddings_a.shape == (20, 2)
    with pytest.raises(ValueError, match="already enabled on head"):
        model.enable_lora(2, "head")
    model.enable_lora(2)  # no selector: every remaining layer that supports LoRA
    assert len(adapters_of(model)) == 2 * 7
    with pytest.raises(NotImplementedError, match="'int4'"):
        model.quantize("int4")
    with pytest.raises(ValueError, match="Unrecognized"):
        model.quantize("int8", bogus=1)


def test_quantize_filters_and_warns_about_layers_left_in_float():
    inputs = Input((6, 6, 2))
    x = layers.Conv2D(3, 3, name="conv")(inputs)
    x = layers.Flatten()(x)
    model = Model(inputs, layers.Dense(2, name="out")(x))
    with pytest.warns(UserWarning, match=r"conv \(Conv2D\)"):
        model.quantize("int8")
    assert model.get_layer("out").quantization_mode == "int8"
    other = encoder_classifier()
    other.quantize("int8", filters="dense")
    assert [layer.name for layer in other.layers
            if getattr(layer, "quantization_mode", None)] == ["dense_1"]
