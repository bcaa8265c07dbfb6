"""LoRA adapters and int8 layers in files.

`model.save_lora_weights(path)` writes the adapters alone: one safetensors
file (`.lora.safetensors`, atomic, a SHA-256 per tensor) holding each
adapter's two matrices under their variable paths (`dense_1/lora_kernel_a`)
and, in its metadata, each adapted layer's rank, alpha, and its base kernel's
shape, dtype and checksum. A fine-tune of a large model is a small file:
`rank * (fan_in + fan_out)` floats per layer. `model.load_lora_weights(path)`
puts them back on the same base (checked by checksum unless told not to),
enabling LoRA where the model has none yet.

`adapted_layers` / `restore_adapted_layers` let `load_model` rebuild LoRA
and int8 layers that their configs do not describe (a MultiHeadAttention's
projections, the layers of a subclassed model): `model.save` records them,
and they are adapted again before the weights are assigned.
"""

from __future__ import annotations

import json
import os

import numpy as np

from hoarfrost.saving import tensor_file

FORMAT = "hoarfrost.lora"
FORMAT_VERSION = 1
SUFFIX = ".lora.safetensors"


def _lora_layers(model) -> dict:
    """`{layer path: layer}` for every built layer that supports LoRA, nested ones included.

    A layer's path is its kernel's path without the variable's own name
    (`dense_1`, `multi_head_attention/query`).
    """
    from hoarfrost.layers.lora import LoRAMixin
    from hoarfrost.selectors import walk
    found = {}
    for layer, _ in walk(model):
        if isinstance(layer, LoRAMixin) and layer.built:
            found[_layer_path(layer)] = layer
    return found


def _layer_path(layer) -> str:
    return getattr(layer, layer._lora_target).path.rpartition("/")[0]


def _base(layer):
    return getattr(layer, layer._lora_target)


def save_lora_weights(model, filepath, overwrite: bool = True) -> None:
    """Write every LoRA adapter of `model` to a `.lora.safetensors` file (atomic)."""
    from hoarfrost.distribution import is_writer
    from hoarfrost.saving.temp_files import atomic_write
    filepath = os.fspath(filepath)
    if not filepath.endswith(SUFFIX):
        raise ValueError(f"save_lora_weights(): the filename must end in {SUFFIX!r}, got "
                         f"{filepath!r}.")
    if not overwrite and os.path.exists(filepath):
        raise FileExistsError(f"{filepath} exists and overwrite=False.")
    adapted = {path: layer for path, layer in _lora_layers(model).items() if layer.lora_enabled}
    if not adapted:
        raise ValueError(f'save_lora_weights(): model "{model.name}" has no layer with LoRA '
                         "enabled. Call model.enable_lora(rank, ...) first.")
    tensors, records = {}, []
    for path, layer in adapted.items():
        for variable in layer.lora_variables:
            tensors[variable.path] = np.ascontiguousarray(variable.numpy())
        base = np.asarray(_base(layer).numpy())
        records.append({"layer": path, "class_name": type(layer).__name__,
                        "target": layer._lora_target, "rank": layer.lora_rank,
                        "alpha": layer.lora_alpha, "base_shape": list(base.shape),
                        "base_dtype": str(base.dtype), "base_sha256": tensor_file._digest(base),
                        "variables": [v.path for v in layer.lora_variables]})
    blob = tensor_file.dumps(tensors, metadata={"format": FORMAT,
                                                "version": str(FORMAT_VERSION),
                                                "layers": json.dumps(records)})
    if is_writer():
        atomic_write(filepath, lambda handle: handle.write(blob))


