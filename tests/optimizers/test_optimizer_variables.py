"""`optimizer.variables`: Variables that go into `jax.jit` as values and view the slots."""

import jax
import numpy as np
import pytest

from hoarfrost import optimizers
from hoarfrost.variables import Variable


def test_optimizer_variables_are_their_values_in_pytrees_and_jit():
    optimizer = optimizers.SGD(0.1, momentum=0.9)
    w = Variable(np.ones(2, "float32"), name="w")
    optimizer.build([w])
    variables = optimizer.variables
    leaves = jax.tree.leaves(variables)
    assert len(leaves) == 3 and all(isinstance(leaf, jax.Array) for leaf in leaves)
    doubled = jax.jit(lambda vs: [v * 2 for v in vs])(variables)
    assert float(doubled[1]) == pytest.approx(0.2) and doubled[2].shape == (2,)
    # A slot names the variable it belongs to (a distribution lays it out as that one).
    assert variables[2].reference_variable is w


def test_a_slot_view_after_its_slots_are_dropped_says_so():
    optimizer = optimizers.Adam()
    w = Variable(np.ones(2, "float32"), name="dense/kernel")
    optimizer.build([w])
    momentum = optimizer.variables[2]
    optimizer.reset_slots([w])
    with pytest.raises(ValueError, match="'adam/dense_kernel_momentum'.*'dense/kernel' has no "
                                         "slots"):
        momentum.numpy()
