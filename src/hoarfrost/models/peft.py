"""Parameter-efficient fine-tuning of a whole model: LoRA on selected layers, merging
the adapters back, and int8 weights (Keras 3's `model.quantize`).

`Model.enable_lora`, `Model.merge_lora` and `Model.quantize` call these. The
layers' own methods do the work (`hoarfrost.layers.lora`,
`hoarfrost.layers.quantized`); here the layers are chosen (by the selectors of
`model.freeze`, or Keras's `filters`), the rest of the model is frozen, and
the optimizer forgets the slots of variables that no longer exist.
"""

from __future__ import annotations

import re
import warnings

from hoarfrost import quantizers
from hoarfrost.layers.layer import Layer
from hoarfrost.layers.lora import LoRAMixin
from hoarfrost.layers.quantized import QuantizedMixin
from hoarfrost.selectors import select, variable_owners, walk


def lora_layers(model) -> list:
    """The layers of `model` (nested ones included) whose adapter is enabled, in order."""
    return [layer for layer, _ in walk(model)
            if isinstance(layer, LoRAMixin) and layer.lora_enabled]


def _adaptable(layer) -> bool:
    return isinstance(layer, LoRAMixin) and layer.built


def _targets(model, selectors) -> list:
    """The LoRA-capable layers the selectors name, each once, in model order.

    A layer selects every LoRA-capable layer inside it (itself included); a
    variable (by object, glob or regex on paths) selects its layer when it is
    that layer's kernel (`embeddings` for Embedding).
    """
    if not selectors:
        chosen = [layer for layer, _ in walk(model) if _adaptable(layer)]
        if not chosen:
            raise ValueError(f'enable_lora: model "{model.name}" has no built layer that '
                             "supports LoRA (Dense, EinsumDense, Embedding, convolutions).")
        return chosen
    owners = variable_owners(model)
    chosen: dict[int, Layer] = {}
    for selector in selectors:
        found = []
        for item in select(model, [selector]):
            if isinstance(item, Layer):
                found += [layer for layer, _ in walk(item) if _adaptable(layer)]
            else:
                owner = owners.get(id(item), (None,))[0]
                if _adaptable(owner) and getattr(owner, owner._lora_target) is item:
                    found.append(owner)
        if not found:
            capable = [layer.name for layer, _ in walk(model) if _adaptable(layer)]
            raise ValueError(
                f"enable_lora: selector {selector!r} names no layer that supports LoRA and no "
                f"such layer's kernel in model \"{model.name}\". Layers that support it: "
                f"{', '.join(capable[:8]) or 'none'}{', ...' if len(capable) > 8 else ''}.")
        for layer in found:
            chosen.setdefault(id(layer), layer)
    order = {id(layer): i for i, (layer, _) in enumerate(walk(model))}
    return sorted(chosen.values(), key=lambda layer: order[id(layer)])


def enable_lora(model, rank: int, selectors, lora_alpha=None, a_initializer="he_uniform",
                b_initializer="zeros") -> list:
    """LoRA on the selected layers; everything else in `model` is frozen.

    See `Model.enable_lora`. Returns the adapted layers.
    """
    targets = _targets(model, selectors)
    if not selectors:
        targets = [layer for layer in targets if not layer.lora_enabled]
    enabled = [layer.name for layer in targets if layer.lora_enabled]
    if enabled:
        raise ValueError(f"enable_lora: lora is already enabled on {', '.join(enabled)}; "
                         "call merge_lora() first to change an adapter.")
    if not targets:
        raise ValueError(f'enable_lora: every layer of model "{model.name}" that supports '
                         "LoRA already has it.")
    for layer in targets:
        layer.enable_lora(rank, lora_alpha=lora_alpha, a_initializer=a_initializer,
                          b_initializer=b_initializer)
    train_only_adapters(model)
    return targets


def train_only_adapters(model) -> None:
    """Freeze every variable of `model` except the LoRA adapters (peft's default)."""
    model.trainable = False
    adapters = [v for layer in lora_layers(model) for v in layer.lora_variables]
    if adapters:
        model.unfreeze(*adapters)


def merge_lora(model) -> list:
    """Fold every adapter of `model` into its kernel and remove it (see `Model.merge_lora`).

    Returns the merged layers.
    """
    layers = lora_layers(model)
    if not layers:
        raise ValueError(f'merge_lora: model "{model.name}" has no layer with LoRA enabled.')
    removed = [v for layer in layers for v in layer.lora_variables]
    for layer in layers:
        layer.merge_lora()
    _forget_slots(model, removed)
    return layers


def quantize(model, mode=None, config=None, filters=None, type_check: bool = True) -> list:
    """`model.quantize(mode)`: every (filtered) layer with an int8 form, as Keras 3.

    Returns the quantized layers.
    """
    config = quantizers.check_mode(mode, config, f'Model "{model.name}": quantize')
    if filters is not None and not isinstance(filters, (str, list, tuple)) \
            and not callable(filters):
        raise ValueError("quantize: the `filters` argument must be a regex string, a list of "
                         f"regex strings, or a callable. Received: {type(filters)}")
    if not model.built:
        raise ValueError(f'Model "{model.name}" is not built yet: build it (call it on data or '
                         "give an input shape) before quantize().")
    chosen, left_float = [], []
    for layer, _ in walk(model):
        if layer is model or layer._layers or not _selected(layer, filters):
            continue
        if isinstance(layer, QuantizedMixin):
            if layer.quantization_mode is None:
                chosen.append(layer)
        elif any(v._short_name in ("kernel", "depthwise_kernel", "embeddings")
                 for v in layer._variables):
            left_float.append(f"{layer.name} ({type(layer).__name__})")
    replaced = []
    for layer in chosen:
        replaced.append(getattr(layer, layer._quantization_target))
        layer.quantize(config.mode, type_check=type_check, config=config)
    if left_float:
        warnings.warn(
            f"quantize({config.mode!r}): {len(left_float)} layers have no {config.mode} form "
            f"in hoarfrost and stay in float: {', '.join(left_float[:6])}"
            f"{', ...' if len(left_float) > 6 else ''} (Dense, EinsumDense and Embedding are "
            "quantized).", stacklevel=3)
    _forget_slots(model, replaced)
    return chosen


def _selected(layer, filters) -> bool:
    """Keras's `should_quantize_layer`: regexes searched in the layer's name, or a callable."""
    if filters is None:
        return True
    if isinstance(filters, str):
        return bool(re.search(filters, layer.name))
    if isinstance(filters, (list, tuple)):
        return any(re.search(pattern, layer.name) for pattern in filters)
    return bool(filters(layer))


def _forget_slots(model, variables) -> None:
    """Drop the optimizer slots of variables the model no longer has."""
    optimizer = getattr(model, "optimizer", None)
    if optimizer is not None and variables:
        optimizer.reset_slots(variables)
