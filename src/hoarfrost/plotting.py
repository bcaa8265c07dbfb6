"""Pictures of training and of models, drawn with matplotlib only (no graphviz).

matplotlib is an optional dependency (`pip install hoarfrost[plot]`), imported
only when a picture is drawn. Figures are built with matplotlib's object API
(`Figure`, the Agg canvas), never `pyplot`, so drawing changes no global
state, opens no window and works on a headless machine. Files are written
atomically, like every file hoarfrost writes.
"""

from __future__ import annotations

import io
import math
import os
from collections import defaultdict

# Box fills and edges by trainability: (legend label, face colour, edge colour).
STATUS_STYLE = {
    "trainable": ("trainable", "#cfe5fb", "#2f6db5"),
    "frozen": ("frozen (trainable=False)", "#fde0c5", "#c0661a"),
    "partial": ("partly frozen", "#fdf3b4", "#a8900c"),
    "none": ("no weights", "#eeeeee", "#8a8a8a"),
}
_FONT_SIZE = 9.0  # points
_CHAR_WIDTH = 0.6 * _FONT_SIZE / 72  # inches per character of DejaVu Sans Mono
_LINE_HEIGHT = 1.45 * _FONT_SIZE / 72  # inches per line


def _matplotlib(what: str):
    """The matplotlib modules needed, or an ImportError that says how to get them."""
    try:
        import matplotlib  # noqa: F401
        from matplotlib.figure import Figure
        from matplotlib import patches, ticker
    except ImportError as exc:
        raise ImportError(
            f"hoarfrost.utils.{what} draws with matplotlib, which is not installed. "
            "Install the optional extra: pip install hoarfrost[plot]"
        ) from exc
    return Figure, patches, ticker


def _save(figure, path, dpi) -> str:
    """Render to memory, then write atomically (a failed save keeps the old file). Over
    several processes process 0 alone writes (the others would race for the same path)."""
    from hoarfrost.host import is_writer
    from hoarfrost.saving.saving_lib import atomic_write
    path = os.fspath(path)
    if not is_writer():
        return path
    suffix = os.path.splitext(path)[1].lower().lstrip(".")
    fmt = suffix if suffix in ("png", "svg", "pdf", "jpg", "jpeg") else "png"
    buffer = io.BytesIO()
    figure.savefig(buffer, format=fmt, dpi=dpi, facecolor="white")
    data = buffer.getvalue()
    atomic_write(path, lambda handle: handle.write(data))
    return path


# --- history --------------------------------------------------------------------------------
def _history_series(history):
    """(per-key values, per-key epoch numbers from 1) from a History or a dict."""
    if hasattr(history, "history"):
        values = dict(history.history)
        epochs = list(getattr(history, "epoch", []) or [])
        key_epochs = dict(getattr(history, "_key_epochs", {}) or {})
    elif isinstance(history, dict):
        values, epochs, key_epochs = dict(history), [], {}
    else:
        raise TypeError("plot_history: `history` must be the History returned by fit() or a "
                        f"dict of lists, got {type(history).__name__}.")
    if not values:
        raise ValueError("plot_history: the history is empty; train for at least one epoch.")
    longest = max(len(v) for v in values.values())
    if len(epochs) != longest:
        epochs = list(range(longest))
    xs = {}
    for key, series in values.items():
        if key in key_epochs and len(key_epochs[key]) == len(series):
            xs[key] = [e + 1 for e in key_epochs[key]]
        elif len(series) == len(epochs):
            xs[key] = [e + 1 for e in epochs]
        else:  # e.g. validation every few epochs, from a plain dict: align with the end
            xs[key] = [e + 1 for e in epochs[len(epochs) - len(series):]]
    return values, xs


