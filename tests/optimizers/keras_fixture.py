"""Run an optimizer case recorded from Keras (tests/optimizers/fixtures/keras_optimizers.npz,
written by tools/keras_fixtures/optimizers.py with Keras 3.15.1) and compare with Keras.

A case: one optimizer on four variables (shapes (3, 4), (4,), (2, 2, 3), ()),
six steps of fixed gradients. Keras's values after every step, its
`optimizer.variables` (paths and values) at the end, `iterations`, the values
`finalize_variable_values` leaves and its config are recorded.

Tolerance: float32 rounding (Keras and hoarfrost order some operations
differently), rtol=2e-5 and atol=2e-6 on values of order 1.
"""

from __future__ import annotations

import json
from pathlib import Path

import jax
import numpy as np

from hoarfrost import optimizers
from hoarfrost.variables import Variable

FIXTURE = np.load(Path(__file__).parent / "fixtures" / "keras_optimizers.npz")
SHAPES = {name: tuple(shape) for name, shape in json.loads(str(FIXTURE["shapes"])).items()}
STEPS = int(FIXTURE["steps"])
CASES = sorted({key.split("/")[0] for key in FIXTURE.files if key.endswith("/meta")})
RTOL, ATOL = 2e-5, 2e-6


def meta(case: str) -> dict:
    return json.loads(str(FIXTURE[f"{case}/meta"]))


def split(vector) -> list[np.ndarray]:
    """A flat vector (as recorded) as one array per variable."""
    out, start = [], 0
    for shape in SHAPES.values():
        size = int(np.prod(shape, dtype=np.int64))
        out.append(np.asarray(vector[start:start + size]).reshape(shape))
        start += size
    return out


def make_optimizer(class_name: str, kwargs: dict, extra: dict):
    """The hoarfrost optimizer of a case, from Keras's class name and arguments."""
    kwargs = dict(kwargs)
    if isinstance(kwargs.get("learning_rate"), dict):
        spec = kwargs["learning_rate"]
        kwargs["learning_rate"] = getattr(optimizers.schedules,
                                          spec["class_name"])(**spec["config"])
    if "inner" in extra:
        kwargs["inner_optimizer"] = make_optimizer(*extra["inner"], {})
    optimizer = getattr(optimizers, class_name)(**kwargs)
    if "exclude" in extra:
        optimizer.exclude_from_weight_decay(var_names=extra["exclude"])
    return optimizer


def setup(case: str):
    """(optimizer, variables, gradients per step) of a case, built as Keras built them."""
    spec = meta(case)
    variables = [Variable(value, name=name)
                 for name, value in zip(SHAPES, split(FIXTURE[f"{case}/initial"]))]
    optimizer = make_optimizer(spec["class_name"], spec["kwargs"], spec["extra"])
    optimizer.build(variables)
    grads = [split(row) for row in FIXTURE[f"{case}/grads"]]
    return optimizer, variables, grads


def keras_slots(case: str) -> list[tuple[str, np.ndarray]]:
    """Keras's `optimizer.variables` at the end: (path, value) in order."""
    spec = meta(case)
    flat, start, out = FIXTURE[f"{case}/slots"], 0, []
    for path, shape, dtype in zip(spec["slot_paths"], spec["slot_shapes"], spec["slot_dtypes"]):
        size = int(np.prod(shape, dtype=np.int64))
        out.append((path, flat[start:start + size].reshape(shape).astype(dtype)))
        start += size
    return out


def assert_close(ours, theirs, message: str) -> None:
    np.testing.assert_allclose(np.asarray(ours, np.float64), np.asarray(theirs, np.float64),
                               rtol=RTOL, atol=ATOL, err_msg=message)


def check_case(case: str) -> None:
    """Run a case with `optimizer.apply` and compare every recorded value with Keras's.

    Op by op (`jax.disable_jit`): one compiled program per case would cost more
    than the six small steps; `test_base_optimizer` checks that the compiled
    `stateless_apply` computes what `apply` does.
    """
    with jax.disable_jit():
        _check_case(case)


def _check_case(case: str) -> None:
    optimizer, variables, grads = setup(case)
    after = FIXTURE[f"{case}/after"]
    for step in range(STEPS):
        optimizer.apply(grads[step], variables)
        for variable, theirs in zip(variables, split(after[step])):
            assert_close(variable.numpy(), theirs, f"{case}: {variable.path} after step {step}")
    assert int(optimizer.iterations.numpy()) == int(FIXTURE[f"{case}/iterations"]), case
    ours = {v.path: v for v in optimizer.variables}
    expected, shared = [], []
    for path, value in keras_slots(case):
        prefix, _, name = path.rpartition("/")
        if not prefix:  # Nadam's u_product, Adafactor's int placeholders: no path of ours
            shared.append((path, value))
        elif name in SHAPES:  # Adafactor's row and column factors, both named after the variable
            factor = "r" if f"{path}_r" not in dict(expected) else "c"
            expected.append((f"{path}_{factor}", value))
        else:
            expected.append((path, value))
    # Keras's variables come first, in Keras's order and under Keras's paths.
    assert [v.path for v in optimizer.variables][:len(expected)] == [p for p, _ in expected]
    for path, theirs in expected:
        assert ours[path].dtype == theirs.dtype, path
        assert_close(ours[path].numpy(), theirs, f"{case}: {path}")
    for path, theirs in shared:
        if path.startswith("variable"):  # Keras's one u_product equals each variable's
            for name in SHAPES:
                assert_close(ours[f"{optimizer.name}/{name}_u_product"].numpy(), theirs,
                             f"{case}: {name} u_product")
    optimizer.finalize_variable_values(variables)
    for variable, theirs in zip(variables, split(FIXTURE[f"{case}/final"])):
        assert_close(variable.numpy(), theirs, f"{case}: {variable.path} finalized")
