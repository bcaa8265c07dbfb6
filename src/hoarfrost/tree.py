"""Nested structures as Keras 3's `keras.tree` handles them.

The nodes are lists, tuples, namedtuples, dicts (values in sorted-key
order), `OrderedDict`s (insertion order), `defaultdict`s and deques;
everything else, `None` included, is a leaf. Unlike `jax.tree_util`, other
libraries' pytree classes are leaves too, as in Keras.

Example:
    >>> from hoarfrost import tree
    >>> tree.flatten({"b": [1, 2], "a": None})
    [None, 1, 2]
    >>> tree.map_structure(lambda x: x * 2, (1, [2, 3]))
    (2, [4, 6])
"""

from __future__ import annotations

import collections
from typing import Any, Callable


class MAP_TO_NONE:
    """Returned by a `traverse` function to replace a sub-tree with None."""


def is_nested(structure) -> bool:
    """Whether `structure` is a node: a sequence, a mapping or a namedtuple."""
    return isinstance(structure, (list, tuple, dict, collections.deque))


def _keys(structure) -> list:
    """A node's keys in flattening order."""
    if isinstance(structure, dict):
        keys = list(structure)
        if isinstance(structure, collections.OrderedDict):
            return keys
        try:
            return sorted(keys)
        except TypeError:
            return keys
    return list(range(len(structure)))


def _children(structure) -> list:
    return [structure[k] for k in _keys(structure)] if isinstance(structure, dict) \
        else list(structure)


def _rebuild(structure, children: list):
    """A node of `structure`'s type and keys holding `children` (in flattening order)."""
    if isinstance(structure, dict):
        values = dict(zip(_keys(structure), children))
        ordered = [(k, values[k]) for k in structure]  # the original key order
        if isinstance(structure, collections.defaultdict):
            return collections.defaultdict(structure.default_factory, ordered)
        return type(structure)(ordered) if type(structure) is not dict else dict(ordered)
    if isinstance(structure, collections.deque):
        return collections.deque(children, maxlen=structure.maxlen)
    if isinstance(structure, tuple) and hasattr(structure, "_fields"):
        return type(structure)(*children)
    if isinstance(structure, list):
        return list(children)
    return tuple(children) if type(structure) is tuple else type(structure)(children)


def flatten(structure) -> list:
    """The leaves of `structure`, depth first (dicts by sorted key).

    Example:
        >>> flatten([[1, 2, 3], [4, [5], [[6]]]])
        [1, 2, 3, 4, 5, 6]
    """
    if not is_nested(structure):
        return [structure]
    leaves = []
    for child in _children(structure):
        leaves.extend(flatten(child))
    return leaves


def flatten_with_path(structure) -> list[tuple[tuple, Any]]:
    """`(path, leaf)` pairs, a path being the tuple of indices and keys to the leaf."""
    if not is_nested(structure):
        return [((), structure)]
    out = []
    for key in _keys(structure):
        out.extend(((key,) + path, leaf) for path, leaf in flatten_with_path(structure[key]))
    return out


def _same_node(a, b) -> bool:
    if isinstance(a, dict) and isinstance(b, dict):
        return set(a) == set(b)
    if type(a) is not type(b):
        return False
    return len(a) == len(b)


def assert_same_structure(a, b, check_types=None) -> None:
    """Raise ValueError unless `a` and `b` nest the same way.

    Node types must match (a list is not a tuple; two namedtuple classes
    differ), except that any two dict types with the same keys match.
    `check_types` is accepted and ignored, as in Keras 3 (deprecated there).
    """
    if not _same_structure(a, b):
        raise ValueError(f"The two structures don't have the same nested structure: {a!r} and "
                         f"{b!r}.")


def _same_structure(a, b) -> bool:
    if is_nested(a) != is_nested(b):
        return False
    if not is_nested(a):
        return True
    if not _same_node(a, b):
        return False
    if isinstance(a, dict):
        return all(_same_structure(a[k], b[k]) for k in a)
    return all(_same_structure(x, y) for x, y in zip(a, b))


def assert_same_paths(a, b) -> None:
    """Raise ValueError unless `a` and `b` have the same paths (node types may differ)."""
    a_paths = {path for path, _ in flatten_with_path(a)}
    b_paths = {path for path, _ in flatten_with_path(b)}
    if a_paths != b_paths:
        msg = "`a` and `b` don't have the same paths."
        if a_paths - b_paths:
            msg += f"\nPaths in `a` missing in `b`:\n{a_paths - b_paths}"
        if b_paths - a_paths:
            msg += f"\nPaths in `b` missing in `a`:\n{b_paths - a_paths}"
        raise ValueError(msg)


