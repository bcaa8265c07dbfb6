"""Safe mode: whether loading may turn a file's bytes into Python code.

As in Keras 3, loading is safe by default: a file names its layers, losses
and functions, and only names registered with `register_keras_serializable`,
passed as `custom_objects`, or built into hoarfrost are resolved. Python
bytecode (Keras's `__lambda__` entries, which `Lambda` layers holding a Python
lambda get in a Keras file) is refused. `load_model(..., safe_mode=False)`,
`SafeModeScope(False)` or `enable_unsafe_deserialization()` opt in, for files
whose source the user trusts.

As in Keras, an ambient setting (a `SafeModeScope`, or
`enable_unsafe_deserialization()`) wins over a `safe_mode` argument.
`enable_unsafe_deserialization()` holds for the whole process; a scope holds
for its thread only, so that one thread's opt-in never loosens another's load.
"""

from __future__ import annotations

import threading

_unsafe_everywhere = False
_local = threading.local()


def enable_unsafe_deserialization() -> None:
    """Allow loading Python bytecode from files, for the rest of the process.

    Only for files from a trusted source: a crafted file can then run any code.
    """
    global _unsafe_everywhere
    _unsafe_everywhere = True


def in_safe_mode() -> bool | None:
    """The ambient setting: a scope's value in this thread, else False after
    `enable_unsafe_deserialization()`, else None (unset: loading functions use
    their `safe_mode` argument, True by default)."""
    scoped = getattr(_local, "safe_mode", None)
    if scoped is not None:
        return scoped
    return False if _unsafe_everywhere else None


def resolve_safe_mode(safe_mode: bool | None = None) -> bool:
    """The setting in force: the ambient one if set, else `safe_mode`; safe when both are
    unset (it fails closed)."""
    ambient = in_safe_mode()
    if ambient is not None:
        return ambient
    return safe_mode is not False


class SafeModeScope:
    """`with SafeModeScope(False): ...`: the safe-mode setting for loads in this thread."""

    def __init__(self, safe_mode: bool = True):
        self.safe_mode = bool(safe_mode)

    def __enter__(self):
        self._previous = getattr(_local, "safe_mode", None)
        _local.safe_mode = self.safe_mode
        return self

    def __exit__(self, *exc_info) -> None:
        _local.safe_mode = self._previous


def refusal(what: str) -> str:
    """The message for refusing `what` (code from a file) in safe mode."""
    return (f"{what} This carries a potential risk of arbitrary code execution and thus it "
            "is disallowed by default (safe mode). If you trust the source of the file, pass "
            "`safe_mode=False` to the loading function, or call "
            "`hoarfrost.saving.enable_unsafe_deserialization()`. Better: give the function "
            "a name and register it with @hoarfrost.saving.register_keras_serializable().")
