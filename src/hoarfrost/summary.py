"""`Model.summary()`: Keras 3's table, with counts that always add up."""

from __future__ import annotations

import io
import logging

from rich import box
from rich.console import Console
from rich.table import Table


def _format_shape(shape) -> str:
    if shape is None:
        return "?"
    if isinstance(shape, list):
        return ", ".join(_format_shape(s) for s in shape)
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + (
        ",)" if len(shape) == 1 else ")")


def _format_bytes(num: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if num < 1024 or unit == "GB":
            return f"{num:.2f} {unit}"
        num /= 1024
    return f"{num:.2f} GB"


def _size(variables) -> tuple[int, int]:
    count = sum(v.size for v in variables)
    nbytes = sum(v.size * v.dtype.itemsize for v in variables)
    return count, nbytes


def count_params(model) -> tuple[int, int, int]:
    """(total, trainable, non-trainable): each variable counted exactly once."""
    weights = model.weights
    trainable_ids = {id(v) for v in model.trainable_weights}
    total = sum(v.size for v in weights)
    trainable = sum(v.size for v in weights if id(v) in trainable_ids)
    return total, trainable, total - trainable


def _rows(model, trainable_ids, expand_nested: bool, depth: int = 0):
    shapes = model._layer_output_shapes()
    for layer in model.layers:
        weights = layer.weights if layer.built else []
        count = sum(v.size for v in weights)
        if not weights:
            status = "-"
        else:
            trained = [id(v) in trainable_ids for v in weights]
            status = "Y" if all(trained) else ("N" if not any(trained) else "partial")
        name = ("  " * depth) + f"{layer.name} ({type(layer).__name__})"
        yield name, _format_shape(shapes.get(id(layer))), f"{count:,}", status
        if expand_nested and hasattr(layer, "layers") and hasattr(layer, "_layer_output_shapes"):
            yield from _rows(layer, trainable_ids, expand_nested, depth + 1)


def print_summary(model, line_length=None, print_fn=None, expand_nested: bool = False,
                  show_trainable: bool = False) -> None:
    trainable_ids = {id(v) for v in model.trainable_weights}
    table = Table(box=box.HEAVY_HEAD, show_lines=True, header_style="bold")
    table.add_column("Layer (type)", no_wrap=True)
    table.add_column("Output Shape", no_wrap=True)
    table.add_column("Param #", justify="right")
    if show_trainable:
        table.add_column("Trainable", justify="center")
    for name, shape, count, status in _rows(model, trainable_ids, expand_nested):
        cells = [name, shape, count] + ([status] if show_trainable else [])
        table.add_row(*cells)

    weights = model.weights
    trainable = [v for v in weights if id(v) in trainable_ids]
    frozen = [v for v in weights if id(v) not in trainable_ids]
    total, total_bytes = _size(weights)
    n_train, train_bytes = _size(trainable)
    n_frozen, frozen_bytes = _size(frozen)
    assert total == n_train + n_frozen
    width = line_length or (98 if show_trainable else 84)
    buffer = io.StringIO()
    console = Console(file=buffer, width=width, highlight=False, color_system=None)
    console.print(f'Model: "{model.name}"')
    console.print(table)
    console.print(f" Total params: {total:,} ({_format_bytes(total_bytes)})")
    console.print(f" Trainable params: {n_train:,} ({_format_bytes(train_bytes)})")
    console.print(f" Non-trainable params: {n_frozen:,} ({_format_bytes(frozen_bytes)})")
    text = buffer.getvalue().rstrip("\n")
    if print_fn is None:
        from hoarfrost import config
        if config.is_interactive_logging_enabled():
            print(text)
        else:
            logging.getLogger("hoarfrost").info(text)
    else:
        for line in text.split("\n"):
            print_fn(line)

