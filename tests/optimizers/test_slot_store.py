"""How the optimizer makes new slots: the same values, whichever way they are made.

The built-in optimizers' slots are constant fills, made on the host and
transferred (no program to compile in the first epoch); slots computed any
other way come from one compiled call. Either way a step sees exactly what
`_initial_slots` computes: the same values, dtypes and structure.
"""

import types

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from hoarfrost import optimizers
from hoarfrost.optimizers import slot_store
from hoarfrost.optimizers.sgd import SGD
from hoarfrost.variables import Variable

SPECS = (((3, 4), "float32"), ((4,), "float32"), ((2, 3, 5), "float32"), ((), "float32"),
         ((3, 2), "bfloat16"))
SETTINGS = [("sgd", {}), ("sgd", {"momentum": 0.9}), ("adam", {}),
            ("adam", {"amsgrad": True, "use_ema": True}), ("adamw", {}), ("rmsprop", {}),
            ("rmsprop", {"momentum": 0.5, "centered": True}), ("adagrad", {}),
            ("adagrad", {"initial_accumulator_value": 0.3}), ("adadelta", {}),
            ("adamax", {}), ("nadam", {}), ("adafactor", {}), ("lion", {}), ("ftrl", {}),
            ("lamb", {}), ("adam", {"gradient_accumulation_steps": 2})]


def _same(made, expected):
    assert jax.tree.structure(made) == jax.tree.structure(expected)
    for a, b in zip(jax.tree.leaves(made), jax.tree.leaves(expected)):
        assert isinstance(a, jax.Array)
        assert (a.shape, a.dtype, a.weak_type) == (b.shape, b.dtype, b.weak_type)
        assert np.asarray(a).tobytes() == np.asarray(b).tobytes()


@pytest.mark.parametrize("name,options", SETTINGS)
def test_host_made_slots_equal_the_compiled_ones(name, options):
    optimizer = type(optimizers.get(name))(**options)
    init = slot_store._SlotInit(optimizer)
    made = slot_store._host_slots(init, SPECS)
    assert made is not None  # every built-in optimizer's slots are constant fills
    _same(made, slot_store._initial_slots(init, SPECS))


def test_slots_computed_otherwise_come_from_the_compiled_call():
    def init(param):  # not a constant fill: a ramp
        return {"ramp": jnp.arange(param.size, dtype=param.dtype).reshape(param.shape)}

    fake = types.SimpleNamespace(init=init)
    assert slot_store._host_slots(fake, (((2, 3), "float32"),)) is None

    class Ramp(SGD):
        def _build_transform(self):
            return optax.GradientTransformation(init, lambda g, s, p=None: (g, s))

    variable = Variable(np.ones((2, 3), np.float32), "w")
    optimizer = Ramp()
    optimizer.build([variable])
    np.testing.assert_array_equal(optimizer.slots_for(variable)["ramp"],
                                  np.arange(6, dtype=np.float32).reshape(2, 3))


def test_slots_built_inside_a_trace_are_concrete():
    """A custom step may build slots while traced: they are arrays, never tracers."""
    variable = Variable(np.ones((2,), np.float32), "v")
    optimizer = optimizers.get("adam")

    @jax.jit
    def step(x):
        optimizer.build([variable])
        return x + 1

    step(jnp.zeros(()))
    slots = optimizer.slots_for(variable)
    assert all(isinstance(leaf, jax.Array) and not isinstance(leaf, jax.core.Tracer)
               for leaf in jax.tree.leaves(slots))
    np.testing.assert_array_equal(slots["momentum"], np.zeros(2, np.float32))
