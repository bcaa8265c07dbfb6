"""AdamW: Adam with decoupled weight decay."""

from __future__ import annotations

from hoarfrost.optimizers.adam import Adam


class AdamW(Adam):
    """Adam with decoupled weight decay (Keras's default `weight_decay=0.004`)."""

    def __init__(self, learning_rate=0.001, weight_decay: float = 0.004, **kwargs):
        if weight_decay is None:
            raise ValueError("AdamW: `weight_decay` must be a float (AdamW without it is "
                             "Adam); got None.")
        super().__init__(learning_rate=learning_rate, weight_decay=weight_decay, **kwargs)
