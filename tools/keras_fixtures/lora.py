"""Keras fixtures for LoRA and int8 quantization (tests/layers/fixtures/keras_lora.npz).

Run from this folder: `KERAS_BACKEND=jax ../../.venv-keras/bin/python lora.py` (~20 s).

Each case builds a Keras layer, sets random float weights, then (in the order
the case's name says) quantizes it to int8 and/or enables LoRA with random
adapters (B non-zero, so the adapter matters), and records under `<case>/...`:

- `config`: the layer class, its constructor kwargs, the LoRA rank and alpha,
  whether it was quantized and with which activation quantizer;
- `w/<name>`: the float weights before any change (kernel, bias / embeddings);
- `lora_a`, `lora_b`: the adapter;
- `q/<name>`: Keras's int8 weights and scales after `quantize("int8")`;
- `x`, `y`: an input and Keras's output; `dx`: the gradient of
  `sum(y * probe)` with respect to `x` (float inputs), `probe` included;
- `merged/<name>`: for an int8 layer with LoRA, the kernel and scale Keras
  saves (`_get_kernel_with_merged_lora`: dequantized, updated, requantized).

Keras 3.15 can not quantize an EinsumDense whose equation has an ellipsis
(`_analyze_quantization_info` gets the input rank where it takes a shape and
raises a TypeError), so there is no such case; hoarfrost quantizes it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

os.environ.setdefault("KERAS_BACKEND", "jax")

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import keras  # noqa: E402
from keras.quantizers import Int8QuantizationConfig  # noqa: E402

OUT = Path(__file__).resolve().parents[2] / "tests" / "layers" / "fixtures" / "keras_lora.npz"

# name: (class, kwargs, input shape or vocabulary, steps)
# steps: "lora" (float LoRA), "int8", "int8_weights" (weight-only), "int8+lora"
CASES = {
    "dense_lora": ("Dense", {"units": 3}, (4, 5), "lora"),
    "dense_lora_rank3": ("Dense", {"units": 3, "use_bias": False}, (2, 3, 5), "lora"),
    "einsum_lora": ("EinsumDense", {"equation": "abc,cde->abde", "output_shape": [None, 2, 3],
                                    "bias_axes": "de"}, (2, 4, 5), "lora"),
    "embedding_lora": ("Embedding", {"input_dim": 10, "output_dim": 4}, (2, 5), "lora"),
    "dense_int8": ("Dense", {"units": 6}, (4, 5), "int8"),
    "dense_int8_rank3": ("Dense", {"units": 6}, (2, 3, 5), "int8"),
    "dense_int8_weights": ("Dense", {"units": 6}, (4, 5), "int8_weights"),
    "dense_int8_lora": ("Dense", {"units": 6}, (4, 5), "int8+lora"),
    "einsum_int8_matrix": ("EinsumDense", {"equation": "ab,bc->ac", "output_shape": 4,
                                           "bias_axes": "c"}, (3, 5), "int8"),
    "einsum_int8_heads": ("EinsumDense", {"equation": "abc,cde->abde",
                                          "output_shape": [None, 2, 3], "bias_axes": "de"},
                          (2, 4, 5), "int8"),
    "einsum_int8_output": ("EinsumDense", {"equation": "abcd,cde->abe",
                                           "output_shape": [None, 4], "bias_axes": "e"},
                           (2, 3, 2, 5), "int8"),
    "einsum_int8_weights": ("EinsumDense", {"equation": "abc,cde->abde",
                                            "output_shape": [None, 2, 3], "bias_axes": "de"},
                            (2, 4, 5), "int8_weights"),
    "einsum_int8_lora": ("EinsumDense", {"equation": "abc,cde->abde",
                                         "output_shape": [None, 2, 3], "bias_axes": "de"},
                         (2, 4, 5), "int8+lora"),
    "embedding_int8": ("Embedding", {"input_dim": 10, "output_dim": 4}, (2, 5), "int8"),
    "embedding_int8_lora": ("Embedding", {"input_dim": 10, "output_dim": 4}, (2, 5),
                            "int8+lora"),
}
RANK, ALPHA = 2, 6.0


def one_case(name, class_name, kwargs, shape, steps, rng) -> dict:
    layer = getattr(keras.layers, class_name)(**kwargs)
    if class_name == "Embedding":
        x = rng.integers(0, kwargs["input_dim"], size=shape).astype("int32")
    else:
        x = rng.normal(size=shape).astype("float32")
    layer(x)
    floats = {w.name: rng.normal(size=w.shape).astype("float32") for w in layer.weights}
    layer.set_weights([floats[w.name] for w in layer.weights])
    data = {f"w/{k}": v for k, v in floats.items()}
    weights_only = steps == "int8_weights"
    if steps.startswith("int8"):
        config = Int8QuantizationConfig(activation_quantizer=None) if weights_only else None
        layer.quantize("int8", config=config)
        data.update({f"q/{w.name}": np.asarray(w.numpy()) for w in layer.weights
                     if w.name in ("kernel", "kernel_scale", "embeddings", "embeddings_scale")})
    if "lora" in steps:
        layer.enable_lora(RANK, lora_alpha=ALPHA)
        a = layer.lora_embeddings_a if class_name == "Embedding" else layer.lora_kernel_a
        b = layer.lora_embeddings_b if class_name == "Embedding" else layer.lora_kernel_b
        data["lora_a"] = rng.normal(size=a.shape).astype("float32")
        data["lora_b"] = rng.normal(size=b.shape).astype("float32") * 0.5
        a.assign(data["lora_a"])
        b.assign(data["lora_b"])
    y = np.asarray(layer(x))
    data.update(x=x, y=y)
    if class_name != "Embedding":
        probe = rng.normal(size=y.shape).astype("float32")
        data["probe"] = probe
        data["dx"] = np.asarray(jax.grad(lambda v: jnp.sum(layer(v) * probe))(jnp.asarray(x)))
    if steps == "int8+lora":
        get = (layer._get_embeddings_with_merged_lora if class_name == "Embedding"
               else layer._get_kernel_with_merged_lora)
        kernel, scale, _ = get()
        data["merged/kernel"] = np.asarray(kernel)
        data["merged/scale"] = np.asarray(scale)
    data["config"] = np.array(json.dumps({
        "class_name": class_name, "kwargs": kwargs, "steps": steps, "rank": RANK,
        "alpha": ALPHA, "lora_alpha_in_config": layer.get_config().get("lora_alpha")}))
    return {f"{name}/{k}": v for k, v in data.items()}


def constructor_alpha() -> dict:
    """What Keras does with `Dense(lora_rank=2, lora_alpha=6)`: its build enables LoRA
    with the default alpha (= rank), dropping the constructor's."""
    layer = keras.layers.Dense(3, lora_rank=2, lora_alpha=6.0)
    layer.build((None, 4))
    return {"constructor/alpha_after_build": np.array(float(layer.lora_alpha))}


def main() -> None:
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    data = {}
    for name, (class_name, kwargs, shape, steps) in CASES.items():
        data.update(one_case(name, class_name, kwargs, shape, steps, rng))
    data.update(constructor_alpha())
    data["cases"] = np.array(json.dumps(sorted(CASES)))
    data["keras_version"] = np.array(keras.__version__)
    np.savez_compressed(OUT, **data)
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes, {len(CASES)} cases)")


if __name__ == "__main__":
    main()