def plot_history(history, path="history.png", metrics=None, dpi: int = 100,
                 title: str | None = None) -> str:
    """Plot training curves: one panel per metric, training against validation.

    Args:
        history: the `History` returned by `fit` (or its `.history` dict).
        path: the image file to write (PNG unless the suffix says svg/pdf/jpg).
        metrics: the metric names to draw (default: all, `loss` first).
        dpi: the resolution.
        title: a title over the panels.

    Returns:
        the path written.

    Example:
        >>> history = model.fit(x, y, validation_split=0.2, epochs=10)  # doctest: +SKIP
        >>> hoarfrost.utils.plot_history(history, "history.png")  # doctest: +SKIP
    """
    Figure, _, ticker = _matplotlib("plot_history")
    values, xs = _history_series(history)
    names = []
    for key in values:
        base = key[4:] if key.startswith("val_") else key
        if base not in names:
            names.append(base)
    names.sort(key=lambda n: (n != "loss", n == "learning_rate"))
    if metrics is not None:
        unknown = [m for m in metrics if m not in names]
        if unknown:
            raise ValueError(f"plot_history: no {unknown} in the history; it has {names}.")
        names = list(metrics)
    cols = min(len(names), 3)
    rows = math.ceil(len(names) / cols)
    figure = Figure(figsize=(4.4 * cols, 3.3 * rows + (0.4 if title else 0)), dpi=dpi,
                    layout="constrained")
    axes = figure.subplots(rows, cols, squeeze=False)
    for ax, name in zip(axes.flat, names):
        for key, label, style in ((name, "training", "-"), (f"val_{name}", "validation", "--")):
            if key in values and values[key]:
                ax.plot(xs[key], values[key], style, marker="o", markersize=3.5, linewidth=1.6,
                        label=label)
        if f"val_{name}" in values and values[f"val_{name}"]:
            best_key = f"val_{name}"
        else:
            best_key = name if name in values else None
        if best_key and name not in ("learning_rate",):
            series = values[best_key]
            finite = [(v, x) for v, x in zip(series, xs[best_key]) if math.isfinite(v)]
            if finite:
                pick = max if _maximized(name) else min
                value, epoch = pick(finite)
                ax.plot([epoch], [value], marker="*", markersize=11, color="#d62728",
                        linestyle="none", label=f"best: {value:.4g} (epoch {epoch})")
        if name == "learning_rate" and all(v > 0 for v in values.get(name, [1])):
            ax.set_yscale("log")
        ax.set_title(name)
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(ticker.MaxNLocator(integer=True))
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8)
    for ax in list(axes.flat)[len(names):]:
        ax.set_visible(False)
    if title:
        figure.suptitle(title)
    return _save(figure, path, dpi)


def _maximized(name: str) -> bool:
    return any(word in name for word in ("acc", "auc", "precision", "recall"))


# --- model graph ----------------------------------------------------------------------------
def _shape_text(shape) -> str:
    from hoarfrost.summary import _format_shape
    return _format_shape(shape)


def _graph(model):
    """(layers in order, edges as (parent, child) pairs, input layers) of a model."""
    from hoarfrost.layers.input_layer import InputLayer
    nodes = getattr(model, "_nodes", None)
    if nodes is not None:  # functional: the recorded graph of layer calls
        layers, edges = [], []
        for node in nodes:
            if node.layer not in layers:
                layers.append(node.layer)
            for tensor in node.input_tensors:
                if tensor.node is None:
                    continue
                edge = (tensor.node.layer, node.layer)
                if edge not in edges:
                    edges.append(edge)
        return layers, edges
    layers = list(model.layers)
    input_layer = getattr(model, "_input_layer", None)
    if isinstance(input_layer, InputLayer):  # Sequential: a chain
        layers.insert(0, input_layer)
    if hasattr(model, "add"):
        return layers, list(zip(layers[:-1], layers[1:]))
    return layers, []  # a subclassed model: its call graph is Python code, not recorded


def _status(layer, trainable_ids) -> str:
    weights = layer.weights if getattr(layer, "built", True) else []
    if not weights:
        return "none"
    trained = [id(v) in trainable_ids for v in weights]
    return "trainable" if all(trained) else ("frozen" if not any(trained) else "partial")


def _layer_lines(layer, shapes, show_shapes, show_layer_names, show_layer_activations,
                 show_trainable, status) -> list[str]:
    from hoarfrost.layers.input_layer import InputLayer
    kind = type(layer).__name__
    lines = [f"{layer.name} ({kind})" if show_layer_names else kind]
    if show_layer_activations and hasattr(layer, "activation"):
        from hoarfrost.activations import serialize
        name = serialize(layer.activation)
        lines.append(f"activation: {name if isinstance(name, str) else getattr(name, '__name__', '?')}")
    if show_shapes:
        shape = layer.batch_shape if isinstance(layer, InputLayer) else shapes.get(id(layer))
        lines.append(f"output: {_shape_text(shape)}")
    count = sum(v.size for v in layer.weights) if getattr(layer, "built", True) else 0
    if count:
        lines.append(f"params: {count:,}")
    if show_trainable:  # as summary(show_trainable=True) spells it
        lines.append("trainable: " + {"trainable": "Y", "frozen": "N", "partial": "partial",
                                      "none": "-"}[status])
    return lines


