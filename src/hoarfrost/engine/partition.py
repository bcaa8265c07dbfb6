"""Split a model's variables by what a training step may do with them, and write back.

The split is derived from the trainable flags at the moment a step starts
(never snapshotted by `compile`), and its signature keys the cache of
compiled steps: each distinct trainable set compiles once. Both directions
live here: `values` hands the step its inputs, `write_back` gives the step's
results to the variables (frozen ones are inputs only, never written).
"""

from __future__ import annotations

import warnings
import weakref
from dataclasses import dataclass

from hoarfrost.variables import Variable, assign_values

TRAIN = "train"  # a parameter the optimizer updates
FROZEN = "frozen"  # read-only in this step: frozen parameters and frozen state
STATE = "state"  # non-trainable state its layer may update (moving statistics)


@dataclass(frozen=True)
class Partition:
    """The variables of one model, grouped for a step, in `weights` order."""

    variables: tuple[Variable, ...]
    roles: tuple[str, ...]

    @property
    def key(self) -> tuple:
        """Identifies the compiled step: same roles and same variables."""
        return tuple(id(v) for v in self.variables), self.roles

    def select(self, role: str) -> list[Variable]:
        return [v for v, r in zip(self.variables, self.roles) if r == role]

    @property
    def trainable(self) -> list[Variable]:
        return self.select(TRAIN)

    @property
    def frozen(self) -> list[Variable]:
        return self.select(FROZEN)

    @property
    def state(self) -> list[Variable]:
        return self.select(STATE)

    def values(self, role: str) -> list:
        """The current values of the variables of one role, for a step's inputs."""
        return [v.value for v in self.select(role)]

    def write_back(self, trainable: list, state: list) -> None:
        """Give a training step's results to the variables: the trainable ones' new
        values and the state's. Taken as they are (the step traced these variables)."""
        assign_values(self.trainable, trainable)
        assign_values(self.state, state)


def partition(model, training: bool = True) -> Partition:
    """Roles of every variable of `model` for a training (or inference) step.

    A parameter trains when its own flag and every enclosing layer's flag are
    set. State updates only in training mode and only inside trainable
    layers, so a frozen layer's statistics stay bit-identical too. The
    states of `SeedGenerator`s (not weights) advance in every training step,
    frozen layers included, so their draws never repeat.
    """
    variables, roles = [], []
    for variable, path_trainable, effective in model._unique_walk(state=True):
        variables.append(variable)
        if not training:
            roles.append(FROZEN)
        elif getattr(variable, "is_seed_state", False):
            roles.append(STATE)
        elif variable.is_state:
            roles.append(STATE if path_trainable else FROZEN)
        else:
            roles.append(TRAIN if effective else FROZEN)
    return Partition(tuple(variables), tuple(roles))


_WARNED_NOTHING_TRAINABLE: weakref.WeakSet = weakref.WeakSet()  # models warned once


def warn_nothing_trainable(model, part) -> None:
    """Warn once when a training step has no weight to train (and the model has some).

    The Keras 2 GAN idiom sets `discriminator.trainable = False` after compiling
    it, to build the stacked model, and still trains the discriminator alone:
    Keras 3 reads the flag at each step (as hoarfrost does), so that trains nothing.
    """
    if model in _WARNED_NOTHING_TRAINABLE or all(v.is_state for v in part.variables):
        return
    _WARNED_NOTHING_TRAINABLE.add(model)
    if not model.trainable:
        why = f"`{model.name}.trainable` is False"
    else:
        frozen = [layer.name for layer in model.layers if not layer.trainable]
        why = (f"its layers {frozen} have trainable=False" if frozen
               else "every weight's own `trainable` flag is False")
    warnings.warn(
        f'Model "{model.name}" has no trainable weights ({why}), so this training step '
        "updates none of its weights. Trainability is read at every step, not fixed by "
        "compile() (as in Keras 3): a model frozen after it was compiled, as in the "
        "Keras 2 GAN idiom, trains nothing. Fix: set "
        f"`{model.name}.trainable = True` before training it (and back to False "
        "before training a model that stacks it).", stacklevel=4)
