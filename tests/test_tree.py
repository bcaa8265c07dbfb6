"""hoarfrost.tree: keras.tree's results on the structures Keras recorded."""

import collections
import json
from pathlib import Path

import pytest

from hoarfrost import tree

EXPECTED = json.loads((Path(__file__).parent / "fixtures" / "keras_tree.json").read_text())
Point = collections.namedtuple("Point", ["x", "y"])
STRUCTURES = {
    "nested": [(1, 2), [3], {"b": 4, "a": 5}],
    "ordered": collections.OrderedDict([("z", 1), ("a", (2, 3))]),
    "named": Point(x=1, y=[2, None]),
    "none": None,
    "scalar": 7,
    "empty": [(), {}, []],
}


def _outcome(fn, a, b) -> str:
    try:
        fn(a, b)
        return "same"
    except ValueError:
        return "ValueError"


def test_results_equal_keras():
    got = {}
    for name, s in STRUCTURES.items():
        got[f"flatten|{name}"] = repr(tree.flatten(s))
        got[f"flatten_with_path|{name}"] = repr(tree.flatten_with_path(s))
        got[f"is_nested|{name}"] = repr(tree.is_nested(s))
        got[f"lists_to_tuples|{name}"] = repr(tree.lists_to_tuples(s))
        got[f"map|{name}"] = repr(tree.map_structure(lambda v: None if v is None else v * 10, s))
        got[f"pack|{name}"] = repr(tree.pack_sequence_as(s, list(range(len(tree.flatten(s))))))
        visited = []
        got[f"traverse_top|{name}"] = repr(tree.traverse(visited.append, s))
        got[f"traverse_top_visited|{name}"] = repr(visited)
        visited = []
        tree.traverse(visited.append, s, top_down=False)
        got[f"traverse_bottom_visited|{name}"] = repr(visited)
    got["map_shape"] = repr(tree.map_shape_structure(len, [(None, 3), {"a": (2,)}, ()]))
    got["map_up_to"] = repr(tree.map_structure_up_to([0, [0, 0]], str, [[1, 1], [2, 2]]))
    got["map_none_not_leaf"] = repr(tree.map_structure(lambda v: v + 1, [1, None],
                                                       none_is_leaf=False))
    got["traverse_replace"] = repr(tree.traverse(
        lambda v: tree.MAP_TO_NONE if v == (1, 2) else None, [(1, 2), [3]]))
    got["pack_dict_order"] = repr(tree.pack_sequence_as({"key3": "", "key1": "", "key2": ""},
                                                        ["value1", "value2", "value3"]))
    for a, b in [([(0, 1)], [(2, 3)]), ([0, 1], (2, 3)), (Point(0, 1), (0, 1)),
                 ({"a": 1, "b": 2}, collections.OrderedDict([("b", 1), ("a", 2)])), ([1], [[1]])]:
        got[f"assert_same_structure|{a!r}|{b!r}"] = _outcome(tree.assert_same_structure, a, b)
        got[f"assert_same_paths|{a!r}|{b!r}"] = _outcome(tree.assert_same_paths, a, b)
    assert got == EXPECTED


def test_mismatches_raise():
    with pytest.raises(ValueError, match="same nested structure"):
        tree.map_structure(lambda a, b: a + b, [1, 2], [1, [2]])
    with pytest.raises(ValueError, match="3 leaves"):
        tree.pack_sequence_as([1, (2, 3)], [1, 2])
    with pytest.raises(ValueError, match="same nested structure"):
        tree.map_structure_up_to([0, [0, 0]], str, [[1, 1], 2])
    with pytest.raises(ValueError, match="at least one structure"):
        tree.map_structure(str)