class _Bend:
    """A waypoint of an edge that skips ranks (so it gets its own lane, between boxes)."""

    def __init__(self, rank: int):
        self.rank = rank


def _layout(layers, edges):
    """A layered (Sugiyama-style) layout of the layer graph.

    Rank: the longest path from an input; inputs then move down to just above
    their first consumer. Edges that skip ranks get a waypoint in each rank they
    cross, so they run in lanes between boxes instead of through them. Each
    rank is ordered by the mean position of its neighbours (down, up, down).

    Returns (rank per layer, items per rank in order, chains: one list of
    items [parent, waypoints..., child] per edge).
    """
    parents, children = defaultdict(list), defaultdict(list)
    for parent, child in edges:
        parents[child].append(parent)
        children[parent].append(child)
    rank = {}
    for layer in layers:  # layers come in a topological order
        rank[layer] = 1 + max((rank[p] for p in parents[layer] if p in rank), default=-1)
    for layer in layers:
        if not parents[layer] and children[layer]:
            rank[layer] = min(rank[c] for c in children[layer]) - 1
    chains, before, after = [], defaultdict(list), defaultdict(list)
    by_rank = defaultdict(list)
    for layer in layers:
        by_rank[rank[layer]].append(layer)
    for parent, child in edges:
        chain = [parent] + [_Bend(r) for r in range(rank[parent] + 1, rank[child])] + [child]
        for item in chain[1:-1]:  # start in the middle of its rank (ties keep it there)
            row = by_rank[item.rank]
            row.insert(len(row) // 2, item)
        for a, b in zip(chain[:-1], chain[1:]):
            after[a].append(b)
            before[b].append(a)
        chains.append(chain)
    ranks = sorted(by_rank)

    def sweep(order, neighbours):
        for r in order:
            row = by_rank[r]
            index = {item: i for i, item in enumerate(row)}
            centre = (len(row) - 1) / 2

            def key(item):
                near = neighbours[item]
                if not near:
                    return index[item] - centre
                return sum(_slot(n, by_rank, rank) for n in near) / len(near)

            row.sort(key=key)

    sweep(ranks[1:], before)
    sweep(ranks[-2::-1], after)
    sweep(ranks[1:], before)
    return rank, by_rank, chains


def _slot(item, by_rank, rank) -> float:
    """An item's place in its rank, 0 at the rank's centre."""
    row = by_rank[item.rank if isinstance(item, _Bend) else rank[item]]
    return row.index(item) - (len(row) - 1) / 2


def plot_model(model, to_file="model.png", show_shapes: bool = True,
               show_layer_names: bool = True, rankdir: str = "TB", dpi: int = 200,
               show_layer_activations: bool = False, show_trainable: bool = False) -> str:
    """Draw a model's layer graph: one box per layer, an arrow per connection.

    Each box shows `name (Type)`, the output shape and the parameter count;
    its colour tells whether the layer trains, is frozen, partly frozen or has
    no weights (as the next training step would see it), with a legend.
    Sequential models are drawn as a chain, functional models from their
    recorded graph (branches, merges and skip connections included);
    subclassed models, whose graph is Python code, as their layers in order.

    Args:
        model: a built model.
        to_file: the image file (PNG unless the suffix says svg/pdf/jpg).
        show_shapes: show each layer's output shape (default True; Keras's is False).
        show_layer_names: show the layer names (else only the types).
        rankdir: `"TB"` (top to bottom) or `"LR"` (left to right).
        dpi: the resolution.
        show_layer_activations: show the activation of layers that have one.
        show_trainable: also spell out the trainability in each box.

    Returns:
        the path written.
    """
    Figure, patches, _ = _matplotlib("plot_model")
    from matplotlib.path import Path
    if rankdir not in ("TB", "LR"):
        raise ValueError(f"plot_model: rankdir must be 'TB' or 'LR', got {rankdir!r}.")
    if not getattr(model, "built", False):
        raise ValueError(
            f'plot_model: model "{model.name}" is not built, so its layers have no shapes yet. '
            "Give it an input shape, or call it on data first."
        )
    layers, edges = _graph(model)
    if not layers:
        raise ValueError(f'plot_model: model "{model.name}" has no layers to draw.')
    trainable_ids = {id(v) for v in model.trainable_weights}
    shapes = model._layer_output_shapes() if hasattr(model, "_layer_output_shapes") else {}
    status = {layer: _status(layer, trainable_ids) for layer in layers}
    text = {layer: _layer_lines(layer, shapes, show_shapes, show_layer_names,
                                show_layer_activations, show_trainable, status[layer])
            for layer in layers}
    size = {layer: (max(len(line) for line in lines) * _CHAR_WIDTH + 0.3,
                    len(lines) * _LINE_HEIGHT + 0.16) for layer, lines in text.items()}
    rank, by_rank, chains = _layout(layers, edges)
    tb = rankdir == "TB"

    # Geometry in inches: the axes span the figure, one data unit is one inch.
    def across(item):  # extent across the flow
        return 0.25 if isinstance(item, _Bend) else size[item][0 if tb else 1]

    gap_across = 0.4
    step_along = max(size[layer][1 if tb else 0] for layer in layers) + (0.6 if tb else 0.8)
    ranks = sorted(by_rank)
    offset = {}
    for r in ranks:  # items side by side, each rank centred
        row = by_rank[r]
        total = sum(across(item) for item in row) + gap_across * (len(row) - 1)
        cursor = -total / 2
        for item in row:
            offset[item] = cursor + across(item) / 2
            cursor += across(item) + gap_across
    span_across = max(max(offset[i] + across(i) / 2 for i in row) -
                      min(offset[i] - across(i) / 2 for i in row) for row in by_rank.values())
    span_along = len(ranks) * step_along
    legend_h, title_h, margin = 0.45, 0.45, 0.25
    if tb:
        fig_w = max(span_across, 5.2) + 2 * margin
        fig_h = span_along + title_h + legend_h + 2 * margin
    else:
        fig_w = max(span_along + 2 * margin, 5.2)
        fig_h = max(span_across, 1.5) + title_h + legend_h + 2 * margin
    figure = Figure(figsize=(fig_w, fig_h), dpi=dpi)
    ax = figure.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, fig_w)
    ax.set_ylim(0, fig_h)
    ax.set_axis_off()

    top = fig_h - margin - title_h
    middle_across = (top + margin + legend_h) / 2 if not tb else fig_w / 2
    left = (fig_w - span_along) / 2

    def point(item):
        r = ranks.index(item.rank if isinstance(item, _Bend) else rank[item])
        if tb:
            return middle_across + offset[item], top - r * step_along - step_along / 2
        return left + r * step_along + step_along / 2, middle_across - offset[item]

    # Where each edge leaves and enters a box: spread along the side, in neighbour order.
    exits, entries = defaultdict(list), defaultdict(list)
    for n, chain in enumerate(chains):
        exits[chain[0]].append((offset[chain[1]], n))
        entries[chain[-1]].append((offset[chain[-2]], n))

    def spread(table, item):
        ends = sorted(table[item])
        k = len(ends)
        width = across(item) * 0.6
        step = min(0.3, width / (k - 1)) if k > 1 else 0.0
        return {n: (i - (k - 1) / 2) * step for i, (_, n) in enumerate(ends)}

    exit_shift = {layer: spread(exits, layer) for layer in exits}
    entry_shift = {layer: spread(entries, layer) for layer in entries}

    def side(layer, shift, leaving):
        x, y = point(layer)
        w, h = size[layer]
        if tb:
            return x + shift, y + (-h / 2 if leaving else h / 2)
        return x + (w / 2 if leaving else -w / 2), y - shift

    band = defaultdict(float)  # half the extent of each rank's boxes along the flow
    for layer in layers:
        band[rank[layer]] = max(band[rank[layer]], size[layer][1 if tb else 0] / 2)

    def through(bend):
        """A skipping edge crosses a rank straight, in its own lane beside the boxes."""
        x, y = point(bend)
        half = band[bend.rank] + 0.05
        return [(x, y + half), (x, y - half)] if tb else [(x - half, y), (x + half, y)]

    for n, chain in enumerate(chains):  # edges under the boxes
        points = [side(chain[0], exit_shift[chain[0]][n], True)]
        straight = []
        for item in chain[1:-1]:
            points += through(item)
            straight.append(len(points) - 1)  # the segment into this point is straight
        points.append(side(chain[-1], entry_shift[chain[-1]][n], False))
        verts, codes = [points[0]], [Path.MOVETO]
        for i, ((x0, y0), (x1, y1)) in enumerate(zip(points[:-1], points[1:]), start=1):
            if i in straight:
                verts.append((x1, y1))
                codes.append(Path.LINETO)
                continue
            if tb:
                controls = [(x0, (y0 + y1) / 2), (x1, (y0 + y1) / 2)]
            else:
                controls = [((x0 + x1) / 2, y0), ((x0 + x1) / 2, y1)]
            verts += controls + [(x1, y1)]
            codes += [Path.CURVE4] * 3
        ax.add_patch(patches.FancyArrowPatch(
            path=Path(verts, codes), arrowstyle="-|>", mutation_scale=11, linewidth=1.1,
            color="#4d4d4d", shrinkA=0, shrinkB=1, zorder=1))

    for layer in layers:
        (x, y), (w, h) = point(layer), size[layer]
        _, face, edge = STATUS_STYLE[status[layer]]
        ax.add_patch(patches.FancyBboxPatch(
            (x - w / 2, y - h / 2), w, h, boxstyle="round,pad=0.02,rounding_size=0.06",
            facecolor=face, edgecolor=edge, linewidth=1.3, zorder=2))
        lines = text[layer]
        ax.text(x, y + h / 2 - 0.08 - _LINE_HEIGHT / 2, lines[0], ha="center", va="center",
                family="monospace", fontsize=_FONT_SIZE, fontweight="bold", zorder=3)
        for i, line in enumerate(lines[1:], start=1):
            ax.text(x, y + h / 2 - 0.08 - _LINE_HEIGHT * (i + 0.5), line, ha="center",
                    va="center", family="monospace", fontsize=_FONT_SIZE - 0.5,
                    color="#333333", zorder=3)

    total = sum(v.size for v in model.weights)
    trainable = sum(v.size for v in model.trainable_weights)
    ax.text(margin, fig_h - margin - title_h / 2, f'Model "{model.name}" ({type(model).__name__})'
            f" - {total:,} params, {trainable:,} trainable", ha="left", va="center",
            fontsize=10, fontweight="bold")
    present = [key for key in STATUS_STYLE if key in status.values()]
    handles = [patches.Patch(facecolor=STATUS_STYLE[k][1], edgecolor=STATUS_STYLE[k][2],
                             label=STATUS_STYLE[k][0]) for k in present]
    ax.legend(handles=handles, loc="lower center", ncol=len(handles), fontsize=8,
              frameon=False, bbox_to_anchor=(0.5, 0.0))
    if not edges and len(layers) > 1 and not hasattr(model, "add"):
        ax.text(fig_w - margin, margin + legend_h, "subclassed model: layers in order, "
                "connections not recorded", ha="right", va="bottom", fontsize=7,
                color="#666666")
    return _save(figure, to_file, dpi)