def load_lora_weights(model, filepath, check_base: bool = True) -> None:
    """Load adapters from `save_lora_weights` onto `model` (checked before any change)."""
    from hoarfrost.models.peft import train_only_adapters
    filepath = os.fspath(filepath)
    if not os.path.exists(filepath):
        raise FileNotFoundError(f"No file at {filepath!r}.")
    tensors, meta = tensor_file.read_file(filepath)
    where = repr(filepath)
    if meta.get("format") != FORMAT:
        raise ValueError(f"{where} is not a LoRA adapter file from save_lora_weights() "
                         f"(format {meta.get('format')!r}, expected {FORMAT!r}).")
    records = _records(meta, tensors, where)
    layers = _lora_layers(model)
    missing = [r["layer"] for r in records if r["layer"] not in layers]
    if missing:
        raise ValueError(f"{where} holds adapters for {missing[:4]}, which model "
                         f"\"{model.name}\" lacks (its layers that support LoRA: "
                         f"{sorted(layers)[:6]}).")
    in_file = {r["layer"] for r in records}
    extra = [path for path, layer in layers.items() if layer.lora_enabled and path not in in_file]
    if extra:
        raise ValueError(f"{where} has no adapter for {extra[:4]}, which have LoRA enabled in "
                         f"model \"{model.name}\"; loading it would leave them as they are.")
    for record in records:
        layer = layers[record["layer"]]
        base = np.asarray(_base(layer).numpy())
        label = f"{where}: layer {record['layer']!r}"
        if list(base.shape) != record["base_shape"]:
            raise ValueError(f"{label}: the adapters were trained on a {record['target']} of "
                             f"shape {record['base_shape']}, the model's has shape "
                             f"{list(base.shape)}.")
        if check_base and tensor_file._digest(base) != record["base_sha256"]:
            raise ValueError(
                f"{label}: the model's {record['target']} ({base.dtype}) is not the one the "
                f"adapters were trained on ({record['base_dtype']}, by checksum). Load the same "
                "base model, or pass check_base=False to apply them to this one.")
        if layer.lora_enabled and (layer.lora_rank, layer.lora_alpha) != (record["rank"],
                                                                          record["alpha"]):
            raise ValueError(f"{label}: the file's adapter has rank {record['rank']} and alpha "
                             f"{record['alpha']}, the layer's has rank {layer.lora_rank} and "
                             f"alpha {layer.lora_alpha}.")
    new = [r for r in records if not layers[r["layer"]].lora_enabled]
    for record in new:
        layers[record["layer"]].enable_lora(record["rank"], lora_alpha=record["alpha"])
    for record in records:
        layer = layers[record["layer"]]
        for variable, name in zip(layer.lora_variables, record["variables"]):
            value = tensors[name]
            if tuple(value.shape) != variable.shape:
                raise ValueError(f"{where}: tensor {name!r} has shape {list(value.shape)}, the "
                                 f"layer's {variable.path} has shape {list(variable.shape)}.")
            variable.assign(value)
    if new:
        train_only_adapters(model)


def _records(meta: dict, tensors: dict, where: str) -> list:
    """The per-layer records of a LoRA file, each checked against the tensors."""
    from hoarfrost.saving.validation import loads_json
    records = loads_json(meta.get("layers", "null"), f"{where} (its metadata)")
    keys = {"layer", "target", "rank", "alpha", "base_shape", "base_sha256", "variables"}
    if not (isinstance(records, list) and records and all(
            isinstance(r, dict) and keys <= set(r) and isinstance(r["rank"], int)
            and r["rank"] > 0 and isinstance(r["alpha"], (int, float))
            and isinstance(r["variables"], list) and len(r["variables"]) == 2
            and all(name in tensors for name in r["variables"]) for r in records)):
        raise ValueError(f"{where} is corrupted: its metadata does not describe its adapters "
                         "({layer, target, rank, alpha, base_shape, base_sha256, variables} "
                         "per layer, naming tensors of the file).")
    named = {name for r in records for name in r["variables"]}
    if named != set(tensors):
        raise ValueError(f"{where} is corrupted: it holds tensors "
                         f"{sorted(set(tensors) - named)[:4]} that no layer record names.")
    return records


# --- the record `model.save` keeps ------------------------------------------------------------
def adapted_layers(model) -> list:
    """LoRA and int8 settings of every layer that has them, for `model.save`."""
    from hoarfrost import quantizers
    from hoarfrost.layers.quantized import QuantizedMixin
    records = []
    for path, layer in _lora_layers(model).items():
        mode = layer.quantization_mode if isinstance(layer, QuantizedMixin) else None
        if mode is None and not layer.lora_enabled:
            continue
        records.append({"layer": path, "quantization": mode,
                        "quantization_config": quantizers.serialize(
                            getattr(layer, "quantization_config", None)) if mode else None,
                        "lora_rank": layer.lora_rank if layer.lora_enabled else None,
                        "lora_alpha": layer.lora_alpha if layer.lora_enabled else None})
    return records


def restore_adapted_layers(model, records, where: str) -> None:
    """Quantize and adapt the layers `records` name where their configs did not already."""
    from hoarfrost import quantizers
    if not records:
        return
    if not isinstance(records, list):
        raise ValueError(f"{where} is corrupted: `adapted_layers` is not a list.")
    layers = _lora_layers(model)
    for record in records:
        ok = (isinstance(record, dict) and record.get("layer") in layers
              and record.get("quantization") in (None, "int8")
              and (record.get("lora_rank") is None
                   or (isinstance(record["lora_rank"], int) and record["lora_rank"] > 0)))
        if not ok:
            raise ValueError(f"{where} is corrupted or does not fit the model: adapted layer "
                             f"record {record!r} (its layers that support LoRA: "
                             f"{sorted(layers)[:6]}).")
        layer = layers[record["layer"]]
        if record["quantization"] and getattr(layer, "quantization_mode", "-") is None:
            config = quantizers.deserialize(record.get("quantization_config"))
            layer.quantize(record["quantization"], type_check=False, config=config)
        if record["lora_rank"] and not layer.lora_enabled:
            layer.enable_lora(record["lora_rank"], lora_alpha=record.get("lora_alpha"))
