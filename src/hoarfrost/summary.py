"""`Model.summary()`: Keras 3's table, with counts that always add up."""

from __future__ import annotations

import io
import logging
import re

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


def layer_index_bounds(layers, layer_range) -> tuple[int, int]:
    """Keras's `get_layer_index_bound_by_layer_name`: the first layer whose name
    matches `layer_range[0]` (a regex, matched at the start) to the last matching
    `layer_range[1]`, both included."""
    if layer_range is None:
        return 0, len(layers)
    if not isinstance(layer_range, (list, tuple)) or len(layer_range) != 2 or not all(
            isinstance(p, str) for p in layer_range):
        raise ValueError("summary(layer_range=...) must be a list or tuple of 2 strings (the "
                         f"first and last layer names, or regexes); got {layer_range!r}.")
    lower = [i for i, layer in enumerate(layers) if re.match(layer_range[0], layer.name)]
    upper = [i for i, layer in enumerate(layers) if re.match(layer_range[1], layer.name)]
    if not lower or not upper:
        raise ValueError(
            f"summary(layer_range={list(layer_range)}): "
            + ("neither name matches" if not lower and not upper else
               f"{layer_range[0] if not lower else layer_range[1]!r} matches no")
            + f" layer; the layers are {[layer.name for layer in layers]}.")
    if min(lower) > max(upper):
        return min(upper), max(lower) + 1
    return min(lower), max(upper) + 1


def _connections(model) -> dict | None:
    """Keras's "Connected to" per layer id for a functional graph that is not a chain."""
    connections = getattr(model, "_connections", None)
    return connections() if connections is not None else None


def _rows(model, trainable_ids, expand_nested: bool, depth: int = 0, layer_range=None,
          connections: dict | None = None):
    shapes = model._layer_output_shapes()
    layers = list(model._layers)  # a functional graph's operations too, as Keras lists them
    start, stop = layer_index_bounds(layers, layer_range)
    for layer in layers[start:stop]:
        weights = layer.weights if layer.built else []
        count = sum(v.size for v in weights)
        if not weights:
            status = "-"
        else:
            trained = [id(v) in trainable_ids for v in weights]
            status = "Y" if all(trained) else ("N" if not any(trained) else "partial")
        name = ("  " * depth) + f"{layer.name} ({type(layer).__name__})"
        # A nested model's own layers are connected in its graph, not this one: "-".
        connected = "-" if connections is None else connections.get(id(layer), "-")
        yield name, _format_shape(shapes.get(id(layer))), f"{count:,}", connected, status
        if expand_nested and hasattr(layer, "layers") and hasattr(layer, "_layer_output_shapes"):
            yield from _rows(layer, trainable_ids, expand_nested, depth + 1,
                             connections=None if connections is None else {})


def _column_widths(positions, line_length: int, columns: int) -> list[int]:
    """Column widths from Keras's `positions`: where each column ends, as fractions of
    the line (all at most 1) or in characters."""
    if len(positions) != columns:
        raise ValueError(f"summary(positions=...) needs {columns} positions, one per column "
                         f"(where each ends); got {list(positions)}.")
    ends = [int(line_length * p) if all(q <= 1 for q in positions) else int(p)
            for p in positions]
    return [max(1, end - begin) for begin, end in zip([0] + ends[:-1], ends)]


def print_summary(model, line_length=None, print_fn=None, expand_nested: bool = False,
                  show_trainable: bool = False, layer_range=None, positions=None) -> None:
    trainable_ids = {id(v) for v in model.trainable_weights}
    # Keras adds "Connected to" for a functional graph that is not a chain (several
    # inputs, branches, merges, shared layers), and widens the table for it.
    connections = _connections(model)
    columns = 3 + (connections is not None) + show_trainable
    width = line_length or (84 + 24 * (connections is not None) + 14 * show_trainable)
    table = Table(box=box.HEAVY_HEAD, show_lines=True, header_style="bold")
    widths = (_column_widths(positions, width, columns)
              if positions is not None else [None] * columns)
    # A long name wraps (as Keras's); the counts never shrink to an ellipsis.
    table.add_column("Layer (type)", overflow="fold", width=widths[0])
    table.add_column("Output Shape", no_wrap=True, width=widths[1])
    table.add_column("Param #", justify="right", no_wrap=True, width=widths[2])
    if connections is not None:
        table.add_column("Connected to", overflow="fold", width=widths[3])
    if show_trainable:
        table.add_column("Trainable", justify="center", width=widths[-1])
    for name, shape, count, connected, status in _rows(
            model, trainable_ids, expand_nested, layer_range=layer_range,
            connections=connections):
        cells = ([name, shape, count] + ([connected] if connections is not None else [])
                 + ([status] if show_trainable else []))
        table.add_row(*cells)

    weights = model.weights
    trainable = [v for v in weights if id(v) in trainable_ids]
    frozen = [v for v in weights if id(v) not in trainable_ids]
    total, total_bytes = _size(weights)
    n_train, train_bytes = _size(trainable)
    n_frozen, frozen_bytes = _size(frozen)
    assert total == n_train + n_frozen
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