def map_structure(func: Callable, *structures, none_is_leaf: bool = True):
    """`func` applied leaf by leaf to structures of the same layout.

    Args:
        none_is_leaf: False keeps `None` entries as they are instead of
            passing them to `func`.
    """
    if not structures:
        raise ValueError("Must provide at least one structure")
    if not callable(func):
        raise TypeError(f"`func` must be callable, got {func!r}.")
    for other in structures[1:]:
        assert_same_structure(structures[0], other)
    return _map(func, structures, none_is_leaf)


def _map(func, structures, none_is_leaf):
    first = structures[0]
    if not is_nested(first):
        if first is None and not none_is_leaf:
            return None
        return func(*structures)
    if isinstance(first, dict):
        children = [_map(func, [s[k] for s in structures], none_is_leaf) for k in _keys(first)]
    else:
        children = [_map(func, list(items), none_is_leaf) for items in zip(*structures)]
    return _rebuild(first, children)


def map_structure_up_to(shallow_structure, func: Callable, *structures):
    """`func` applied to the sub-structures at the leaves of `shallow_structure`.

    Example:
        >>> map_structure_up_to([None, None], len, [[1, 1], [2, 2]])
        [2, 2]
    """
    if not structures:
        raise ValueError("Must provide at least one structure")
    if not is_nested(shallow_structure):
        return func(*structures)
    for s in structures:
        if not is_nested(s) or not _same_node(shallow_structure, s):
            raise ValueError("Structures don't have the same nested structure: "
                             f"{shallow_structure!r} and {s!r}.")
    if isinstance(shallow_structure, dict):
        children = [map_structure_up_to(shallow_structure[k], func, *[s[k] for s in structures])
                    for k in _keys(shallow_structure)]
    else:
        children = [map_structure_up_to(sub, func, *items)
                    for sub, *items in zip(shallow_structure, *structures)]
    return _rebuild(shallow_structure, children)


def pack_sequence_as(structure, flat_sequence):
    """The leaves of `flat_sequence`, in order, arranged as `structure`.

    Example:
        >>> pack_sequence_as((("a", "b"), "c"), [1, 2, 3])
        ((1, 2), 3)
    """
    flat_sequence = list(flat_sequence)
    count = len(flatten(structure))
    if len(flat_sequence) != count:
        raise ValueError(f"pack_sequence_as: the structure has {count} leaves but the flat "
                         f"sequence has {len(flat_sequence)} entries.")
    iterator = iter(flat_sequence)

    def pack(node):
        if not is_nested(node):
            return next(iterator)
        return _rebuild(node, [pack(child) for child in _children(node)])

    return pack(structure)


def traverse(func: Callable, structure, top_down: bool = True):
    """Apply `func` to every sub-structure, parents first (`top_down`) or last.

    Top down, a non-None result replaces that sub-tree and stops the descent;
    bottom up, a non-None result replaces the sub-tree built from its
    traversed children. Return `MAP_TO_NONE` to put None in its place.
    """
    if not callable(func):
        raise TypeError(f"`func` must be callable, got {func!r}.")

    def children_of(node):
        if not is_nested(node):
            return node
        return _rebuild(node, [traverse(func, c, top_down) for c in _children(node)])

    if top_down:
        result = func(structure)
        if result is None:
            return children_of(structure)
    else:
        traversed = children_of(structure)
        result = func(traversed)
        if result is None:
            return traversed
    return None if result is MAP_TO_NONE else result


def lists_to_tuples(structure):
    """`structure` with every list turned into a tuple."""
    return traverse(lambda node: tuple(node) if isinstance(node, list) else None, structure,
                    top_down=False)


def _is_shape(x) -> bool:
    return isinstance(x, (list, tuple)) and all(isinstance(e, (int, type(None))) for e in x)


def map_shape_structure(func: Callable, structure):
    """`map_structure` where tuples and lists of ints and Nones (shapes) are leaves."""
    if _is_shape(structure) or not is_nested(structure):
        return func(structure)
    return _rebuild(structure, [map_shape_structure(func, c) for c in _children(structure)])


__all__ = ["MAP_TO_NONE", "assert_same_paths", "assert_same_structure", "flatten",
           "flatten_with_path", "is_nested", "lists_to_tuples", "map_shape_structure",
           "map_structure", "map_structure_up_to", "pack_sequence_as", "traverse"]
