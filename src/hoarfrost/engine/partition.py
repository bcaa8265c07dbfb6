"""Split a model's variables by what a training step may do with them.

The split is derived from the trainable flags at the moment a step starts
(never snapshotted by `compile`), and its signature keys the cache of
compiled steps: each distinct trainable set compiles once.
"""

from __future__ import annotations

from dataclasses import dataclass

from hoarfrost.variables import Variable

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
        elif getattr(variable, "_is_seed_state", False):
            roles.append(STATE)
        elif variable._is_state:
            roles.append(STATE if path_trainable else FROZEN)
        else:
            roles.append(TRAIN if effective else FROZEN)
    return Partition(tuple(variables), tuple(roles))
