"""A model's outputs as `compile()` and the data see them: how many, and their names
(`OutputLayout`, names as Keras 3 gives them), and targets or sample weights laid out
per output (`standardize`, `pick`, `pick_weight`).
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import numpy as np

from hoarfrost.symbolic import is_keras_tensor


class OutputLayout(NamedTuple):
    """The model's outputs, flattened: how many, and their names (None when unnamed)."""

    count: int
    names: list | None
    keyed: bool = False  # the outputs are a dict (names are its keys)

    def describe(self) -> str:
        words = "1 output" if self.count == 1 else f"{self.count} outputs"
        return f"{words} {self.names}" if self.names else words

    def output(self, index: int) -> str:
        """An output in a message: its name, or its position."""
        return repr(self.names[index]) if self.names else f"#{index}"

    def label(self, index: int, base: str = "y") -> str:
        """How to refer to one output's entry of `base` in a message."""
        if self.count == 1:
            return base
        return f"{base}[{self.names[index]!r}]" if self.names else f"{base}[{index}]"


def output_layout(model, spec=None) -> OutputLayout:
    """The layout of a functional model's outputs, or of `spec` (an output pytree)."""
    struct = getattr(model, "_outputs_struct", None)
    if struct is None:
        struct = spec
    flat, _ = jax.tree_util.tree_flatten_with_path(struct, is_leaf=is_keras_tensor)
    names = None
    keyed = isinstance(struct, dict) and all(len(path) == 1 for path, _ in flat)
    if keyed:
        names = [str(path[0].key) for path, _ in flat]
    elif getattr(model, "output_names", None):
        names = list(model.output_names)
    return OutputLayout(len(flat), _unique(names) if names else None, keyed)


def _unique(names: list) -> list:
    seen: set = set()
    out = []
    for name in names:
        candidate, k = name, 1
        while candidate in seen:
            candidate, k = f"{name}_{k}", k + 1
        seen.add(candidate)
        out.append(candidate)
    return out


def standardize(tree, layout: OutputLayout, argument: str):
    """`y` or `sample_weight` as the outputs: one array for one output, else a list.

    A dict is read by output name, a list or tuple in output order; a single
    `sample_weight` array applies to every output (as Keras).
    """
    if tree is None:
        return None
    n = layout.count
    if isinstance(tree, dict):
        if layout.names is None:
            raise ValueError(
                f"`{argument}` is a dict (keys {sorted(map(str, tree))}), but the model's "
                f"{layout.describe()} have no names; pass a list of {n} arrays in output order.")
        unknown = [k for k in tree if k not in layout.names]
        if unknown:
            raise ValueError(
                f"`{argument}` has keys {unknown} that are not output names; the model has "
                f"{layout.describe()}. Key `{argument}` by output name.")
        values = [tree.get(name) for name in layout.names]
    elif isinstance(tree, (list, tuple)):
        values = list(tree)
        if len(values) != n:
            flat = jax.tree.leaves(tree, is_leaf=lambda a: a is None)
            if len(flat) != n:
                raise ValueError(
                    f"`{argument}` holds {_count(len(values), 'array')}, but the model has "
                    f"{layout.describe()}; pass one per output, in "
                    "output order (or a dict keyed by output name).")
            values = flat
    else:
        if n == 1 or argument == "sample_weight":
            return tree
        raise ValueError(
            f"The model has {layout.describe()}, but `{argument}` is a single array of shape "
            f"{np.shape(tree)}; pass a list of {n} arrays in output order, or a dict keyed by "
            "output name.")
    return values[0] if n == 1 else values


def pick(tree, index: int, count: int):
    """Output `index`'s entry of a standardized `y`."""
    return tree if count == 1 else tree[index]


def pick_weight(sample_weight, index: int):
    """Output `index`'s sample weights (one array may serve every output)."""
    return sample_weight[index] if isinstance(sample_weight, list) else sample_weight


def _count(n: int, word: str) -> str:
    plural = {"loss": "losses", "entry": "entries"}.get(word, word + "s")
    return f"{n} {word if n == 1 else plural}"
