"""Write src/hoarfrost/saving/keras_op_calls.py: the call parameters of Keras's operation
classes (those of more than one), which a `.keras` file's op-layer passes to `call()` in
its node, everything else being the class's config.

    cd tools/keras_fixtures && KERAS_BACKEND=jax ../../.venv-keras/bin/python keras_op_calls.py
"""

from __future__ import annotations

import importlib
import inspect
import re
from pathlib import Path

OUT = Path(__file__).resolve().parents[2] / "src" / "hoarfrost" / "saving" / "keras_op_calls.py"
MODULES = ("numpy", "nn", "core", "math", "linalg", "image", "einops")


def _first_parameters(module, class_name: str) -> set:
    """The first parameter of each public function of `module` that builds `class_name`."""
    firsts = set()
    for name, function in vars(module).items():
        if inspect.isfunction(function) and not name.startswith("_") \
                and function.__module__ == module.__name__ \
                and re.search(rf"\b{class_name}\s*\(", inspect.getsource(function)):
            firsts.add(next(iter(inspect.signature(function).parameters), None))
    return firsts


def main() -> None:
    import keras
    from keras.src.ops.operation import Operation
    rows = []
    for module in MODULES:
        m = importlib.import_module(f"keras.src.ops.{module}")
        for name, cls in sorted(vars(m).items()):
            if not (inspect.isclass(cls) and issubclass(cls, Operation)
                    and cls.__module__ == m.__name__):
                continue
            params = list(inspect.signature(cls.call).parameters.values())[1:]
            if any(p.kind == p.VAR_POSITIONAL for p in params):
                continue
            names = tuple("**" if p.kind == p.VAR_KEYWORD else p.name for p in params)
            if len(names) > 1 or names[0] not in _first_parameters(m, name):
                rows.append((module, name, names))
    lines = [f'"""Keras {keras.__version__}\'s operation classes whose `call` takes more than one',
             "argument, or another than its function's first, by (module, class): those",
             "arguments' names, in order (`**`: keyword arguments). A `.keras` op-layer passes",
             "these in its node and keeps the rest in its config; one not listed takes only its",
             "function's first. Written by tools/keras_fixtures/keras_op_calls.py.", '"""', "",
             "CALL_PARAMETERS = {"]
    for module, name, params in rows:
        lines.append(f"    ({module!r}, {name!r}): {params!r},")
    lines.append("}")
    OUT.write_text("\n".join(lines) + "\n")
    print("wrote", OUT, len(rows))


if __name__ == "__main__":
    main()
