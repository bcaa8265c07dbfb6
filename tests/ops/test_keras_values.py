"""Every op equals Keras's: each case of tests/fixtures/keras_ops.npz replayed by hoarfrost.ops.

The fixture (tools/keras_fixtures/ops.py) holds, for every op of `keras.ops` and
`keras.ops.image`, calls on small fixed inputs and what Keras 3 (JAX backend)
returned: values, dtypes, and the containers (tuple or list) around them.
"""

from __future__ import annotations

import json
from pathlib import Path

import jax
import numpy as np
import pytest

from hoarfrost import ops
from tests.ops.fixture_functions import FUNCTIONS

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "keras_ops.npz"
DATA = np.load(FIXTURE)
CASES = json.loads(str(DATA["manifest"]))


def decode(value):
    """An argument as the generator passed it to Keras."""
    if isinstance(value, list):
        return [decode(v) for v in value]
    if isinstance(value, dict):
        if "a" in value:
            return DATA[value["a"]]
        if "t" in value:
            return tuple(decode(v) for v in value["t"])
        if "d" in value:
            return {k: decode(v) for k, v in value["d"].items()}
        if "f" in value:
            return FUNCTIONS[value["f"]]
        if "s" in value:
            return slice(*value["s"])
        if "e" in value:
            return Ellipsis
    return value


def op_named(name: str):
    namespace, _, op = name.rpartition(".")
    return getattr(ops.image if namespace else ops, op)


def run(case: dict):
    fn = op_named(case["op"])
    args, kwargs = decode(case["args"]), decode(case["kwargs"])
    if case["kind"] == "custom_gradient":
        decorated = fn(args[0])
        return decorated(args[1]), jax.grad(lambda x: ops.sum(decorated(x)))(args[1])
    if case["kind"] == "vectorize":
        return fn(args[0], **kwargs)(*args[1:])
    if case["kind"] == "tensors":
        args = [ops.convert_to_tensor(a) if isinstance(a, np.ndarray) else a for a in args]
    return fn(*args, **kwargs)


def assert_like(ours, expected, case: dict, where: str = "output"):
    """`ours` has Keras's structure, dtypes and values (within the case's tolerance)."""
    if isinstance(expected, dict) and "a" in expected:
        assert hasattr(ours, "dtype"), f"{where}: expected an array, got {ours!r}"
        if expected["numpy"]:
            assert isinstance(ours, np.ndarray), f"{where}: expected a NumPy array"
        array, reference = np.asarray(ours), DATA[expected["a"]]
        assert array.dtype.name == expected["dtype"], f"{where}: dtype {array.dtype.name}"
        assert array.shape == reference.shape, f"{where}: shape {array.shape} != {reference.shape}"
        if case["kind"] == "shape_only":
            return
        if array.dtype.kind in "biu":
            np.testing.assert_array_equal(array, reference, err_msg=where)
        else:
            np.testing.assert_allclose(array, reference, rtol=case["rtol"] or 1e-5,
                                       atol=case["atol"] or 1e-6, err_msg=where)
    elif isinstance(expected, dict) and "t" in expected:
        assert isinstance(ours, tuple), f"{where}: expected a tuple, got {type(ours).__name__}"
        assert len(ours) == len(expected["t"]), f"{where}: length {len(ours)}"
        for i, (a, b) in enumerate(zip(ours, expected["t"])):
            assert_like(a, b, case, f"{where}[{i}]")
    elif isinstance(expected, list):
        assert isinstance(ours, list), f"{where}: expected a list, got {type(ours).__name__}"
        assert len(ours) == len(expected), f"{where}: length {len(ours)}"
        for i, (a, b) in enumerate(zip(ours, expected)):
            assert_like(a, b, case, f"{where}[{i}]")
    else:
        assert type(ours) is type(expected), f"{where}: {type(ours).__name__} is not Keras's"
        assert ours == expected, f"{where}: {ours!r} != {expected!r}"


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_op_equals_keras(case):
    assert_like(run(case), case["output"], case)


def test_every_keras_op_has_a_case():
    keras_ops = json.loads((FIXTURE.parent / "keras_api_names.json").read_text())["signatures"]
    assert set(keras_ops) <= {c["op"] for c in CASES}
