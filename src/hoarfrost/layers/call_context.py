"""The state of the layer calls in progress, per thread: the `training` flag each nested
call inherits (Keras 3's resolution), whether the running layer trains (its flag and every
enclosing caller's), what `call` accepts, and a way out of the stateless scope."""

from __future__ import annotations

import functools
import inspect
import threading

from hoarfrost.variables import AutocastScope, _scopes

_context = threading.local()


def _training_stack() -> list:
    if not hasattr(_context, "training"):
        _context.training = []
    return _context.training


def _trainable_stack() -> list:
    if not hasattr(_context, "trainable"):
        _context.trainable = []
    return _context.trainable


def trainable_in_context(layer) -> bool:
    """Whether `layer`, now running, trains: its flag and every enclosing caller's.

    A layer inside a frozen model is frozen even if its own flag is set, so
    e.g. BatchNormalization must run in inference mode there.
    """
    stack = _trainable_stack()
    return stack[-1] if stack else layer.trainable


@functools.lru_cache(maxsize=None)
def _call_accepts(cls, argument: str) -> bool:
    params = inspect.signature(cls.call).parameters
    return argument in params or any(p.kind is p.VAR_KEYWORD for p in params.values())


@functools.lru_cache(maxsize=None)
def _training_default(cls) -> bool | None:
    """The `training` a layer gets when neither its caller nor an enclosing call
    set one (Keras 3's rule): its `call`'s default when that is a bool (the
    augmentation layers default to True), False when `training` is a required
    argument, else None (unresolved: the call's own default applies, and the
    layers it calls resolve theirs in turn)."""
    param = inspect.signature(cls.call).parameters.get("training")
    if param is None or param.kind is param.VAR_KEYWORD:
        return None
    if param.default is param.empty:
        return False
    return param.default if isinstance(param.default, bool) else None


@functools.lru_cache(maxsize=None)
def _mask_position(cls) -> int | None:
    """Where `mask` sits among call's arguments (inputs = 0), or None when
    call names no `mask` parameter (as Keras: `**kwargs` gets no mask)."""
    params = [p for p in inspect.signature(cls.call).parameters.values() if p.name != "self"]
    for index, param in enumerate(params):
        if param.name == "mask" and param.kind is not param.VAR_KEYWORD:
            return index if param.kind is not param.KEYWORD_ONLY else len(params)
    return None


def _flatten_layers(layer) -> list:
    """Every layer nested in `layer`, depth first, each once (Keras's `_flatten_layers`)."""
    found: list = []
    seen: set[int] = {id(layer)}

    def visit(parent) -> None:
        for sub in parent._layers:
            if id(sub) not in seen:
                seen.add(id(sub))
                found.append(sub)
                visit(sub)

    visit(layer)
    return found


class _no_scope:
    """Suspend the stateless scope (weights are created outside any trace)."""

    def __enter__(self):
        self._saved = list(_scopes())
        _scopes().clear()
        self._autocast = AutocastScope(None)  # and no autocasting (a build reads as stored)
        self._autocast.__enter__()

    def __exit__(self, *exc):
        self._autocast.__exit__()
        _scopes().extend(self._saved)
