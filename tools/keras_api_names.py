"""Record Keras 3's public names, per namespace, for tools/api_coverage.py and its tests.

Run with the Keras environment (never a runtime dependency of hoarfrost):

    KERAS_BACKEND=jax /work/main/.venv-keras/bin/python tools/keras_api_names.py

Writes tests/fixtures/keras_api_names.json:

- `keras_version`: the Keras that was read.
- `namespaces`: for every public module under `keras` (`keras`, `keras.layers`,
  `keras.ops.nn`, `keras.optimizers.schedules`, `keras.applications.resnet`, ...),
  the sorted public names it holds, submodules left out (they are namespaces of
  their own). `keras.src` (internals) and `keras._tf_keras` are not read.
- `signatures`: `inspect.signature` of every function in `keras.ops` and
  `keras.ops.image`, which hoarfrost's ops match parameter for parameter.
"""

from __future__ import annotations

import inspect
import json
import os
import types
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras  # noqa: E402

OUT = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "keras_api_names.json"


def public_modules(module: types.ModuleType, path: str, found: dict) -> dict:
    """Walk `module`'s public submodules depth first; `found` maps path -> module."""
    found[path] = module
    for name in sorted(dir(module)):
        value = getattr(module, name)
        if name.startswith("_") or not isinstance(value, types.ModuleType):
            continue
        qualified = value.__name__
        if qualified.startswith("keras.src") or "_tf_keras" in qualified:
            continue
        if qualified.startswith("keras.") and f"{path}.{name}" not in found:
            public_modules(value, f"{path}.{name}", found)
    return found


def names_of(module: types.ModuleType) -> list[str]:
    return sorted(name for name in dir(module) if not name.startswith("_")
                  and not isinstance(getattr(module, name), types.ModuleType))


def main() -> None:
    modules = public_modules(keras, "keras", {})
    namespaces = {path: names_of(module) for path, module in sorted(modules.items())}
    signatures = {}
    for prefix, module in (("", keras.ops), ("image.", keras.ops.image)):
        for name in names_of(module):
            signatures[prefix + name] = str(inspect.signature(getattr(module, name)))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps({"keras_version": keras.__version__, "namespaces": namespaces,
                               "signatures": signatures}, indent=1, sort_keys=True) + "\n")
    total = sum(len(names) for names in namespaces.values())
    print(f"{OUT}: {len(namespaces)} namespaces, {total} names, {len(signatures)} signatures")


if __name__ == "__main__":
    main()
