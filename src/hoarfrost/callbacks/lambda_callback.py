"""`LambdaCallback`: a callback from plain functions."""

from __future__ import annotations

from hoarfrost.callbacks.callback import Callback

#: Every hook a `Callback` has (`on_test_batch_end`, `on_predict_end`, ...).
HOOKS = tuple(sorted(name for name in vars(Callback) if name.startswith("on_")))


class LambdaCallback(Callback):
    """A callback from plain functions: `LambdaCallback(on_epoch_end=lambda epoch, logs: ...)`.

    As Keras's, the six training hooks are named arguments and any other hook of
    `Callback` is accepted by keyword (`on_test_batch_end=...`, `on_predict_end=...`);
    a keyword that names no hook raises instead of being ignored.
    """

    def __init__(self, on_epoch_begin=None, on_epoch_end=None, on_train_begin=None,
                 on_train_end=None, on_train_batch_begin=None, on_train_batch_end=None,
                 **kwargs):
        super().__init__()
        unknown = sorted(name for name in kwargs if name not in HOOKS)
        if unknown:
            raise TypeError(f"LambdaCallback got {unknown}, which name no callback hook; the "
                            f"hooks are {list(HOOKS)}.")
        hooks = dict(kwargs, on_epoch_begin=on_epoch_begin, on_epoch_end=on_epoch_end,
                     on_train_begin=on_train_begin, on_train_end=on_train_end,
                     on_train_batch_begin=on_train_batch_begin,
                     on_train_batch_end=on_train_batch_end)
        for name, fn in hooks.items():
            if fn is not None:
                setattr(self, name, fn)
