"""The Variables in `optimizer.variables`: the step count, the rate, and views of the slots.

An optimizer keeps each variable's slots as one pytree in its store (see
`Optimizer.gather_slots`); Keras code expects one Variable per slot
(`optimizer.variables`, `stateless_apply`). A `SlotVariable` is such a
Variable: it reads and writes one leaf of the store, or the active
`StatelessScope` when one maps it. All of them are pytrees whose one leaf is
the value, so `optimizer.variables` can be handed to `jax.jit` as Keras's
guides do (inside, they are plain arrays).
"""

from __future__ import annotations

import jax

from hoarfrost.variables import Variable


class OptimizerVariable(Variable):
    """A non-trainable variable of an optimizer (the step count, the learning rate).

    As an argument of `jax.jit` (or any pytree function) it is its value.
    """

    def __init__(self, value, name: str, dtype=None):
        super().__init__(value, name=name, trainable=False, dtype=dtype)


class SlotVariable(OptimizerVariable):
    """One slot of one variable (e.g. `adam/dense_kernel_momentum`), a view of the
    optimizer's store: assigning it changes the slot the next step reads.

    Args:
        optimizer: the optimizer whose store holds the slot.
        variable: the model variable the slot belongs to.
        index: the slot's position in `jax.tree.leaves` of that variable's slots.
        slot_name: the slot's name (`momentum`).
        prefix: the path before it (`<optimizer name>/<variable path with _>`).
    """

    def __init__(self, optimizer, variable: Variable, index: int, slot_name: str, prefix: str):
        self._optimizer, self._variable, self._index = optimizer, variable, index
        self.slot_name = slot_name
        self._short_name = self._path = f"{prefix}_{slot_name}"
        self._trainable, self._is_state = False, True

    @property
    def reference_variable(self) -> Variable:
        """The model variable the slot belongs to (Keras's `add_variable_from_reference`
        argument); a distribution lays the slot out as it."""
        return self._variable

    @property
    def _value(self):
        if not self._optimizer.has_slots(self._variable):
            raise ValueError(f"Optimizer variable '{self.path}': variable "
                             f"'{self._variable.path}' has no slots (they were reset or "
                             "restored without them).")
        return jax.tree.leaves(self._optimizer.slots_for(self._variable))[self._index]

    @_value.setter
    def _value(self, value) -> None:
        leaves, treedef = jax.tree.flatten(self._optimizer.slots_for(self._variable))
        leaves[self._index] = value
        self._optimizer.set_slots(self._variable, jax.tree.unflatten(treedef, leaves))


class DerivedCount(OptimizerVariable):
    """`optimizer.iterations` under gradient accumulation: the count of optimizer updates,
    `steps // gradient_accumulation_steps` (Keras's value). Read-only."""

    def __init__(self, steps: Variable, every: int, name: str):
        self._steps, self._every = steps, every
        self._short_name = self._path = name
        self._trainable, self._is_state = False, True

    @property
    def _value(self):
        return self._steps.value // self._every

    @_value.setter
    def _value(self, value) -> None:
        raise TypeError(f"'{self.path}' counts optimizer updates (steps // "
                        f"gradient_accumulation_steps={self._every}); it can not be assigned.")


def _flatten(variable):
    return (variable.value,), None


def _unflatten(_, children):
    return children[0]


for _cls in (OptimizerVariable, SlotVariable, DerivedCount):
    jax.tree_util.register_pytree_node(_cls, _flatten, _unflatten)
