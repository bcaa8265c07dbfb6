"""The package's shape: no import cycles, no writes into another object's private state,
no overlong modules.

The checks read the source (nothing is imported), so they cost milliseconds.
A new exception needs a line here saying why it is right; see docs/ARCHITECTURE.md.
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "hoarfrost"

#: Import cycles that are known and owned by other work, each to be removed by it.
KNOWN_CYCLES: set[frozenset] = set()

#: Writes of a private attribute (`x._name = ...`, `x._name[k] = ...`, `x._name.update(...)`)
#: on an object other than `self`/`cls`, allowed where they are: (file, attribute) -> why.
ALLOWED_PRIVATE_WRITES = {
    ("masking.py", "_keras_mask"):
        "Keras's own attribute for a tensor's mask (`x._keras_mask`), which Keras users read "
        "and set; masking.set_mask hangs it on arrays that take attributes.",
    ("variables.py", "_value"):
        "`assign_values`, the engine's write-back of a step's results, sets Variables' "
        "values in their own module (Variable.assign checks and casts; this path must not).",
    ("layers/layer.py", "_path"):
        "a layer names the variables it tracks: `Layer._track_variable` gives each its "
        "unique path (Keras sets it at creation through name scopes).",
    ("layers/attention/multi_head_attention.py", "_path"):
        "MultiHeadAttention's inner projections name their variables after the owning layer, "
        "as Keras does (an override of `_track_variable`, the one place paths are set).",
    ("models/sequential.py", "_inbound_nodes"):
        "a Sequential forgets the graph nodes its own earlier build added to its layers.",
    ("data/dataset.py", "_batch_size"):
        "`Dataset.batch` records its batch size on the Dataset it returns (the same class; "
        "tf.data's BatchDataset keeps it too), which `split_dataset` reads.",
    ("callbacks/backup_and_restore.py", "_initial_epoch"):
        "Keras's contract between BackupAndRestore and fit: the callback moves the first "
        "epoch on restore by setting `model._initial_epoch` (keras/src/callbacks/"
        "backup_and_restore.py does the same), so Keras callbacks that set it work too.",
}

#: Source files allowed past LIMIT lines, and why.
LIMIT = 600
LONG_FILES = {
}

_MUTATORS = {"append", "extend", "insert", "remove", "pop", "clear", "update", "setdefault",
             "add", "discard", "popitem"}


def _modules() -> dict[str, Path]:
    modules = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    return modules


def import_graph() -> dict[str, set[str]]:
    """module -> the hoarfrost modules it imports (anywhere in it, functions included)."""
    modules = _modules()
    graph = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        targets = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                targets.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parent = package.split(".")[:len(package.split(".")) - node.level + 1]
                    base = ".".join(parent + ([base] if base else []))
                submodules = [f"{base}.{alias.name}" for alias in node.names]
                found = [m for m in submodules if m in modules]
                targets.update(found)
                if len(found) < len(submodules):
                    targets.add(base)
        graph[name] = {t for t in targets if t in modules and t != name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[frozenset]:
    """The strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(frozenset(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def private_writes() -> set[tuple[str, str, int, str]]:
    """(file, attribute, line, code) of each write to another object's private attribute."""
    def private(attribute: str) -> bool:
        return attribute.startswith("_") and not attribute.startswith("__")

    def foreign(node) -> bool:
        return not (isinstance(node, ast.Name) and node.id in ("self", "cls"))

    found = set()
    for path in PACKAGE.rglob("*.py"):
        relative = path.relative_to(PACKAGE).as_posix()
        for node in ast.walk(ast.parse(path.read_text())):
            targets = []
            if isinstance(node, (ast.Assign, ast.Delete)):
                targets = node.targets
            elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
                targets = [node.target]
            elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                  and node.func.attr in _MUTATORS):
                targets = [node.func.value]
            elif (isinstance(node, ast.Call) and len(node.args) >= 2
                  and isinstance(node.args[1], ast.Constant)
                  and isinstance(node.args[1].value, str) and private(node.args[1].value)
                  and ((isinstance(node.func, ast.Name) and node.func.id == "setattr")
                       or (isinstance(node.func, ast.Attribute)
                           and node.func.attr == "__setattr__"))
                  and foreign(node.args[0])):
                found.add((relative, node.args[1].value, node.lineno, ast.unparse(node)))
            for target in targets:
                for item in (target.elts if isinstance(target, (ast.Tuple, ast.List))
                             else [target]):
                    if isinstance(item, ast.Subscript):
                        item = item.value
                    if (isinstance(item, ast.Attribute) and private(item.attr)
                            and foreign(item.value)):
                        found.add((relative, item.attr, node.lineno, ast.unparse(item)))
    return found


def test_no_import_cycles():
    """Every import counts, those inside functions too: a cycle hidden in a function is
    still a cycle in the design."""
    unexpected = [sorted(c) for c in cycles(import_graph()) if c not in KNOWN_CYCLES]
    assert not unexpected, f"import cycles: {unexpected}"


def test_the_cycle_check_sees_cycles():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [frozenset("abc")]
    graph = import_graph()
    assert "hoarfrost.variables" in graph["hoarfrost.layers.layer"]
    assert "hoarfrost.host" in graph["hoarfrost.variables"]  # below variables, as designed


def test_no_module_writes_another_objects_private_state():
    writes = private_writes()
    unexpected = sorted(w for w in writes if (w[0], w[1]) not in ALLOWED_PRIVATE_WRITES)
    assert not unexpected, "private writes:\n" + "\n".join(
        f"  {file}:{line}: {code}" for file, _, line, code in unexpected)
    stale = sorted(set(ALLOWED_PRIVATE_WRITES) - {(w[0], w[1]) for w in writes})
    assert not stale, f"allowed private writes that no longer exist (remove them): {stale}"


def test_no_source_file_is_too_long():
    long = {path.relative_to(PACKAGE).as_posix(): len(path.read_text().splitlines())
            for path in PACKAGE.rglob("*.py")}
    unexpected = {k: n for k, n in long.items() if n > LIMIT and k not in LONG_FILES}
    assert not unexpected, f"files over {LIMIT} lines: {unexpected}"