# --- model_to_dot -----------------------------------------------------------------------------
def _pydot():
    """pydot, or one of the older forks Keras also accepts; None when none is installed."""
    for name in ("pydot", "pydot_ng", "pydotplus"):
        try:
            return __import__(name)
        except ImportError:
            continue
    return None


def model_to_dot(model, show_shapes=False, show_dtype=False, show_layer_names=True,
                 rankdir="TB", expand_nested=False, dpi=200, subgraph=False,
                 show_layer_activations=False, show_trainable=False, splines="ortho",
                 **kwargs):
    """Keras 3's `keras.utils.model_to_dot`, as far as hoarfrost goes: the same checks in
    the same order (a built model, then pydot), so a program that guards the call with
    `except ImportError` behaves as under Keras. hoarfrost draws without graphviz
    (`plot_model`, matplotlib), so with pydot installed it raises rather than return a
    graph that differs from Keras's."""
    if not getattr(model, "built", False):
        raise ValueError("This model has not yet been built. Build the model first by calling "
                         "`build()` or by calling the model on a batch of data.")
    if _pydot() is None:
        raise ImportError("You must install pydot (`pip install pydot`) for model_to_dot to "
                          "work.")
    raise NotImplementedError(
        "model_to_dot: hoarfrost does not build pydot graphs (pydot is installed, but "
        "hoarfrost draws with matplotlib and no graphviz). Use "
        "hoarfrost.utils.plot_model(model, to_file=...) to draw the model.")
