"""Fine-tuning: the head-then-all recipe, with the freeze guard and gradual unfreezing.

All of it acts through the ordinary `trainable` flags and the optimizer's
`lr_multipliers`, so it composes with plain `fit` and any other callback.
`FreezeGuard` and `GradualUnfreezing` live with the callbacks
(`hoarfrost.callbacks`) and are importable from here too.
"""

from __future__ import annotations

from hoarfrost.callbacks.fine_tuning import FreezeGuard, GradualUnfreezing
from hoarfrost.selectors import selected_variables

__all__ = ["FreezeGuard", "GradualUnfreezing", "fine_tune"]


def fine_tune(model, x, y, epochs: int, head, freeze_epochs: int = 1,
              base_lr_multiplier: float = 0.01, **fit_kwargs):
    """The fastai recipe: train the head on a frozen base, then everything gently.

    Phase 1 (`freeze_epochs`): only `head` (selectors) trains. Phase 2
    (`epochs`): everything trains; variables outside the head at
    `base_lr_multiplier` times the rate. Optimizer slots carry over.

    Returns the two `History` objects.
    """
    heads = head if isinstance(head, (list, tuple)) else [head]
    head_paths = {v.path for v in selected_variables(model, heads)}
    model.freeze(*[v for v in model.weights if v.path not in head_paths])
    model.unfreeze(*heads)
    first = model.fit(x, y, epochs=freeze_epochs, **fit_kwargs)
    model.trainable = True
    base = {v.path: base_lr_multiplier for v in model.weights if v.path not in head_paths}
    model.optimizer.lr_multipliers = {**base, **model.optimizer.lr_multipliers}
    second = model.fit(x, y, initial_epoch=freeze_epochs, epochs=freeze_epochs + epochs,
                       **fit_kwargs)
    return first, second
