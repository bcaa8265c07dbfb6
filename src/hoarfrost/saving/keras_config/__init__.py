"""Keras's config dialects, translated to and from hoarfrost's.

hoarfrost's layer configs already use Keras's argument names; what differs
is the wrapping and the graph:

- Keras 3 (`.keras` files, `to_json`): `module` / `registered_name` on every
  object, dtypes as `DTypePolicy` dicts, functional graphs as each layer's
  `inbound_nodes` with `keras_history` references, and operations on
  tensors (`x + y`, the `NotEqual` a masking Embedding adds) as entries of
  their own (hoarfrost's `TensorOp`).
- Keras 2 (tf_keras, legacy `.h5` files): `batch_input_shape`, `axis` as a
  list, `time_major`, graphs as `[[layer, node, tensor, kwargs], ...]`.

Keys Keras has and hoarfrost does not (`sparse`, initializer axes, ...) are
accepted at Keras's default value and refused, by name, otherwise: a setting
hoarfrost would ignore is an error. LoRA (`lora_rank`, `lora_alpha`) and int8
layers (`QuantizedDTypePolicy`, `quantization_config`) are read and written
as Keras 3 does; a LoRA layer's weights are saved merged (`h5_format`). Initializers,
regularizers and constraints (`{"module": "keras.constraints", "class_name":
"MaxNorm", "config": {...}}`) are Keras's objects on both sides, resolved by
name (built-in, registered or `custom_objects`) when the layer is made.

The package: `dialect` (the keys each side lacks, shared by both directions),
`reading` (Keras -> hoarfrost), `writing` (hoarfrost -> Keras 3),
`compile_config` (optimizer, losses and metrics of `compile`).
"""

from hoarfrost.saving.keras_config.compile_config import (compile_from_keras, compile_to_keras,
                                                          identifier_from_keras,
                                                          identifier_to_keras,
                                                          optimizer_from_keras,
                                                          optimizer_to_keras)
from hoarfrost.saving.keras_config.reading import from_keras, is_keras_config
from hoarfrost.saving.keras_config.writing import to_keras

__all__ = ["compile_from_keras", "compile_to_keras", "from_keras", "identifier_from_keras",
           "identifier_to_keras", "is_keras_config", "optimizer_from_keras",
           "optimizer_to_keras", "to_keras"]
