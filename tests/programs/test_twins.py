"""Each ported program differs from its Keras twin in import lines only.

This is what "a Keras program ports by changing its imports" means for the programs in
this folder: `tools/guide_ports/port.py` rewrites the Keras twin's imports and the result
must be the hoarfrost program byte for byte.
"""

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("guide_port", ROOT / "tools/guide_ports/port.py")
port = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(port)

PROGRAMS = sorted(p.stem for p in Path(__file__).parent.glob("*.py")
                  if not p.stem.startswith(("test_", "_")) and p.stem not in ("harness",))


@pytest.mark.parametrize("name", PROGRAMS)
def test_program_is_its_keras_twin_with_imports_changed(name):
    keras_text = (port.KERAS_DIR / f"{name}.py").read_text()
    assert (Path(__file__).parent / f"{name}.py").read_text() == port.hoarfrost_text(keras_text)


def test_every_keras_port_has_one_hoarfrost_twin():
    assert port.check() == []
