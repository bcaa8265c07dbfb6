"""Fine-tuning callbacks: a guard that frozen weights stay bit-identical, gradual unfreezing.

Both act through the ordinary `trainable` flags and the optimizer's
`lr_multipliers`, so they compose with plain `fit` and any other callback
(`hoarfrost.finetuning.fine_tune` is the head-then-all recipe built on them).
"""

from __future__ import annotations

import hashlib

import numpy as np

from hoarfrost.callbacks.callback import Callback
from hoarfrost.engine.partition import FROZEN, partition
from hoarfrost.selectors import selected_variables


def _digest(variable) -> str:
    return hashlib.blake2b(np.ascontiguousarray(variable.numpy()).tobytes(),
                           digest_size=16).hexdigest()


class FreezeGuard(Callback):
    """Check after every epoch that every frozen variable is bit-identical.

    A variable is watched from the first epoch it is frozen in (parameters
    and state alike) until it is unfrozen; if its bits changed while frozen,
    training stops with an error naming it.
    """

    def __init__(self):
        super().__init__()
        self._watched: dict[int, tuple] = {}
        self.checks = 0          # (variable, epoch) pairs verified bit-identical
        self.epochs_checked = 0
        self.most_watched = 0    # the most frozen variables watched in one epoch

    def _frozen(self):
        part = partition(self.model)
        return [v for v, role in zip(part.variables, part.roles) if role == FROZEN]

    def on_epoch_begin(self, epoch, logs=None):
        frozen = self._frozen()
        ids = {id(v) for v in frozen}
        self._watched = {key: item for key, item in self._watched.items() if key in ids}
        for variable in frozen:
            if id(variable) not in self._watched:
                self._watched[id(variable)] = (variable, _digest(variable))

    def on_epoch_end(self, epoch, logs=None):
        moved = [v.path for v, digest in self._watched.values() if _digest(v) != digest]
        if moved:
            raise RuntimeError(
                f"FreezeGuard: frozen variable(s) changed during epoch {epoch + 1}: "
                f"{', '.join(moved)}. Frozen weights must stay bit-identical."
            )
        self.checks += len(self._watched)
        self.epochs_checked += 1
        self.most_watched = max(self.most_watched, len(self._watched))

    @property
    def verdict(self) -> str:
        """One line for logs: what was checked, over the guard's whole life."""
        if not self.checks:
            return "FreezeGuard: nothing was frozen, nothing to check."
        return (f"FreezeGuard: {self.checks} checks of frozen variables over "
                f"{self.epochs_checked} epochs (up to {self.most_watched} at once), "
                "all bit-identical.")


class GradualUnfreezing(Callback):
    """Unfreeze parts of a model at given epochs, with a gentle, growing rate.

    At the start of epoch `e` in `schedule`, the selected layers/variables are
    unfrozen; their learning rate starts at `lr_multiplier` times the base rate
    and grows linearly to the base rate over `warmup` epochs. Everything is
    derived from the epoch number and the model's trainable flags, which are
    saved with the model, so a resumed run (`initial_epoch`) is frozen and
    scaled exactly as the uninterrupted one.

    Args:
        schedule: `{epoch: selector or list of selectors}` (see `Model.freeze`).
        lr_multiplier: the factor on the rate right after unfreezing.
        warmup: epochs over which the factor grows to 1 (0: jump to 1 at once
            after the first epoch).
    """

    def __init__(self, schedule: dict, lr_multiplier: float = 0.1, warmup: int = 2):
        super().__init__()
        self.schedule = {int(e): (s if isinstance(s, (list, tuple)) else [s])
                         for e, s in schedule.items()}
        self.lr_multiplier = float(lr_multiplier)
        self.warmup = int(warmup)

    def factor(self, epochs_since: int) -> float:
        """The rate factor `epochs_since` epochs after unfreezing."""
        if self.warmup <= 0:
            return self.lr_multiplier if epochs_since == 0 else 1.0
        progress = min(1.0, epochs_since / self.warmup)
        return self.lr_multiplier + (1.0 - self.lr_multiplier) * progress

    def on_epoch_begin(self, epoch, logs=None):
        optimizer = self.model.optimizer
        thawed: dict[str, float] = {}
        for start, selectors in sorted(self.schedule.items()):
            if start > epoch:
                continue
            if start == epoch:
                self.model.unfreeze(*selectors)
            factor = self.factor(epoch - start)
            for variable in selected_variables(self.model, selectors):
                thawed.setdefault(variable.path, factor)
        others = {k: v for k, v in optimizer.lr_multipliers.items() if k not in thawed}
        optimizer.lr_multipliers = {**thawed, **others}
