"""Select variables and layers by object, name, glob or regex, for freezing.

A selector is one of:

- a `Layer` (or model): all of its variables;
- a `Variable`: that variable;
- a string equal to a layer name in the model (nested models searched):
  that layer;
- a glob matching layer names (`"block1*"`): those layers (their flags, as a name);
- any other string: a glob on variable paths (`"block1/*"`, `"*/bias"`);
- a compiled `re.Pattern`: a regex searched in variable paths.
"""

from __future__ import annotations

import re
from typing import Iterable, Iterator

from hoarfrost.layers.layer import Layer
from hoarfrost.naming import first_match, path_matches  # noqa: F401  (first_match: its old home)
from hoarfrost.variables import Variable


def walk(model, ancestors: tuple = ()) -> Iterator[tuple]:
    """Yield (layer, ancestors) for every layer under `model`, outermost first."""
    yield model, ancestors
    for layer in model._layers:
        yield from walk(layer, ancestors + (model,))


def layer_named(model, name: str):
    for layer, _ in walk(model):
        if layer is not model and layer.name == name:
            return layer
    return None


def variable_owners(model) -> dict[int, tuple]:
    """Map id(variable) -> (owner layer, its ancestors) for every variable of `model`."""
    owners = {}
    for layer, ancestors in walk(model):
        for variable in layer._variables:
            owners.setdefault(id(variable), (layer, ancestors))
    return owners


def select(model, selectors: Iterable) -> list:
    """The items the selectors name: layers stay layers, everything else variables."""
    chosen = []
    weights = model.weights
    for selector in selectors:
        if isinstance(selector, (Layer, Variable)):
            chosen.append(selector)
            continue
        layer = layer_named(model, selector) if isinstance(selector, str) else None
        if layer is not None:
            chosen.append(layer)
            continue
        if isinstance(selector, str):  # a glob on layer names selects those layers
            named = [layer for layer, _ in walk(model) if layer is not model
                     and path_matches(selector, layer.name)]
            if named:
                chosen.extend(named)
                continue
        if not isinstance(selector, (str, re.Pattern)):
            raise TypeError(
                f"Selector {selector!r}: expected a Layer, a Variable, a layer name, a glob on "
                "variable paths, or a compiled regex."
            )
        matched = [v for v in weights if path_matches(selector, v.path)]
        if not matched:
            raise ValueError(
                f"Selector {selector!r} matches no layer name and no variable path of model "
                f'"{model.name}". Variable paths look like: '
                f"{', '.join(v.path for v in weights[:4])}{', ...' if len(weights) > 4 else ''}."
            )
        chosen.extend(matched)
    return chosen


def selected_variables(model, selectors: Iterable) -> list:
    """The variables the selectors name, in `model.weights` order."""
    ids = set()
    for item in select(model, selectors):
        for variable in (item.weights if isinstance(item, Layer) else [item]):
            ids.add(id(variable))
    return [v for v in model.weights if id(v) in ids]
