"""What Keras's configs have that hoarfrost's lack (and the reverse), shared by both
directions of the translation: the keys, their accepted values, and the error they raise."""

from __future__ import annotations

import json


# Keys of Keras's layer configs that hoarfrost's layers lack, with the value hoarfrost
# behaves as (the only value accepted when reading; written so Keras sees its own keys).
_KERAS_ONLY = {
    "quantization_config": None, "sparse": False, "ragged": False, "optional": False,
    "time_major": False, "lora_rank": None, "lora_alpha": None, "synchronized": False,
    "renorm": False, "renorm_clipping": None, "input_axes": None, "output_axes": None,
}
# Keys whose value has no effect in hoarfrost (or given the keys above): any value.
# (Keras 3 drops Keras 2's `input_length` too: the input shape says it.)
_IGNORABLE = {"implementation", "renorm_momentum", "shared_object_id", "input_length"}
# Keys Keras writes per class that hoarfrost's configs lack (all at None unless listed).
_KERAS_KEYS = {
    "InputLayer": {"sparse": False, "ragged": False, "optional": False},
    "Dense": ("kernel_constraint", "bias_constraint", "quantization_config"),
    "Embedding": ("embeddings_constraint", "quantization_config"),
    "BatchNormalization": ("beta_constraint", "gamma_constraint"),
    "LayerNormalization": ("beta_constraint", "gamma_constraint"),
    "Conv1D": ("kernel_constraint", "bias_constraint"),
    "Conv2D": ("kernel_constraint", "bias_constraint"),
    "Conv2DTranspose": ("kernel_constraint", "bias_constraint"),
    "DepthwiseConv2D": ("depthwise_constraint", "bias_constraint"),
    "SeparableConv2D": ("depthwise_constraint", "pointwise_constraint", "bias_constraint"),
    "SimpleRNN": ("kernel_constraint", "recurrent_constraint", "bias_constraint"),
    "LSTM": ("kernel_constraint", "recurrent_constraint", "bias_constraint"),
    "GRU": ("kernel_constraint", "recurrent_constraint", "bias_constraint"),
}
# hoarfrost keys Keras's configs (and constructors) lack: dropped when at this value.
_HOARFROST_ONLY = {
    "Dense": {"activity_regularizer": None}, "SimpleRNN": {"seed": None},
    "SpatialDropout1D": {"trainable": True}, "SpatialDropout2D": {"trainable": True},
    "Discretization": {"trainable": True},
}
_VARIANCE_SCALING = {"GlorotUniform", "GlorotNormal", "HeUniform", "HeNormal", "LecunUniform",
                     "LecunNormal", "VarianceScaling"}
_MODULES = {"initializer": "keras.initializers", "regularizer": "keras.regularizers",
            "constraint": "keras.constraints"}
_MODELS = ("Functional", "Sequential", "Model")
# Layers whose graph node packs their call's tensors in one list (in this order); Keras
# records the first two as positional arguments and the others as keywords.
_PACKED_CALLS = {"MultiHeadAttention": ("query", "value", "key", "query_mask", "value_mask",
                                        "key_mask", "attention_mask")}


def _fail(where: str, message: str):
    raise ValueError(f"Keras config, {where}: {message}")


def _short(value) -> str:
    text = json.dumps(value)
    return text if len(text) < 60 else text[:57] + "..."


def _object_from_keras(value: dict, where: str) -> dict:
    """An initializer / regularizer / constraint / schedule dict without Keras's wrapping."""
    if not isinstance(value.get("config"), dict):
        return value  # a function reference (Lambda's), read in Keras's form
    config = dict(value.get("config") or {})
    for key in ("input_axes", "output_axes"):
        if key in config:
            if config.pop(key) is not None:
                _fail(where, f"{value['class_name']} with {key} is not supported by hoarfrost.")
    out = {"class_name": value["class_name"], "config": config}
    registered = value.get("registered_name")
    if registered and registered != value["class_name"]:
        out["registered_name"] = registered
    return out
